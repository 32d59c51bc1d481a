"""What an API key may do: read, write, destroy, verify, admin.

Scopes keep service callers to least privilege (Order 179/НҚ: access
restricted to what the caller's job needs). ``admin`` implies every other scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from derbes.errors import InputError


class Scope(StrEnum):
    READ = "read"  # read decrypted PD (with a stated purpose), look subjects up
    WRITE = "write"  # add and change subjects and their values, block them
    DESTROY = "destroy"  # destroy subjects or categories (crypto-shredding)
    # Vouch for a requester's identity from a document staff saw (Law 94-V Art. 24:
    # nothing is disclosed before the requester is identified); until staff
    # identities exist, only keys given this scope, or admin, may do it.
    VERIFY = "verify"
    ADMIN = "admin"  # everything, including audit verification and key management


def parse_scope(text: str) -> Scope:
    """A scope from its name; anything else is an :class:`InputError`."""
    try:
        return Scope(text.strip().lower())
    except ValueError:
        names = ", ".join(s.value for s in Scope)
        raise InputError(f"unknown scope {text!r}: use one of {names}", field="scope") from None


def parse_scopes(texts: Iterable[str]) -> frozenset[Scope]:
    """Several scopes; at least one is required."""
    scopes = frozenset(parse_scope(t) for t in texts)
    if not scopes:
        raise InputError("an API key needs at least one scope", field="scope")
    return scopes


def allows(granted: Iterable[Scope], required: Scope) -> bool:
    """Whether a caller holding ``granted`` may do what needs ``required``."""
    held = frozenset(granted)
    return Scope.ADMIN in held or required in held


def sorted_scopes(scopes: Iterable[Scope]) -> tuple[Scope, ...]:
    """Scopes in their declaration order, for display and storage."""
    held = frozenset(scopes)
    return tuple(s for s in Scope if s in held)

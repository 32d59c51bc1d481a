"""An API key, as stored (only the SHA-256 of its secret), and whom it belongs to.

A key belongs to a staff person (``staff:<person id>``: what it does is recorded
as that person's) or to a named service (``service:<name>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from derbes.access.model.scopes import Scope
from derbes.errors import InputError

__all__ = ["StoredApiKey", "parse_owner", "person_of", "service_owner"]

_STAFF = "staff:"
_SERVICE = "service:"


def service_owner(name: str) -> str:
    return f"{_SERVICE}{name}"


def person_of(owner: str) -> str | None:
    """The staff person a key belongs to (None: a service's key)."""
    return owner[len(_STAFF):] if owner.startswith(_STAFF) else None


def parse_owner(text: str) -> str:
    """``staff:<person id>`` or ``service:<name>``; anything else is an :class:`InputError`."""
    owner = text.strip()
    kind, _, rest = owner.partition(":")
    if f"{kind}:" not in (_STAFF, _SERVICE) or not rest.strip() or len(owner) > 200:
        raise InputError("a key's owner reads staff:<person id> or service:<name>",
                         field="owner")
    return f"{kind}:{rest.strip()}"


@dataclass(frozen=True)
class StoredApiKey:
    key_id: str
    name: str
    secret_sha256: str
    scopes: frozenset[Scope]
    operator_id: str | None
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    owner: str = ""

    def __post_init__(self) -> None:
        if not self.owner:
            object.__setattr__(self, "owner", service_owner(self.name))

    @property
    def active(self) -> bool:
        """Not revoked (whether it expired depends on the time asked about)."""
        return self.revoked_at is None

    def expired_on(self, at: datetime) -> bool:
        return self.expires_at is not None and at >= self.expires_at

"""State seals: a keyed MAC over everything the decision point reads about a subject.

The decision point answers from projections — the ``consents`` rows, the
subject's block and destruction marks, its active category blocks, its open
contracts, its retention clocks — not from the chains themselves, because
replaying a chain on every decision would be far too slow. Anyone who can
write to the data database could change a projection (clear ``withdrawn_at``,
insert a consent, delete a block) and turn a DENY into an ALLOW while both
chains still verify.

A seal binds the projection to the chains: whenever a transaction changes
what the decision point reads about a subject, it recomputes the subject's
:class:`Snapshot` and stores ``mac(key, snapshot)``, with a key derived from
the audit-chain key that lives in the key store, outside the data database.
The snapshot includes the subject's latest consent-ledger entry (seq and
hash), so a projection rolled back to an earlier genuine state (an old row
and its old seal restored from a backup) no longer matches: the ledger has a
later entry for the subject. On every read the decision point recomputes the
MAC from the rows it loaded; a subject whose rows do not match their seal is
answered DENY (``state_unverified``) until ``derbes ledger verify`` explains
the difference (Order 179/НҚ: protection of PD against unauthorised change).

:func:`components` digests each part separately (unkeyed SHA-256) so that a
verifier can say *which* part of a subject's state changed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, TypeVar

from derbes.platform.chain import GENESIS

__all__ = [
    "COMPONENTS",
    "SealedConsent",
    "Snapshot",
    "canonical",
    "changed_components",
    "components",
    "mac",
    "matches",
    "seal_key",
]

_KEY_LABEL = b"derbes/state-seal/v1"
T = TypeVar("T")

COMPONENTS = ("subject", "blocks", "contracts", "consents", "retention", "ledger")
"""The parts of a snapshot, in the order they are sealed."""


def seal_key(audit_key: bytes) -> bytes:
    """The state-seal key, derived from the audit-chain key (kept apart from the chains')."""
    return hmac.new(audit_key, _KEY_LABEL, hashlib.sha256).digest()


def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True, slots=True)
class SealedConsent:
    """The decision-relevant fields of one ``consents`` row."""

    id: str
    scope: str
    purposes: tuple[str, ...]
    recipients: tuple[str, ...]
    given_by: str
    given_at: datetime | None
    valid_until: datetime | None
    expired_at: datetime | None
    withdrawn_at: datetime | None
    needs_reconsent_since: datetime | None

    def encoded(self) -> list[Any]:
        # Every read of a subject's state runs this: isoformat inline, not via _iso.
        return [self.id, self.scope, self.purposes, self.recipients, self.given_by,
                None if self.given_at is None else self.given_at.isoformat(),
                None if self.valid_until is None else self.valid_until.isoformat(),
                None if self.expired_at is None else self.expired_at.isoformat(),
                None if self.withdrawn_at is None else self.withdrawn_at.isoformat(),
                None if self.needs_reconsent_since is None
                else self.needs_reconsent_since.isoformat()]


@dataclass(frozen=True)
class Snapshot:
    """What the decision point reads about one subject, in a canonical order."""

    subject_id: str
    operator_id: str
    blocked_at: datetime | None = None
    destroyed_at: datetime | None = None
    blocked_categories: tuple[str, ...] = ()
    open_contracts: tuple[str, ...] = ()
    consents: tuple[SealedConsent, ...] = ()
    clocks: tuple[tuple[str, date | None], ...] = ()
    ledger: tuple[int, str] = (0, GENESIS)  # the subject's latest ledger entry

    def parts(self) -> list[Any]:
        """The snapshot as JSON data, one element per name of :data:`COMPONENTS`."""
        return [
            [self.subject_id, self.operator_id, _iso(self.blocked_at), _iso(self.destroyed_at)],
            list(self.blocked_categories),
            list(self.open_contracts),
            [c.encoded() for c in self.consents],
            [[purpose, _iso(end)] for purpose, end in self.clocks],
            [self.ledger[0], self.ledger[1]],
        ]


def canonical(state: Snapshot) -> Snapshot:
    """``state`` with every collection in its canonical order (rows come in any order;
    block and contract ids once each)."""
    return replace(
        state,
        blocked_categories=_in_order(set(state.blocked_categories)),
        open_contracts=_in_order(set(state.open_contracts)),
        consents=_in_order(state.consents, _by_id),
        clocks=_in_order(state.clocks, _by_purpose),
    )


def _by_id(consent: SealedConsent) -> str:
    return consent.id


def _by_purpose(clock: tuple[str, date | None]) -> str:
    return clock[0]


def _in_order(items: Iterable[T], key: Callable[[T], Any] | None = None) -> tuple[T, ...]:
    found = items if isinstance(items, tuple | list | set) else list(items)
    if len(found) < 2:  # most collections hold none or one: nothing to sort
        return tuple(found)
    return tuple(sorted(found, key=key))


def _text(value: Any) -> bytes:
    # check_circular off: a snapshot is a tree of lists, and this runs on every read.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False,
                      check_circular=False).encode("utf-8")


def mac(key: bytes, state: Snapshot) -> str:
    """The seal of ``state``: HMAC-SHA-256 over its canonical form, bound to the subject."""
    return hmac.new(key, _text(["v1", state.subject_id, state.parts()]),
                    hashlib.sha256).hexdigest()


def matches(key: bytes, state: Snapshot, stored: str | None) -> bool:
    """Whether ``stored`` is the seal of ``state`` (None: never sealed)."""
    return stored is not None and hmac.compare_digest(mac(key, state), stored)


def components(state: Snapshot) -> dict[str, str]:
    """SHA-256 of each part (not secret: they only let a verifier name what changed)."""
    return {name: hashlib.sha256(_text(part)).hexdigest()
            for name, part in zip(COMPONENTS, state.parts(), strict=True)}


def changed_components(sealed: Mapping[str, str], state: Snapshot) -> list[str]:
    """The parts of ``state`` that differ from the digests stored with its seal."""
    now = components(state)
    return [name for name in COMPONENTS if sealed.get(name) != now[name]]

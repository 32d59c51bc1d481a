"""The consent ledger: append-only entries in a keyed hash chain.

Every consent given, withdrawn (or withdrawn in part), expired or marked for
re-consent is one entry, written in the same transaction as the change of
the ``consents`` projection. The hash covers every stored column but the
sequence number and the hashes (which the chain link covers itself), so an
edited, deleted, inserted or reordered row is found by :func:`verify_ledger`
(the same checks as the access audit log).

The chain key is derived from the audit-chain key of the key store
(:func:`ledger_key`): it lives outside the data database like that key, and
the derivation keeps the two chains' keys apart, so an entry of one chain can
never pass as an entry of the other.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from derbes.audit.model.log import verify_log
from derbes.platform.chain import ChainEntry, Verification, canonical, link

_KEY_LABEL = b"derbes/consent-ledger/v1"


def ledger_key(audit_key: bytes) -> bytes:
    """The consent-ledger chain key, derived from the audit-chain key."""
    return hmac.new(audit_key, _KEY_LABEL, hashlib.sha256).digest()


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("ledger entries need a timezone-aware instant")
    return at.astimezone(UTC)


@dataclass(frozen=True)
class LedgerRecord:
    """What to append. ``payload`` is JSON data without PD."""

    at: datetime
    event: str
    consent_id: str
    subject_id: str
    payload: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", _aware(self.at))
        # What is hashed must be what is stored: JSON round trip now.
        object.__setattr__(self, "payload", json.loads(canonical(dict(self.payload))))


@dataclass(frozen=True)
class LedgerEntry:
    seq: int
    at: datetime
    event: str
    consent_id: str
    subject_id: str
    payload: Mapping[str, Any]
    prev_hash: str
    hash: str

    def hashed(self) -> dict[str, Any]:
        return entry_payload(self.at, self.event, self.consent_id, self.subject_id,
                             self.payload)

    def chain_entry(self) -> ChainEntry:
        return ChainEntry(seq=self.seq, prev_hash=self.prev_hash, hash=self.hash,
                          payload=self.hashed())

    def authentic(self, key: bytes) -> bool:
        """The entry's own hash matches its content (not whether it is in its place)."""
        return hmac.compare_digest(self.hash, link(key, self.seq, self.prev_hash,
                                                   self.hashed()))


def entry_payload(at: datetime, event: str, consent_id: str, subject_id: str,
                  payload: Mapping[str, Any]) -> dict[str, Any]:
    return {"at": _aware(at).isoformat(), "event": event, "consent_id": consent_id,
            "subject_id": subject_id, "payload": dict(payload)}


def chain(key: bytes, head: tuple[int, str], records: Iterable[LedgerRecord]
          ) -> list[LedgerEntry]:
    """The entries that append ``records`` after ``head`` = (seq, hash)."""
    seq, prev_hash = head
    out: list[LedgerEntry] = []
    for record in records:
        seq += 1
        digest = link(key, seq, prev_hash, entry_payload(
            record.at, record.event, record.consent_id, record.subject_id, record.payload))
        out.append(LedgerEntry(seq=seq, at=record.at, event=record.event,
                               consent_id=record.consent_id, subject_id=record.subject_id,
                               payload=record.payload, prev_hash=prev_hash, hash=digest))
        prev_hash = digest
    return out


def verify_ledger(
    key: bytes,
    entries: Iterable[LedgerEntry],
    *,
    fetch: Callable[[int], LedgerEntry | None],
    recorded_head: tuple[int, str] | None = None,
    expected_head: tuple[int, str] | None = None,
) -> Verification:
    """Check every link; say where the ledger breaks and how (edited, deleted, inserted,
    reordered, truncated)."""

    def fetch_chain(seq: int) -> ChainEntry | None:
        found = fetch(seq)
        return None if found is None else found.chain_entry()

    return verify_log(key, (e.chain_entry() for e in entries), fetch=fetch_chain,
                      recorded_head=recorded_head, expected_head=expected_head)

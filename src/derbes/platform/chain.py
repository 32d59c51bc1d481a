"""Hash chains for append-only logs (access audit, consent ledger).

Each entry's hash covers its sequence number, the previous entry's hash and a
canonical form of its payload. The hash is keyed (HMAC-SHA-256) with a key that
lives outside the data database, so someone who can write to the database
cannot edit an entry and recompute the rest of the chain (Order 179/НҚ:
logging of actions with PD that cannot be silently altered).

:func:`verify` walks a chain in sequence order and says where it breaks and how:
an entry edited, entries deleted, an entry inserted, entries reordered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

GENESIS = "0" * 64


def _default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON-serialisable in a chained payload: {type(value).__name__}")


def canonical(payload: Mapping[str, Any]) -> bytes:
    """One byte string per payload: sorted keys, no whitespace, UTF-8."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    ).encode("utf-8")


def link(key: bytes, seq: int, prev_hash: str, payload: Mapping[str, Any]) -> str:
    """The hash of entry ``seq`` that follows ``prev_hash``."""
    message = f"{seq}|{prev_hash}|".encode() + canonical(payload)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainEntry:
    seq: int
    prev_hash: str
    hash: str
    payload: Mapping[str, Any]


class BreakKind(StrEnum):
    EDITED = "edited"  # content changed: its hash no longer matches
    DELETED = "deleted"  # a gap in the sequence numbers
    INSERTED = "inserted"  # an entry that does not follow its predecessor
    REORDERED = "reordered"  # entries out of order
    TRUNCATED = "truncated"  # the chain ends before a known head


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    kind: BreakKind
    message: str


@dataclass(frozen=True)
class Verification:
    entries: int
    head_seq: int
    head_hash: str
    breaks: tuple[ChainBreak, ...]

    @property
    def ok(self) -> bool:
        return not self.breaks


def append(key: bytes, last: ChainEntry | None, payload: Mapping[str, Any]) -> ChainEntry:
    """The entry that follows ``last`` (or starts the chain)."""
    seq = 1 if last is None else last.seq + 1
    prev_hash = GENESIS if last is None else last.hash
    return ChainEntry(seq=seq, prev_hash=prev_hash, hash=link(key, seq, prev_hash, payload),
                      payload=payload)


def verify(
    key: bytes, entries: Iterable[ChainEntry], *, expected_head: tuple[int, str] | None = None
) -> Verification:
    """Check every link; ``entries`` in storage order (by sequence number).

    ``expected_head`` is a (seq, hash) recorded elsewhere earlier: the chain
    must still contain it, which catches a truncated tail.
    """
    breaks: list[ChainBreak] = []
    prev: ChainEntry | None = None
    count = 0
    seen_hashes: dict[str, int] = {}
    for entry in entries:
        count += 1
        expected_seq = 1 if prev is None else prev.seq + 1
        expected_prev = GENESIS if prev is None else prev.hash
        own_ok = hmac.compare_digest(
            entry.hash, link(key, entry.seq, entry.prev_hash, entry.payload)
        )
        if not own_ok:
            breaks.append(ChainBreak(entry.seq, BreakKind.EDITED,
                                     f"entry {entry.seq} was altered: its hash does not match"))
        if entry.seq < expected_seq:
            breaks.append(ChainBreak(entry.seq, BreakKind.REORDERED,
                                     f"entry {entry.seq} comes after entry {expected_seq - 1}"))
        elif entry.seq > expected_seq:
            missing = (f"entry {expected_seq}" if entry.seq == expected_seq + 1
                       else f"entries {expected_seq}–{entry.seq - 1}")
            breaks.append(ChainBreak(expected_seq, BreakKind.DELETED, f"{missing} deleted"))
        elif own_ok and entry.prev_hash != expected_prev:
            if entry.prev_hash in seen_hashes:
                breaks.append(ChainBreak(entry.seq, BreakKind.REORDERED,
                                         f"entry {entry.seq} follows entry "
                                         f"{seen_hashes[entry.prev_hash]}, not {expected_seq - 1}"))
            else:
                breaks.append(ChainBreak(entry.seq, BreakKind.INSERTED,
                                         f"entry {entry.seq} does not follow entry "
                                         f"{expected_seq - 1}: inserted or replaced"))
        seen_hashes[entry.hash] = entry.seq
        prev = entry
    head_seq, head_hash = (prev.seq, prev.hash) if prev else (0, GENESIS)
    if expected_head is not None:
        seq, digest = expected_head
        if seq > head_seq:
            breaks.append(ChainBreak(head_seq + 1, BreakKind.TRUNCATED,
                                     f"the chain ends at entry {head_seq}, but entry {seq} "
                                     "was recorded as its head"))
        elif seen_hashes.get(digest) != seq:
            breaks.append(ChainBreak(seq, BreakKind.EDITED,
                                     f"entry {seq} is not the one recorded as head"))
    return Verification(entries=count, head_seq=head_seq, head_hash=head_hash,
                        breaks=tuple(breaks))

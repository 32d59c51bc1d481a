"""The access audit log: what one entry says, and how the whole log is checked.

Every read that decrypts PD, every write and every destruction is recorded
with actor, subjects, categories, purpose and request id (Order 179/НҚ:
logging of user actions with PD). Entries form a keyed hash chain
(:mod:`derbes.platform.chain`); the hash covers every stored column except the
sequence number and the two hashes, which the chain link covers itself.

:func:`verify_log` runs :func:`derbes.platform.chain.verify` and then makes the
answer more precise for a log kept in a database table, where the sequence
number is a column anyone with write access could change:

* an entry that fails its hash but is genuine under another sequence number
  was moved: ``reordered`` (rows swapped, or renumbered around an insertion);
* an entry after the head the writer recorded (``audit_head``) that fails its
  hash was not written by the writer: ``inserted``; a recorded head past the
  end of the log: ``truncated``.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from derbes.platform.chain import (
    GENESIS,
    BreakKind,
    ChainBreak,
    ChainEntry,
    Verification,
    canonical,
    link,
    verify,
)


class AuditAction(StrEnum):
    SUBJECT_READ = "subject.read"
    SUBJECT_WRITE = "subject.write"
    SUBJECT_DESTROY = "subject.destroy"
    SUBJECT_BLOCK = "subject.block"
    SUBJECT_FIND = "subject.find"


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("audit entries need a timezone-aware instant")
    return at.astimezone(UTC)


@dataclass(frozen=True)
class AuditRecord:
    """What to log: one action of one actor on zero or more subjects.

    ``details`` must be JSON data; it never holds PD in clear (subjects are
    named by their internal id, values not at all).
    """

    at: datetime
    actor: str
    action: str
    subject_ids: Sequence[str] = ()
    categories: Sequence[str] = ()
    purpose: str | None = None
    request_id: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", _aware(self.at))
        object.__setattr__(self, "subject_ids", tuple(self.subject_ids))
        object.__setattr__(self, "categories", tuple(self.categories))
        if not self.actor:
            raise ValueError("an audit record names its actor")
        if not self.action:
            raise ValueError("an audit record names its action")
        # What is hashed must be what is stored: round-trip details through JSON
        # now (dates become ISO text), so reading them back gives the same bytes.
        object.__setattr__(self, "details", json.loads(canonical(dict(self.details))))


@dataclass(frozen=True)
class AuditEntry:
    """A stored entry: the record's columns, its place in the chain and its hashes."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject_ids: tuple[str, ...]
    subject_count: int
    categories: tuple[str, ...]
    purpose: str | None
    request_id: str | None
    details: Mapping[str, Any]
    prev_hash: str
    hash: str

    def payload(self) -> dict[str, Any]:
        return entry_payload(self, self.subject_count)

    def chain_entry(self) -> ChainEntry:
        return ChainEntry(seq=self.seq, prev_hash=self.prev_hash, hash=self.hash,
                          payload=self.payload())


def entry_payload(item: AuditRecord | AuditEntry, subject_count: int) -> dict[str, Any]:
    """The hashed part of an entry: every column but seq, prev_hash and hash."""
    return {
        "at": _aware(item.at).isoformat(),
        "actor": item.actor,
        "action": item.action,
        "subject_ids": list(item.subject_ids),
        "subject_count": subject_count,
        "categories": list(item.categories),
        "purpose": item.purpose,
        "request_id": item.request_id,
        "details": dict(item.details),
    }


def chain_records(
    key: bytes, head: tuple[int, str], records: Iterable[AuditRecord]
) -> list[AuditEntry]:
    """The entries that append ``records`` after the entry ``head`` = (seq, hash)."""
    seq, prev_hash = head
    out: list[AuditEntry] = []
    for record in records:
        seq += 1
        subject_count = len(record.subject_ids)
        payload = entry_payload(record, subject_count)
        digest = link(key, seq, prev_hash, payload)
        out.append(AuditEntry(
            seq=seq, at=record.at, actor=record.actor, action=record.action,
            subject_ids=tuple(record.subject_ids), subject_count=subject_count,
            categories=tuple(record.categories), purpose=record.purpose,
            request_id=record.request_id, details=record.details,
            prev_hash=prev_hash, hash=digest,
        ))
        prev_hash = digest
    return out


# Re-examining entries costs one fetch each; a wrong key fails every entry, so
# the refinement stops after this many (the breaks themselves are all reported).
_MAX_REFINED = 200


class _Index:
    """Stored hash -> (stored seq, prev_hash), built while the chain streams past."""

    def __init__(self) -> None:
        self.by_hash: dict[str, tuple[int, str]] = {}
        self._original: dict[str, int | None] = {GENESIS: 0}

    def watch(self, entries: Iterable[ChainEntry]) -> Iterator[ChainEntry]:
        for entry in entries:
            self.by_hash.setdefault(entry.hash, (entry.seq, entry.prev_hash))
            yield entry

    def original_seq(self, digest: str) -> int | None:
        """The seq the entry with this hash had when written: its distance from the start.

        Follows prev_hash links back to the genesis; None when a link leads to
        an entry that is not stored (deleted) or loops.
        """
        path: list[str] = []
        seen: set[str] = set()
        current = digest
        while current not in self._original:
            if current not in self.by_hash or current in seen:
                base: int | None = None
                break
            seen.add(current)
            path.append(current)
            current = self.by_hash[current][1]
        else:
            base = self._original[current]
        for distance, step in enumerate(reversed(path), start=1):
            self._original[step] = None if base is None else base + distance
        return self._original.get(digest)


def _moved_from(key: bytes, entry: ChainEntry, index: _Index) -> int | None:
    """The seq a genuine entry was written under, when it is stored under another one."""
    before = index.original_seq(entry.prev_hash)
    if before is None or before + 1 == entry.seq:
        return None
    expected = link(key, before + 1, entry.prev_hash, entry.payload)
    return before + 1 if hmac.compare_digest(expected, entry.hash) else None


def verify_log(
    key: bytes,
    entries: Iterable[ChainEntry],
    *,
    fetch: Callable[[int], ChainEntry | None],
    recorded_head: tuple[int, str] | None = None,
    expected_head: tuple[int, str] | None = None,
) -> Verification:
    """Check an audit log; ``entries`` in seq order, ``fetch(seq)`` re-reads one entry.

    ``recorded_head`` is the (seq, hash) the writer stored with its last append
    (``audit_head``); ``expected_head`` one kept elsewhere (printed by an
    earlier ``derbes audit verify``, or held by an auditor).
    """
    index = _Index()
    result = verify(key, index.watch(entries))
    breaks: list[ChainBreak] = []
    refined = 0
    for found in result.breaks:
        if found.kind is BreakKind.EDITED and refined < _MAX_REFINED:
            refined += 1
            entry = fetch(found.seq)
            moved = None if entry is None else _moved_from(key, entry, index)
            if moved is not None:
                breaks.append(ChainBreak(found.seq, BreakKind.REORDERED,
                                         f"entry {found.seq} is the genuine entry {moved}, "
                                         "moved out of its place"))
                continue
        breaks.append(found)

    if recorded_head is not None:
        breaks = _against_recorded_head(breaks, result, index, recorded_head)
    if expected_head is not None and expected_head != recorded_head:
        breaks.extend(_against_head(result, index, expected_head, "expected"))
    breaks.sort(key=lambda b: b.seq)
    return Verification(entries=result.entries, head_seq=result.head_seq,
                        head_hash=result.head_hash, breaks=tuple(breaks))


def _against_head(
    result: Verification, index: _Index, head: tuple[int, str], which: str
) -> list[ChainBreak]:
    seq, digest = head
    if seq > result.head_seq:
        return [ChainBreak(result.head_seq + 1, BreakKind.TRUNCATED,
                           f"the log ends at entry {result.head_seq}, but entry {seq} "
                           f"is the {which} head: entries at the end were deleted")]
    if seq == 0:
        return [] if digest == GENESIS else [
            ChainBreak(0, BreakKind.EDITED, f"the {which} head is not a chain head")]
    stored = index.by_hash.get(digest)
    if stored is None or stored[0] != seq:
        return [ChainBreak(seq, BreakKind.EDITED,
                           f"entry {seq} is not the one recorded as the {which} head")]
    return []


def _against_recorded_head(
    breaks: list[ChainBreak], result: Verification, index: _Index, head: tuple[int, str]
) -> list[ChainBreak]:
    seq = head[0]
    out = list(breaks)
    out.extend(_against_head(result, index, head, "recorded"))
    if seq >= result.head_seq:
        return out
    # The writer moves the head with every append in the same transaction, so
    # entries past it were put there some other way.
    relabelled: list[ChainBreak] = []
    for found in out:
        if found.seq > seq and found.kind is BreakKind.EDITED:
            relabelled.append(ChainBreak(found.seq, BreakKind.INSERTED,
                                         f"entry {found.seq} was added after the recorded "
                                         f"head (entry {seq}) and its hash does not match"))
        else:
            relabelled.append(found)
    # Genuine entries past the head are appends that committed while the log
    # was being read (the head is read first); only a key holder can make them.
    return relabelled

"""Anchors: a chain's head written, signed, where the database cannot rewrite it.

A hash chain proves that no entry was edited, inserted or moved, but not that
the chain still has its end: someone who can write to the database can delete
the last entries and move the head row back (or empty the log and zero the
head), and what is left verifies. An anchor is the head — sequence number,
hash, time — signed with a key from the key store and written outside the
database (an append-only file outside ``var/``, syslog, an HTTP endpoint).
Verification then checks that the chain still holds the latest anchored
entry: a tail cut together with its head row, and a full reset, both show.

Anchors of several installations may share a file or a syslog stream:
``instance`` (a fingerprint of the audit key, not the key) tells them apart.
The signature is HMAC-SHA-256 under a key derived from the audit key, so an
anchor line cannot be forged or edited without the key store.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from derbes.platform.chain import GENESIS, BreakKind, ChainBreak

__all__ = [
    "Anchor",
    "Chain",
    "Latest",
    "against_chain",
    "anchor_key",
    "authentic",
    "instance_id",
    "latest",
    "parse_line",
    "sign",
    "to_line",
]

_KEY_LABEL = b"derbes/anchor/v1"
_INSTANCE_LABEL = b"derbes/instance/v1"
VERSION = 1


class Chain(StrEnum):
    AUDIT = "audit"  # the access audit log
    LEDGER = "ledger"  # the consent ledger


def anchor_key(audit_key: bytes) -> bytes:
    """The key anchors are signed with, derived from the audit-chain key."""
    return hmac.new(audit_key, _KEY_LABEL, hashlib.sha256).digest()


def instance_id(audit_key: bytes) -> str:
    """Names the installation in its anchors; reveals nothing of the key."""
    return hmac.new(audit_key, _INSTANCE_LABEL, hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class Anchor:
    """The head of one chain of one installation at one time, signed."""

    chain: Chain
    instance: str
    seq: int
    hash: str
    at: datetime
    signature: str = ""

    def body(self) -> dict[str, Any]:
        return {"v": VERSION, "chain": self.chain.value, "instance": self.instance,
                "seq": self.seq, "hash": self.hash,
                "at": self.at.astimezone(UTC).isoformat()}

    @property
    def head(self) -> tuple[int, str]:
        return self.seq, self.hash


def _message(anchor: Anchor) -> bytes:
    return json.dumps(anchor.body(), sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(key: bytes, anchor: Anchor) -> Anchor:
    return replace(anchor, signature=hmac.new(key, _message(anchor), hashlib.sha256).hexdigest())


def authentic(key: bytes, anchor: Anchor) -> bool:
    expected = hmac.new(key, _message(anchor), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, anchor.signature)


def to_line(anchor: Anchor) -> str:
    """One line of JSON (what the file, syslog and the URL receive)."""
    return json.dumps({**anchor.body(), "signature": anchor.signature}, sort_keys=True,
                      separators=(",", ":"))


def parse_line(line: str) -> Anchor | None:
    """An anchor from one line; None for anything else (other lines of a shared log)."""
    text = line.strip()
    start = text.find("{")
    if start < 0:
        return None
    try:
        data = json.loads(text[start:])
        if not isinstance(data, dict) or data.get("v") != VERSION:
            return None
        at = datetime.fromisoformat(str(data["at"]))
        seq, digest = data["seq"], data["hash"]
        if (not isinstance(seq, int) or isinstance(seq, bool) or seq < 0
                or not isinstance(digest, str) or at.tzinfo is None):
            return None
        return Anchor(Chain(str(data["chain"])), str(data["instance"]), seq, digest, at,
                      str(data.get("signature", "")))
    except (ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class Latest:
    """The newest authentic anchor of a chain, and how many lines failed their signature."""

    anchor: Anchor | None
    forged: int


def latest(key: bytes, instance: str, chain: Chain, lines: Iterable[str]) -> Latest:
    """The anchor with the highest sequence number (the latest written wins a tie).

    Lines of this installation and chain whose signature does not hold are
    counted, not used: an edited anchor file must not lower the bar.
    """
    best: Anchor | None = None
    forged = 0
    for line in lines:
        found = parse_line(line)
        if found is None or found.instance != instance or found.chain is not chain:
            continue
        if not authentic(key, found):
            forged += 1
            continue
        if best is None or found.seq >= best.seq:
            best = found
    return Latest(best, forged)


def against_chain(
    anchor: Anchor, head_seq: int, stored_hash: Callable[[int], str | None]
) -> ChainBreak | None:
    """Whether the chain, ending at ``head_seq``, still holds the anchored entry.

    ``stored_hash(seq)`` is the hash the chain stores at ``seq`` (None: no such
    entry).
    """
    when = anchor.at.astimezone(UTC).isoformat(timespec="seconds")
    if anchor.seq == 0:
        return None if anchor.hash == GENESIS else ChainBreak(
            0, BreakKind.EDITED, "the anchor names no entry of this chain")
    if head_seq < anchor.seq:
        what = ("the chain is empty" if head_seq == 0
                else f"the chain ends at entry {head_seq}")
        return ChainBreak(head_seq + 1, BreakKind.TRUNCATED,
                          f"{what}, but entry {anchor.seq} was anchored at {when}: entries "
                          "at the end were deleted and the head moved back")
    found = stored_hash(anchor.seq)
    if found is None:
        return ChainBreak(anchor.seq, BreakKind.DELETED,
                          f"entry {anchor.seq}, anchored at {when}, is gone")
    if not hmac.compare_digest(found, anchor.hash):
        return ChainBreak(anchor.seq, BreakKind.EDITED,
                          f"entry {anchor.seq} is not the one anchored at {when}")
    return None

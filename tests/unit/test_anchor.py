"""Anchors: signed heads, parsed back from shared logs, checked against a chain."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from derbes.integrity.model.anchor import (
    Anchor,
    Chain,
    against_chain,
    anchor_key,
    authentic,
    instance_id,
    latest,
    parse_line,
    sign,
    to_line,
)
from derbes.platform.chain import GENESIS, BreakKind

AUDIT_KEY = b"unit tests audit key, 32 bytes!!"
KEY = anchor_key(AUDIT_KEY)
ME = instance_id(AUDIT_KEY)
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _anchor(seq: int, digest: str = "a" * 64, chain: Chain = Chain.LEDGER,
            at: datetime = T0) -> Anchor:
    return sign(KEY, Anchor(chain, ME, seq, digest, at))


def test_a_line_round_trips_and_keeps_its_signature() -> None:
    anchor = _anchor(12)
    line = to_line(anchor)
    assert parse_line(line) == anchor
    assert authentic(KEY, anchor)
    # In a syslog stream the line comes after a header.
    assert parse_line(f"<85>1 - host derbes-anchor - - - {line}") == anchor


def test_an_edited_line_fails_its_signature() -> None:
    data = json.loads(to_line(_anchor(12)))
    data["seq"] = 3
    edited = parse_line(json.dumps(data))
    assert edited is not None and not authentic(KEY, edited)


def test_the_instance_id_reveals_nothing_of_the_key() -> None:
    assert ME not in AUDIT_KEY.hex() and len(ME) == 16
    assert instance_id(b"another audit key of 32 bytes!!!") != ME


@given(st.text(max_size=200))
def test_any_other_line_is_ignored(text: str) -> None:
    found = parse_line(text)
    assert found is None or isinstance(found, Anchor)


def test_latest_takes_the_highest_authentic_anchor_of_this_installation_and_chain() -> None:
    other = sign(anchor_key(b"another audit key of 32 bytes!!!"),
                 Anchor(Chain.LEDGER, instance_id(b"another audit key of 32 bytes!!!"), 99,
                        "c" * 64, T0))
    forged = replace(_anchor(50), signature="0" * 64)
    lines = [to_line(_anchor(3)), "not an anchor", to_line(_anchor(7, chain=Chain.AUDIT)),
             to_line(_anchor(5, at=T0 + timedelta(minutes=5))), to_line(other),
             to_line(forged)]
    found = latest(KEY, ME, Chain.LEDGER, lines)
    assert found.anchor is not None and found.anchor.seq == 5
    assert found.forged == 1
    assert latest(KEY, ME, Chain.AUDIT, lines).anchor == _anchor(7, chain=Chain.AUDIT)
    assert latest(KEY, ME, Chain.LEDGER, []).anchor is None


def test_against_a_chain() -> None:
    chain = {seq: f"{seq:064x}" for seq in range(1, 11)}
    anchor = _anchor(8, chain[8])
    assert against_chain(anchor, 10, chain.get) is None
    cut = against_chain(anchor, 6, chain.get)
    assert cut is not None and cut.kind is BreakKind.TRUNCATED and cut.seq == 7
    reset = against_chain(anchor, 0, lambda seq: None)
    assert reset is not None and reset.kind is BreakKind.TRUNCATED
    assert "empty" in reset.message
    replaced = against_chain(anchor, 10, {**chain, 8: "f" * 64}.get)
    assert replaced is not None and replaced.kind is BreakKind.EDITED
    gone = against_chain(anchor, 10, {k: v for k, v in chain.items() if k != 8}.get)
    assert gone is not None and gone.kind is BreakKind.DELETED
    assert against_chain(_anchor(0, GENESIS), 0, chain.get) is None

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from derbes.platform.chain import BreakKind, ChainEntry, append, verify

KEY = b"k" * 32


def _chain(n: int) -> list[ChainEntry]:
    entries: list[ChainEntry] = []
    for i in range(n):
        entries.append(append(KEY, entries[-1] if entries else None,
                              {"actor": f"staff-{i % 3}", "action": "read", "n": i}))
    return entries


def test_an_intact_chain_verifies() -> None:
    result = verify(KEY, _chain(10))
    assert result.ok
    assert result.entries == 10
    assert result.head_seq == 10


def test_edit_is_found_where_it_is() -> None:
    entries = _chain(10)
    entries[4] = dataclasses.replace(entries[4], payload={**entries[4].payload, "action": "write"})
    result = verify(KEY, entries)
    assert [(b.seq, b.kind) for b in result.breaks] == [(5, BreakKind.EDITED)]


def test_edit_and_rehash_without_the_key_is_still_found() -> None:
    entries = _chain(6)
    forged = append(b"wrong key" * 4, entries[1], {"actor": "x", "action": "read", "n": 2})
    entries[2] = forged
    result = verify(KEY, entries)
    assert result.breaks[0].seq == 3
    assert result.breaks[0].kind is BreakKind.EDITED


def test_deletion_is_a_gap() -> None:
    entries = _chain(8)
    del entries[3]
    result = verify(KEY, entries)
    assert [(b.seq, b.kind) for b in result.breaks] == [(4, BreakKind.DELETED)]


def test_insertion_is_found() -> None:
    entries = _chain(5)
    # A well-formed entry whose predecessor is another chain's entry 2.
    other = _chain(2)
    intruder = append(KEY, dataclasses.replace(other[1], hash="f" * 64), {"n": "intruder"})
    entries[2] = intruder
    result = verify(KEY, entries)
    assert any(b.kind is BreakKind.INSERTED and b.seq == 3 for b in result.breaks)


def test_reordering_is_found() -> None:
    entries = _chain(6)
    entries[2], entries[3] = entries[3], entries[2]
    result = verify(KEY, entries)
    assert not result.ok
    assert any(b.kind in (BreakKind.REORDERED, BreakKind.DELETED) for b in result.breaks)


def test_truncated_tail_is_found_against_a_recorded_head() -> None:
    entries = _chain(6)
    head = (entries[-1].seq, entries[-1].hash)
    result = verify(KEY, entries[:4], expected_head=head)
    assert [b.kind for b in result.breaks] == [BreakKind.TRUNCATED]
    assert verify(KEY, entries, expected_head=head).ok


@given(st.integers(min_value=2, max_value=30), st.data())
def test_any_single_payload_change_is_found(n: int, data: st.DataObject) -> None:
    entries = _chain(n)
    i = data.draw(st.integers(min_value=0, max_value=n - 1))
    entries[i] = dataclasses.replace(entries[i], payload={**entries[i].payload, "n": -1})
    breaks = verify(KEY, entries).breaks
    assert breaks and breaks[0].seq == i + 1

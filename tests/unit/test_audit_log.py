"""The access audit log through the fake unit of work: chaining, rollback, tampering."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from derbes.audit import service as audit
from derbes.audit.model.log import AuditAction, AuditRecord, chain_records
from derbes.errors import ConfigurationError, InputError
from derbes.platform.chain import GENESIS, BreakKind, link
from derbes.testing.audit import FAKE_AUDIT_KEY
from derbes.testing.uow import FakeUnitOfWork

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _record(i: int, *, actor: str = "staff-1", subjects: tuple[str, ...] = ()) -> AuditRecord:
    return AuditRecord(
        at=T0 + timedelta(seconds=i), actor=actor, action=AuditAction.SUBJECT_READ,
        subject_ids=subjects or (f"sub-{i}",), categories=("iin", "phone"),
        purpose="credit_scoring", request_id=f"req-{i}", details={"n": i},
    )


def _filled(n: int) -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    with uow:
        for i in range(1, n + 1):
            uow.audit.record(_record(i))
        uow.commit()
    return uow


def _kinds(uow: FakeUnitOfWork) -> list[tuple[int, BreakKind]]:
    return [(b.seq, b.kind) for b in audit.verify(uow, FAKE_AUDIT_KEY).breaks]


def test_records_chain_and_verify() -> None:
    uow = _filled(5)
    result = audit.verify(uow, FAKE_AUDIT_KEY)
    assert result.ok
    assert result.entries == 5
    assert (result.head_seq, result.head_hash) == uow.fake_audit.recorded_head
    first = uow.fake_audit.rows[0]
    assert first.seq == 1 and first.prev_hash == GENESIS
    assert first.hash == link(FAKE_AUDIT_KEY, 1, GENESIS, first.payload())
    assert [e.prev_hash for e in uow.fake_audit.rows[1:]] == [
        e.hash for e in uow.fake_audit.rows[:-1]
    ]


def test_payload_is_every_column_but_seq_and_hashes() -> None:
    entry = _filled(1).fake_audit.rows[0]
    assert set(entry.payload()) == {
        "at", "actor", "action", "subject_ids", "subject_count", "categories", "purpose",
        "request_id", "details",
    }
    assert entry.payload()["at"] == "2026-01-05T09:00:01+00:00"
    assert entry.subject_count == 1


def test_an_empty_log_verifies() -> None:
    result = audit.verify(FakeUnitOfWork(), FAKE_AUDIT_KEY)
    assert result.ok and result.entries == 0 and result.head_hash == GENESIS


def test_rollback_removes_the_entry_and_restores_the_head() -> None:
    uow = _filled(2)
    head = uow.fake_audit.recorded_head
    with uow:
        uow.audit.record(_record(3))
    assert len(uow.fake_audit.rows) == 2
    assert uow.fake_audit.recorded_head == head
    with uow:
        uow.audit.record(_record(3))
        uow.commit()
    assert audit.verify(uow, FAKE_AUDIT_KEY).ok


def test_record_many_chains_in_order_with_one_head() -> None:
    uow = _filled(1)
    with uow:
        entries = uow.audit.record_many([_record(2), _record(3), _record(4)])
        assert uow.audit.record_many([]) == []
        uow.commit()
    assert [e.seq for e in entries] == [2, 3, 4]
    assert uow.fake_audit.recorded_head == (4, entries[-1].hash)
    assert audit.verify(uow, FAKE_AUDIT_KEY).ok


def test_one_entry_for_a_batch_lists_every_subject() -> None:
    uow = FakeUnitOfWork()
    ids = tuple(f"sub-{i}" for i in range(5000))
    with uow:
        entry = uow.audit.record(_record(1, subjects=ids))
        uow.commit()
    assert entry.subject_count == 5000
    assert audit.verify(uow, FAKE_AUDIT_KEY).ok
    # Dropping one subject from the batch entry is an edit.
    uow.fake_audit.rows[0] = dataclasses.replace(entry, subject_ids=ids[1:])
    assert _kinds(uow) == [(1, BreakKind.EDITED)]


def test_without_a_key_the_log_cannot_be_written() -> None:
    uow = FakeUnitOfWork(audit_key=None)
    with uow, pytest.raises(ConfigurationError, match="no audit key"):
        uow.audit.record(_record(1))


def test_the_key_is_fetched_once_and_only_when_writing() -> None:
    calls: list[int] = []

    def fetch() -> bytes:
        calls.append(1)
        return FAKE_AUDIT_KEY

    uow = FakeUnitOfWork(audit_key=fetch)
    with uow:
        assert uow.audit.head() == (0, GENESIS)
        assert calls == []
        uow.audit.record(_record(1))
        uow.audit.record(_record(2))
        uow.commit()
    assert calls == [1]
    assert audit.verify(uow, FAKE_AUDIT_KEY).ok


def test_a_wrong_key_fails_every_entry() -> None:
    uow = _filled(3)
    result = audit.verify(uow, b"another key of thirty-two bytes!")
    assert [(b.seq, b.kind) for b in result.breaks] == [
        (1, BreakKind.EDITED), (2, BreakKind.EDITED), (3, BreakKind.EDITED)]


def test_an_edited_entry_is_found() -> None:
    uow = _filled(6)
    rows = uow.fake_audit.rows
    rows[3] = dataclasses.replace(rows[3], purpose="marketing")
    assert _kinds(uow) == [(4, BreakKind.EDITED)]


def test_a_deleted_entry_is_found() -> None:
    uow = _filled(6)
    del uow.fake_audit.rows[2]
    assert _kinds(uow) == [(3, BreakKind.DELETED)]


def test_a_deleted_tail_is_found_against_the_recorded_head() -> None:
    uow = _filled(6)
    del uow.fake_audit.rows[-2:]
    assert _kinds(uow) == [(5, BreakKind.TRUNCATED)]


def test_an_entry_appended_behind_the_writers_back_is_inserted() -> None:
    uow = _filled(4)
    last = uow.fake_audit.rows[-1]
    forged = dataclasses.replace(last, seq=5, prev_hash=last.hash, actor="intruder",
                                 hash="f" * 64)
    uow.fake_audit.rows.append(forged)
    assert _kinds(uow) == [(5, BreakKind.INSERTED)]


def test_swapped_entries_are_reordered() -> None:
    uow = _filled(6)
    rows = uow.fake_audit.rows
    rows[1], rows[2] = (dataclasses.replace(rows[2], seq=2), dataclasses.replace(rows[1], seq=3))
    result = audit.verify(uow, FAKE_AUDIT_KEY)
    # 2 and 3 are genuine entries in each other's place; 4 now follows entry 2.
    assert [(b.seq, b.kind) for b in result.breaks] == [
        (2, BreakKind.REORDERED), (3, BreakKind.REORDERED), (4, BreakKind.REORDERED)]
    assert "genuine entry 3" in result.breaks[0].message
    assert "genuine entry 2" in result.breaks[1].message


def test_an_expected_head_kept_elsewhere_catches_a_rewound_head() -> None:
    uow = _filled(5)
    kept = uow.fake_audit.recorded_head
    del uow.fake_audit.rows[-1]
    uow.fake_audit.recorded_head = (4, uow.fake_audit.rows[-1].hash)  # the attacker rewinds
    assert audit.verify(uow, FAKE_AUDIT_KEY).ok
    result = audit.verify(uow, FAKE_AUDIT_KEY, expected_head=kept)
    assert [(b.seq, b.kind) for b in result.breaks] == [(5, BreakKind.TRUNCATED)]


def test_entries_past_the_head_that_verify_are_concurrent_appends() -> None:
    # verify reads the head first; an append committed meanwhile is genuine.
    uow = _filled(3)
    head = uow.fake_audit.recorded_head
    [extra] = chain_records(FAKE_AUDIT_KEY, head, [_record(4)])
    uow.fake_audit.rows.append(extra)
    assert audit.verify(uow, FAKE_AUDIT_KEY).ok


def test_details_are_stored_as_json_and_hashed_as_stored() -> None:
    record = AuditRecord(at=T0, actor="a", action="subject.write",
                         details={"when": T0, "fields": ("x", "y")})
    assert record.details == {"when": "2026-01-05T09:00:00+00:00", "fields": ["x", "y"]}


def test_records_need_an_aware_time_an_actor_and_an_action() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        AuditRecord(at=datetime(2026, 1, 5), actor="a", action="subject.read")
    with pytest.raises(ValueError, match="actor"):
        AuditRecord(at=T0, actor="", action="subject.read")
    with pytest.raises(ValueError, match="action"):
        AuditRecord(at=T0, actor="a", action="")


def test_show_filters_newest_first() -> None:
    uow = FakeUnitOfWork()
    with uow:
        uow.audit.record(_record(1, subjects=("s-1", "s-2")))
        uow.audit.record(_record(2, actor="staff-2", subjects=("s-2",)))
        uow.audit.record(_record(3, subjects=("s-3",)))
        uow.commit()
    assert [e.seq for e in audit.show(uow, subject_id="s-2")] == [2, 1]
    assert [e.seq for e in audit.show(uow, actor="staff-1")] == [3, 1]
    assert [e.seq for e in audit.show(uow, limit=1)] == [3]
    with pytest.raises(InputError):
        audit.show(uow, limit=0)


def test_parse_head() -> None:
    assert audit.parse_head(f"12:{'a' * 64}") == (12, "a" * 64)
    for bad in ("12", f"x:{'a' * 64}", "12:abc", f"12:{'A' * 64}"):
        with pytest.raises(InputError):
            audit.parse_head(bad)

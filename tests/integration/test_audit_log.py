"""The access audit log on SQLite and PostgreSQL: same transaction, tampering, concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, text

from derbes.audit import service as audit
from derbes.audit.model.log import AuditRecord
from derbes.platform.chain import GENESIS, BreakKind
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.platform.tables import audit_head, audit_log, registers

KEY = b"integration audit key 32 bytes!!"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _record(i: int, actor: str = "staff-1") -> AuditRecord:
    return AuditRecord(
        at=T0 + timedelta(seconds=i, microseconds=123456), actor=actor, action="subject.read",
        subject_ids=[f"sub-{i}", f"sub-{i + 1}"], categories=["iin"], purpose="scoring",
        request_id=f"req-{i}", details={"n": i, "note": "қазақ"},
    )


@pytest.fixture
def uow(engine: Engine) -> SqlUnitOfWork:
    return SqlUnitOfWork(engine, audit_key=KEY)


@pytest.fixture
def six(engine: Engine, uow: SqlUnitOfWork) -> Engine:
    with uow:
        for i in range(1, 7):
            uow.audit.record(_record(i))
        uow.commit()
    return engine


def _breaks(engine: Engine) -> list[tuple[int, BreakKind]]:
    result = audit.verify(SqlUnitOfWork(engine), KEY)
    return [(b.seq, b.kind) for b in result.breaks]


def _tamper(engine: Engine, *statements: str) -> None:
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def test_the_migration_seeds_an_empty_head(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.execute(select(audit_head.c.id, audit_head.c.seq, audit_head.c.hash)
                                  ).all() == [(1, 0, GENESIS)]
    assert audit.verify(SqlUnitOfWork(engine), KEY).ok


def test_entries_round_trip_and_verify(six: Engine) -> None:
    result = audit.verify(SqlUnitOfWork(six), KEY)
    assert result.ok and result.entries == 6 and result.head_seq == 6
    with SqlUnitOfWork(six) as uow:
        entry = uow.audit.entry(3)
        assert uow.audit.head() == (6, result.head_hash)
    assert entry is not None
    assert entry.at == T0 + timedelta(seconds=3, microseconds=123456)
    assert entry.subject_ids == ("sub-3", "sub-4")
    assert entry.details == {"n": 3, "note": "қазақ"}


def test_the_entry_commits_and_rolls_back_with_the_change(uow: SqlUnitOfWork,
                                                          engine: Engine) -> None:
    with uow:
        uow.registers.add("example-pay", "1", "a: 1\n", T0)
        uow.audit.record(_record(1))
        # no commit: both vanish
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(registers)).scalar() == 0
        assert connection.execute(select(func.count()).select_from(audit_log)).scalar() == 0
        assert connection.execute(select(audit_head.c.seq)).scalar() == 0

    with uow:
        uow.registers.add("example-pay", "1", "a: 1\n", T0)
        uow.audit.record(_record(1))
        uow.commit()
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(registers)).scalar() == 1
        assert connection.execute(select(func.count()).select_from(audit_log)).scalar() == 1
        assert connection.execute(select(audit_head.c.seq)).scalar() == 1


def test_an_exception_rolls_back_the_entry(uow: SqlUnitOfWork, engine: Engine) -> None:
    def fail_after_recording() -> None:
        with uow:
            uow.audit.record(_record(1))
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        fail_after_recording()
    assert audit.verify(SqlUnitOfWork(engine), KEY).entries == 0


def test_an_edited_row_is_found(six: Engine) -> None:
    _tamper(six, "UPDATE audit_log SET purpose = 'marketing' WHERE seq = 4")
    assert _breaks(six) == [(4, BreakKind.EDITED)]


def test_an_edited_subject_list_is_found(six: Engine) -> None:
    _tamper(six, """UPDATE audit_log SET subject_ids = '["sub-2"]' WHERE seq = 2""")
    assert _breaks(six) == [(2, BreakKind.EDITED)]


def test_a_deleted_row_is_found(six: Engine) -> None:
    _tamper(six, "DELETE FROM audit_log WHERE seq = 3")
    assert _breaks(six) == [(3, BreakKind.DELETED)]


def test_a_deleted_last_row_is_found(six: Engine) -> None:
    _tamper(six, "DELETE FROM audit_log WHERE seq = 6")
    assert _breaks(six) == [(6, BreakKind.TRUNCATED)]


def test_an_inserted_row_is_found(six: Engine) -> None:
    # A forged 7th entry copying the 6th, linked to it, with a made-up hash.
    _tamper(six, f"""
        INSERT INTO audit_log (seq, at, actor, action, subject_ids, subject_count, categories,
                               purpose, request_id, details, prev_hash, hash)
        SELECT 7, at, 'intruder', action, subject_ids, subject_count, categories, purpose,
               request_id, details, hash, '{"e" * 64}'
        FROM audit_log WHERE seq = 6
    """)
    result = audit.verify(SqlUnitOfWork(six), KEY)
    assert [(b.seq, b.kind) for b in result.breaks] == [(7, BreakKind.INSERTED)]
    assert "entry 7" in result.breaks[0].message


def test_reordered_rows_are_found(six: Engine) -> None:
    _tamper(six,
            "UPDATE audit_log SET seq = 1000 WHERE seq = 2",
            "UPDATE audit_log SET seq = 2 WHERE seq = 3",
            "UPDATE audit_log SET seq = 3 WHERE seq = 1000")
    result = audit.verify(SqlUnitOfWork(six), KEY)
    assert [(b.seq, b.kind) for b in result.breaks] == [
        (2, BreakKind.REORDERED), (3, BreakKind.REORDERED), (4, BreakKind.REORDERED)]
    assert "genuine entry 3" in result.breaks[0].message


def test_a_rewritten_head_row_does_not_hide_a_cut_tail(six: Engine) -> None:
    kept = audit.verify(SqlUnitOfWork(six), KEY)
    _tamper(six,
            "DELETE FROM audit_log WHERE seq >= 5",
            "UPDATE audit_head SET seq = 4, hash = (SELECT hash FROM audit_log WHERE seq = 4)")
    assert _breaks(six) == []  # the database alone cannot tell
    result = audit.verify(SqlUnitOfWork(six), KEY, expected_head=(kept.head_seq, kept.head_hash))
    assert [(b.seq, b.kind) for b in result.breaks] == [(5, BreakKind.TRUNCATED)]


def test_search_by_subject_actor_and_action(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.audit.record(_record(1, actor="a"))  # sub-1, sub-2
        uow.audit.record(_record(2, actor="b"))  # sub-2, sub-3
        uow.audit.record(AuditRecord(at=T0, actor="a", action="subject.write",
                                     subject_ids=["sub_%"]))
        uow.commit()
    assert [e.seq for e in audit.show(uow, subject_id="sub-2")] == [2, 1]
    assert [e.seq for e in audit.show(uow, subject_id="sub_%")] == [3]  # LIKE escaped
    assert [e.seq for e in audit.show(uow, subject_id="sub")] == []
    assert [e.seq for e in audit.show(uow, actor="a", action="subject.read")] == [1]


def test_streaming_crosses_pages(engine: Engine, uow: SqlUnitOfWork) -> None:
    with uow:
        uow.audit.record_many([_record(i) for i in range(2500)])
        uow.commit()
    result = audit.verify(SqlUnitOfWork(engine), KEY)
    assert result.ok and result.entries == 2500


def test_bulk_access_alert_is_stored(engine: Engine, uow: SqlUnitOfWork) -> None:
    from derbes.audit.adapters.alert_rules import load_access_rules

    rule = load_access_rules().rule("bulk_read")
    with uow:
        for i in range(rule.max_subjects + 1):
            uow.audit.record(AuditRecord(at=T0 + timedelta(seconds=i), actor="clerk",
                                         action="subject.read", subject_ids=[f"s-{i}"]))
        now = T0 + timedelta(seconds=rule.max_subjects)
        [alert] = audit.check_bulk_access(uow, "clerk", now, rule)
        assert audit.check_bulk_access(uow, "clerk", now + timedelta(seconds=1), rule) == []
        uow.commit()
    [stored] = audit.alerts(SqlUnitOfWork(engine))
    assert stored == alert
    assert stored.count == rule.max_subjects + 1
    assert stored.first_at == T0 and stored.last_at == now
    assert "179/НҚ" in stored.details["citation"]


def test_concurrent_appends_keep_one_valid_chain(engine: Engine) -> None:
    threads_n, per_thread = 4, 25
    barrier = threading.Barrier(threads_n)
    failures: list[BaseException] = []

    def append(actor: str) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with SqlUnitOfWork(engine, audit_key=KEY) as uow:
                    uow.audit.record(_record(i, actor=actor))
                    uow.commit()
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    workers = [threading.Thread(target=append, args=(f"t{n}",)) for n in range(threads_n)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    result = audit.verify(SqlUnitOfWork(engine), KEY)
    assert result.ok, result.breaks
    assert result.entries == threads_n * per_thread

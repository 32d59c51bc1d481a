"""Units of work under contention, on SQLite and PostgreSQL.

The failure that used to reach clients as a 500: a SQLite transaction that reads
and then writes, while other writers commit in between. Units of work now take
the write lock up front and queue; what contention remains (a lock held past the
busy timeout, a PostgreSQL deadlock) is a DatabaseBusyError with nothing stored.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, insert, select

from derbes.access.model import Scope
from derbes.access.model.api_keys import StoredApiKey
from derbes.errors import DatabaseBusyError
from derbes.platform import db
from derbes.platform.db import make_engine
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.platform.tables import api_keys

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# Contention of one backend's own kind: a file lock of another process (SQLite), a
# deadlock between two writers (PostgreSQL; SQLite has one writer and cannot deadlock).
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
postgresql_only = pytest.mark.parametrize(
    "db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


def _key(key_id: str) -> StoredApiKey:
    return StoredApiKey(key_id=key_id, name="t", secret_sha256="0" * 64,
                        scopes=frozenset({Scope.READ}), operator_id=None, created_at=AT)


def _key_row(key_id: str) -> dict[str, object]:
    return {"key_id": key_id, "name": "t", "secret_sha256": "0" * 64, "scopes": '["read"]',
            "operator_id": None, "created_at": AT, "last_used_at": None, "revoked_at": None,
            "owner": "service:t"}


def _add(engine: Engine, key_id: str) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.api_keys.add(_key(key_id))
        uow.commit()


def _count(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(api_keys)).scalar_one())


@pytest.fixture
def short_wait(db_url: str) -> Iterator[Engine]:
    """An engine whose writers wait one second for the lock."""
    engine = make_engine(db_url, busy_timeout=1.0)
    yield engine
    engine.dispose()


def test_read_then_write_transactions_in_many_threads_all_commit(engine: Engine) -> None:
    # Each unit reads the table, then writes a row: the pattern that SQLite refused at
    # once ("database is locked") when another writer had committed after the read.
    failures: list[BaseException] = []
    start = threading.Barrier(16)

    def work(i: int) -> None:
        start.wait()
        try:
            for j in range(10):
                with SqlUnitOfWork(engine) as uow:
                    uow.api_keys.list()
                    uow.api_keys.add(_key(f"k{i:02d}{j:02d}"))
                    uow.commit()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert _count(engine) == 160


def test_a_nested_unit_of_work_in_the_same_thread_does_not_wait_for_itself(
        engine: Engine) -> None:
    with SqlUnitOfWork(engine) as outer:  # holds the write lock
        with SqlUnitOfWork(engine) as inner:
            assert inner.api_keys.get("nobody") is None
        outer.api_keys.add(_key("outer"))
        outer.commit()
    assert _count(engine) == 1


def test_a_read_only_unit_reads_while_a_writer_holds_the_lock_and_cannot_commit(
        engine: Engine) -> None:
    with SqlUnitOfWork(engine) as writer:
        writer.api_keys.add(_key("pending"))
        seen: list[object] = []

        def read() -> None:
            with SqlUnitOfWork(engine, read_only=True) as reader:
                seen.append(reader.api_keys.get("pending"))
                try:
                    reader.commit()
                except RuntimeError as exc:
                    seen.append(exc)

        t = threading.Thread(target=read)
        t.start()
        t.join(timeout=20)
        assert not t.is_alive()  # it did not queue behind the writer
        writer.commit()
    assert seen[0] is None  # the uncommitted row is not visible
    assert isinstance(seen[1], RuntimeError)


@sqlite_only
def test_sqlite_lock_held_past_the_busy_timeout_is_busy_and_stores_nothing(
        db_url: str, short_wait: Engine) -> None:
    other = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process writing, for a long time
        with pytest.raises(DatabaseBusyError) as caught:
            _add(short_wait, "lost")
        assert caught.value.retry_after >= 1
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert _count(short_wait) == 0
    # Once the other writer is gone, the same work goes through.
    _add(short_wait, "later")
    assert _count(short_wait) == 1


@sqlite_only
def test_sqlite_writer_waits_for_a_short_lock_of_another_process(db_url: str) -> None:
    engine = make_engine(db_url, busy_timeout=30.0)
    other = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None,
                            check_same_thread=False)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE audit_head SET seq = seq WHERE id = 1")
        release = threading.Timer(0.5, lambda: other.execute("COMMIT"))
        release.start()
        with SqlUnitOfWork(engine) as uow:  # waits for the other writer, then goes on
            uow.api_keys.add(_key("mine"))
            uow.commit()
        release.join()
    finally:
        other.close()
        engine.dispose()
    assert _count(make_engine(db_url)) == 1


@postgresql_only
def test_postgresql_deadlock_victim_is_busy_and_the_other_commits(engine: Engine) -> None:
    with engine.begin() as c:
        c.execute(insert(api_keys), [_key_row("a"), _key_row("b")])
    both_locked_one = threading.Barrier(2)
    outcomes: dict[str, BaseException | None] = {}

    def work(first: str, second: str) -> None:
        try:
            with SqlUnitOfWork(engine) as uow:
                uow.api_keys.revoke(first, AT)
                both_locked_one.wait(timeout=20)
                uow.api_keys.revoke(second, AT.replace(hour=10 if first == "a" else 11))
                uow.commit()
            outcomes[first] = None
        except BaseException as exc:
            outcomes[first] = exc

    threads = [threading.Thread(target=work, args=p) for p in (("a", "b"), ("b", "a"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    errors = [e for e in outcomes.values() if e is not None]
    assert len(outcomes) == 2 and len(errors) == 1
    assert isinstance(errors[0], DatabaseBusyError)
    assert "40P01" in errors[0].message
    winner = next(k for k, e in outcomes.items() if e is None)
    with engine.connect() as c:
        revoked = set(c.execute(select(api_keys.c.revoked_at)).scalars())
    # Both rows carry the winner's times: the victim's first update was rolled back too.
    assert revoked == {AT, AT.replace(hour=10 if winner == "a" else 11)}


def test_busy_error_names_only_contention() -> None:
    locked = sqlite3.OperationalError("database is locked")
    locked.sqlite_errorcode = 5  # type: ignore[attr-defined]
    snapshot = sqlite3.OperationalError("database is locked")
    snapshot.sqlite_errorcode = 517  # type: ignore[attr-defined]  # SQLITE_BUSY_SNAPSHOT
    other = sqlite3.OperationalError("no such table: x")
    other.sqlite_errorcode = 1  # type: ignore[attr-defined]
    assert db.busy_error(locked) is not None
    assert db.busy_error(snapshot) is not None
    assert db.busy_error(other) is None
    assert db.busy_error(ValueError("database is locked")) is None

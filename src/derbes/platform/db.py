"""Engines for the two supported databases: embedded SQLite and PostgreSQL.

``make_engine`` is the only place that knows driver quirks: which DBAPI driver
a URL gets, and what a fresh SQLite connection must be told before use.

Concurrent writers. SQLite has one writer at a time. A transaction that reads
first and writes later cannot wait for the lock: under WAL, if another writer
committed since its read, SQLite refuses the upgrade at once ("database is
locked", whatever the busy timeout). So a transaction that may write takes the
lock up front (``BEGIN IMMEDIATE``, :func:`claim_writer`), and in one process
the writers queue on a lock of their own first (no polling of the database
file); other processes wait through the busy timeout. On PostgreSQL writers
run side by side; what the database may refuse there (a deadlock victim, a
serialization failure) is reported as :class:`~derbes.errors.DatabaseBusyError`
like a lock that stayed busy (:func:`busy_error`), so the caller can retry the
whole unit of work: nothing of it was stored.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from derbes.errors import ConfigurationError, DatabaseBusyError
from derbes.platform.files import private_dir, tighten_sqlite

# How long a writer waits for the lock by default before the database is called busy.
DEFAULT_BUSY_TIMEOUT = 30.0
# The execution option that makes the next transaction on a SQLite connection immediate.
_IMMEDIATE = "derbes_begin_immediate"
# SQLite result codes meaning "locked by someone else" (primary codes; the extended
# ones, e.g. SQLITE_BUSY_SNAPSHOT = 517, carry them in their low byte).
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
# PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
_PG_RETRYABLE = frozenset({"40001", "40P01", "55P03"})
_BEGIN_ATTEMPTS = 3  # a writer that finds the lock busy past the timeout tries again

# ``postgresql://`` (what libpq, psql and most hosting panels print) would pick
# psycopg2, which derbes does not install; psycopg 3 is the one driver we ship.
_POSTGRES_ALIASES = {"postgres", "postgresql", "postgresql+psycopg"}


def parse_url(url: str | URL) -> URL:
    """Parse a database URL and pin PostgreSQL URLs to the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError("database URL does not parse", field="database_url") from exc
    if parsed.drivername in _POSTGRES_ALIASES:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def display_url(url: str | URL) -> str:
    """The URL as it may be printed or logged: the password is hidden."""
    return parse_url(url).render_as_string(hide_password=True)


def is_sqlite(url: str | URL) -> bool:
    return parse_url(url).get_backend_name() == "sqlite"


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    if url.query.get("mode") == "memory":
        return None
    return Path(database)


def _sqlite_connect_hook(busy_timeout: float, wal: bool) -> Any:
    milliseconds = max(0, int(busy_timeout * 1000))

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module, which would
        # otherwise run DDL outside transactions and break SAVEPOINT; SQLAlchemy
        # emits BEGIN itself (``_on_sqlite_begin``), so a failed migration, unit
        # of work or erasure rolls back completely.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # SQLite leaves foreign keys off unless every connection asks for them.
            cursor.execute("PRAGMA foreign_keys=ON")
            if wal:
                # WAL lets the API read while a CLI job writes; in-memory databases ignore it.
                cursor.execute("PRAGMA journal_mode=WAL")
            # A writer of another process holds the lock: wait for it, not fail.
            cursor.execute(f"PRAGMA busy_timeout={milliseconds}")
        finally:
            cursor.close()

    return on_connect


def sqlite_transactions(engine: Engine, busy_timeout: float, *, wal: bool) -> None:
    """Make SQLAlchemy begin every transaction on ``engine``'s SQLite connections, with
    foreign keys enforced and a writer waiting up to ``busy_timeout`` seconds for another
    one. ``wal``: switch the file to write-ahead logging (derbes's own database; a file
    derbes only visits keeps the journal mode its owner chose)."""
    event.listen(engine, "connect", _sqlite_connect_hook(busy_timeout, wal))
    event.listen(engine, "begin", _on_sqlite_begin)


def _on_sqlite_begin(connection: Connection) -> None:
    if connection.get_execution_options().get(_IMMEDIATE):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


class _WriteGate:
    """One writer at a time on one SQLite engine of this process, queued on a lock.

    The owner is remembered, so a unit of work opened inside another one by the
    same thread (a nested read) does not wait for itself.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._owner: int | None = None

    def held_here(self) -> bool:
        return self._owner == threading.get_ident()

    def acquire(self) -> bool:
        if not self._lock.acquire(timeout=self.timeout if self.timeout > 0 else -1):
            return False
        self._owner = threading.get_ident()
        return True

    def release(self) -> None:
        self._owner = None
        self._lock.release()


_GATES: weakref.WeakKeyDictionary[Engine, _WriteGate] = weakref.WeakKeyDictionary()
_GATES_LOCK = threading.Lock()


def _gate(engine: Engine) -> _WriteGate:
    with _GATES_LOCK:
        gate = _GATES.get(engine)
        if gate is None:  # an engine not made by make_engine: the default wait
            gate = _GATES[engine] = _WriteGate(DEFAULT_BUSY_TIMEOUT)
        return gate


def make_engine(url: str | URL, *, echo: bool = False,
                busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Engine:
    """Create an engine for ``url`` (SQLite file or PostgreSQL via psycopg 3).

    For a SQLite file the parent directory is created, so the default
    ``sqlite:///var/derbes.sqlite3`` works in a fresh checkout. ``busy_timeout``
    (seconds) is how long a SQLite writer waits for another one.
    """
    parsed = parse_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = _sqlite_file(parsed)
        if path is not None:
            if not path.parent.is_dir():
                private_dir(path.parent)
            # Files left readable by others (an older version, a tool run with umask 022).
            tighten_sqlite(path)
        engine = create_engine(parsed, echo=echo)
        sqlite_transactions(engine, busy_timeout, wal=True)
        with _GATES_LOCK:
            _GATES[engine] = _WriteGate(busy_timeout)
        return engine
    if backend == "postgresql":
        return create_engine(parsed, echo=echo, pool_pre_ping=True)
    raise ConfigurationError(
        f"unsupported database backend {backend!r}: use sqlite or postgresql",
        field="database_url",
    )


# ------------------------------------------------------------------ writers


@dataclass(frozen=True)
class WriteClaim:
    """The right to write on an engine, held until :meth:`release`.

    ``immediate``: the connection's transactions must begin with the lock taken
    (SQLite). False on PostgreSQL, and for a unit of work nested in another
    that the same thread already holds (it cannot take the lock again).
    """

    immediate: bool
    _gate: _WriteGate | None = None

    def release(self) -> None:
        if self._gate is not None:
            self._gate.release()


def claim_writer(engine: Engine) -> WriteClaim:
    """Queue for the write lock of ``engine`` in this process (SQLite only).

    Raises :class:`DatabaseBusyError` when the queue did not move within the
    busy timeout (a writer holding the lock that long is stuck or very slow).
    """
    if engine.dialect.name != "sqlite":
        return WriteClaim(immediate=False)
    gate = _gate(engine)
    if gate.held_here():
        return WriteClaim(immediate=False)
    if not gate.acquire():
        raise DatabaseBusyError(
            f"the database stayed busy for {gate.timeout:g} s (other writers); nothing was "
            "changed: retry", retry_after=max(1, int(gate.timeout // 10)))
    return WriteClaim(immediate=True, _gate=gate)


def begin(connection: Connection, claim: WriteClaim) -> None:
    """Begin a transaction on ``connection``; with an immediate claim, one that holds the
    SQLite write lock from its first statement. A lock still busy after the busy
    timeout (another process writing) is tried again, then reported as busy."""
    if claim.immediate:
        connection.execution_options(**{_IMMEDIATE: True})
    for attempt in range(1, _BEGIN_ATTEMPTS + 1):
        try:
            connection.begin()
            return
        except DBAPIError as exc:
            busy = busy_error(exc)
            if busy is None:
                raise
            if connection.in_transaction():
                connection.rollback()
            if attempt == _BEGIN_ATTEMPTS:
                raise busy from exc
            time.sleep(0.05 * attempt)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that may write, committed at the end unless it fails.

    What ``engine.begin()`` does, but on SQLite with the write lock taken up front (and
    in turn with the other writers of this process); busy is a DatabaseBusyError.
    """
    claim = claim_writer(engine)
    try:
        with engine.connect() as connection:
            begin(connection, claim)
            try:
                yield connection
                connection.commit()
            except DBAPIError as exc:
                busy = busy_error(exc)
                if busy is not None:
                    raise busy from exc
                raise
    finally:
        claim.release()


def busy_error(exc: BaseException) -> DatabaseBusyError | None:
    """The :class:`DatabaseBusyError` that ``exc`` stands for, if it is contention.

    SQLite: SQLITE_BUSY / SQLITE_LOCKED (and their extended codes). PostgreSQL:
    serialization failure, deadlock, lock not available. Anything else: None.
    The message never repeats the driver's text (it may quote a value).
    """
    orig = getattr(exc, "orig", None) if isinstance(exc, DBAPIError) else exc
    if orig is None:
        return None
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return DatabaseBusyError(
            "the database is locked by another writer; nothing was changed: retry")
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in _PG_RETRYABLE:
        return DatabaseBusyError(
            "the database stopped this transaction to let a concurrent one finish "
            f"(SQLSTATE {sqlstate}); nothing was changed: retry")
    return None


# ------------------------------------------------------------------ commits seen


class CommitCounter:
    """Commits made by units of work in one context (an API request): a request that
    committed nothing can be run again from the start without storing anything twice."""

    def __init__(self) -> None:
        self.commits = 0


_COUNTER: ContextVar[CommitCounter | None] = ContextVar("derbes_commit_counter", default=None)


@contextmanager
def counting_commits() -> Iterator[CommitCounter]:
    """Count the data-database commits made in this context (threads started from it
    with a copy of the context, as the API's worker threads are, count too)."""
    counter = CommitCounter()
    token = _COUNTER.set(counter)
    try:
        yield counter
    finally:
        _COUNTER.reset(token)


def note_commit() -> None:
    counter = _COUNTER.get()
    if counter is not None:
        counter.commits += 1

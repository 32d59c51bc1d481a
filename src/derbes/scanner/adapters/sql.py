"""Databases as scan sources, through SQLAlchemy: PostgreSQL, SQLite, MySQL.

Connections are read-only by construction, not by good behaviour: SQLite files are
opened with ``mode=ro`` (the file cannot be written through this handle, and
``query_only`` refuses writes too), PostgreSQL sessions start with
``default_transaction_read_only``, MySQL sessions with ``SESSION TRANSACTION READ
ONLY``. Only SELECTs are issued. Every table is a unit: its first ``sample`` rows (or
all of them) are read in batches, every column as text.

Errors never quote the database's message (it may carry values or the password):
the reason names the class of the failure.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, inspect, select, table
from sqlalchemy import column as sql_column
from sqlalchemy.exc import DBAPIError, NoSuchModuleError, SQLAlchemyError

from derbes.errors import ConfigurationError, SourceSkipped
from derbes.platform.db import display_url, parse_url
from derbes.scanner.ports import Batch, Unit

BATCH_ROWS = 5_000


def _sqlite_read_only(url: URL) -> Engine:
    database = url.database or ""
    path = Path(database)
    if not database or database == ":memory:" or not path.is_file():
        raise SourceSkipped(display_url(url), "no such SQLite file")
    target = f"file:{path.resolve()}?mode=ro"

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(target, uri=True, check_same_thread=False)
        connection.execute("PRAGMA query_only=ON")
        return connection

    return create_engine("sqlite://", creator=connect)


def _read_only_sessions(engine: Engine, statement: str, *, commit: bool) -> Engine:
    """``engine`` whose every new connection first runs ``statement`` (and, with
    ``commit``, ends the transaction the driver opened for it)."""

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(statement)
        finally:
            cursor.close()
        if commit:
            dbapi_connection.commit()

    event.listen(engine, "connect", on_connect)
    return engine


def read_only_engine(url: str) -> Engine:
    """An engine that cannot change the database at ``url``."""
    try:
        parsed = parse_url(url)
    except ConfigurationError:
        raise SourceSkipped("database", "the URL does not parse") from None
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            return _sqlite_read_only(parsed)
        if backend == "postgresql":
            return _read_only_sessions(
                create_engine(parsed,
                              connect_args={"options": "-c default_transaction_read_only=on"}),
                "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", commit=True)
        if backend in ("mysql", "mariadb"):
            return _read_only_sessions(create_engine(parsed), "SET SESSION TRANSACTION READ ONLY",
                                       commit=False)
    except (NoSuchModuleError, ModuleNotFoundError):
        raise SourceSkipped(display_url(parsed),
                            f"no driver for {backend} is installed") from None
    raise SourceSkipped(display_url(parsed),
                        f"unsupported database {backend!r}: use postgresql, sqlite or mysql")


def _text(value: Any) -> str:
    if value is None or isinstance(value, bytes | bytearray | memoryview):
        return ""
    return value if isinstance(value, str) else str(value)


def _binary(kind: Any) -> bool:
    try:
        return bool(kind.python_type is bytes)
    except NotImplementedError:
        return False


def _why(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    kind = type(orig).__name__ if orig is not None else type(exc).__name__
    text = f"{orig}".lower()
    if "permission denied" in text or "insufficientprivilege" in kind.lower():
        return f"no permission to read it ({kind})"
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return f"the connection was lost ({kind})"
    return f"the database refused ({kind})"


class SqlSource:
    """The tables of one database. ``sample``: rows per table (None: every row)."""

    def __init__(self, url: str, *, sample: int | None = 10_000,
                 tables: tuple[str, ...] = ()) -> None:
        self._url = url
        self._name = display_url(url) if "://" in url else "database"
        self._sample = sample
        self._only = tables
        self._engine: Engine | None = None

    @property
    def name(self) -> str:
        return self._name

    def _connect(self) -> Engine:
        if self._engine is None:
            self._engine = read_only_engine(self._url)
        return self._engine

    def units(self) -> Iterator[Unit]:
        engine = self._connect()
        try:
            inspector = inspect(engine)
            names = inspector.get_table_names()
        except SQLAlchemyError as exc:
            raise SourceSkipped(self._name, _why(exc)) from None
        for name in sorted(names):
            if self._only and name not in self._only:
                continue
            yield Unit(key=f"{self._name}#{name}#{self._sample}", source=self._name,
                       name=name, kind="table", size=0)

    def _columns(self, engine: Engine, name: str) -> list[str]:
        inspector = inspect(engine)
        return [c["name"] for c in inspector.get_columns(name) if not _binary(c["type"])]

    def read(self, unit: Unit) -> Iterator[Batch]:
        engine = self._connect()
        where = f"{self._name} › {unit.name}"
        try:
            names = self._columns(engine, unit.name)
            query: Any = select(*[sql_column(n) for n in names]).select_from(table(unit.name))
            if self._sample is not None:
                query = query.limit(self._sample)
            with engine.connect() as connection:
                result = connection.execution_options(stream_results=True).execute(query)
                first = 1
                while rows := result.fetchmany(BATCH_ROWS):
                    columns = {n: [_text(v) for v in values]
                               for n, values in zip(names, zip(*rows, strict=True),
                                                    strict=True)}
                    yield Batch(columns=columns, first=first, size=len(rows))
                    first += len(rows)
        except SQLAlchemyError as exc:
            raise SourceSkipped(where, _why(exc)) from None

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

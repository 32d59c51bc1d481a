"""Engines for the two supported databases: embedded SQLite and PostgreSQL.

``make_engine`` is the only place that knows driver quirks: which DBAPI driver
a URL gets, and what a fresh SQLite connection must be told before use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError

from derbes.errors import ConfigurationError

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


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module, which would
    # otherwise run DDL outside transactions and break SAVEPOINT; SQLAlchemy
    # emits BEGIN itself (``_on_sqlite_begin``), so a failed migration or unit
    # of work rolls back completely.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # SQLite leaves foreign keys off unless every connection asks for them.
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL lets the API read while a CLI job writes; in-memory databases ignore it.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def make_engine(url: str | URL, *, echo: bool = False) -> Engine:
    """Create an engine for ``url`` (SQLite file or PostgreSQL via psycopg 3).

    For a SQLite file the parent directory is created, so the default
    ``sqlite:///var/derbes.sqlite3`` works in a fresh checkout.
    """
    parsed = parse_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = _sqlite_file(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, echo=echo)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    if backend == "postgresql":
        return create_engine(parsed, echo=echo, pool_pre_ping=True)
    raise ConfigurationError(
        f"unsupported database backend {backend!r}: use sqlite or postgresql",
        field="database_url",
    )

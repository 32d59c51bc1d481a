"""Real databases for integration tests: a SQLite file and a PostgreSQL database.

PostgreSQL comes from ``DERBES_TEST_PG_URL`` (a server where the user may
CREATE DATABASE) or, failing that, from a throwaway cluster started with
``scripts/pg-throwaway`` when the server binaries are installed. Without
either, PostgreSQL tests are skipped locally and fail when ``CI`` is set:
a green CI must mean "passed on PostgreSQL".

Each test gets its own database, created from a template that the real
Alembic upgrade migrated once per session.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import Engine, create_engine, text

from derbes.platform import migrate
from derbes.platform.db import make_engine, parse_url
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.testing.audit import FAKE_AUDIT_KEY
from derbes.testing.uow import FakeUnitOfWork
from derbes.uow import UnitOfWork

PG_THROWAWAY = Path(__file__).resolve().parents[2] / "scripts" / "pg-throwaway"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required when CI is set: {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL: {reason} (set DERBES_TEST_PG_URL or install postgresql)")


def _admin_engine(server_url: str) -> Engine:
    return create_engine(parse_url(server_url), isolation_level="AUTOCOMMIT")


def _with_database(server_url: str, name: str) -> str:
    return parse_url(server_url).set(database=name).render_as_string(hide_password=False)


def _create_database(server_url: str, name: str, template: str | None = None) -> str:
    engine = _admin_engine(server_url)
    try:
        with engine.connect() as connection:
            suffix = f" TEMPLATE {template}" if template else ""
            connection.execute(text(f"CREATE DATABASE {name}{suffix}"))
    finally:
        engine.dispose()
    return _with_database(server_url, name)


def _drop_database(server_url: str, name: str) -> None:
    engine = _admin_engine(server_url)
    try:
        with engine.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        engine.dispose()


def _check_server(url: str) -> str | None:
    engine = _admin_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    finally:
        engine.dispose()
    return None


def _server_binaries_present() -> bool:
    # DERBES_PG_BINDIR pins the binaries, as in scripts/pg-throwaway.
    pinned = os.environ.get("DERBES_PG_BINDIR")
    if pinned:
        return (Path(pinned) / "initdb").is_file()
    return bool(glob.glob("/usr/lib/postgresql/*/bin/initdb") or shutil.which("initdb"))


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a PostgreSQL server on which the tests may create databases."""
    given = os.environ.get("DERBES_TEST_PG_URL")
    if given:
        problem = _check_server(given)
        if problem:
            # An explicit URL that does not work is a mistake, never a reason to skip.
            pytest.fail(f"DERBES_TEST_PG_URL does not connect: {problem}", pytrace=False)
        yield given
        return
    if not _server_binaries_present():
        _unavailable("no server binaries (initdb) in /usr/lib/postgresql/*/bin or on PATH")
    # A private directory per session (and per xdist worker): the cluster
    # listens only on a socket inside it, so parallel runs never collide.
    # Under /tmp: short enough for a Unix socket path, and reachable by the
    # postgres user when we run as root (TMPDIR may be private).
    base = "/tmp" if os.path.isdir("/tmp") else None
    cluster_dir = tempfile.mkdtemp(prefix="derbes-pg-", dir=base)
    env = {**os.environ, "DERBES_PG_DIR": cluster_dir}
    started = subprocess.run(
        ["bash", str(PG_THROWAWAY), "start"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    try:
        if started.returncode != 0:
            _unavailable(f"scripts/pg-throwaway start failed: {started.stderr.strip()}")
        url = started.stdout.strip().splitlines()[-1]
        problem = _check_server(url)
        if problem:
            _unavailable(f"throwaway cluster does not answer: {problem}")
        yield url
    finally:
        subprocess.run(
            ["bash", str(PG_THROWAWAY), "stop"],
            env=env,
            capture_output=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )


@pytest.fixture(scope="session")
def pg_template(pg_server_url: str) -> Iterator[str]:
    """Name of a database migrated to head once, copied for each test."""
    name = f"derbes_template_{secrets.token_hex(4)}"
    url = _create_database(pg_server_url, name)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()  # CREATE DATABASE ... TEMPLATE needs it unused
    yield name
    _drop_database(pg_server_url, name)


def _fresh_database(
    request: pytest.FixtureRequest, tmp_path: Path, *, migrated: bool
) -> Iterator[str]:
    backend: str = request.param
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'derbes.sqlite3'}"
        if migrated:
            migrate.upgrade(url)
        yield url
        return
    server: str = request.getfixturevalue("pg_server_url")
    template = request.getfixturevalue("pg_template") if migrated else None
    name = f"derbes_test_{secrets.token_hex(6)}"
    url = _create_database(server, name, template)
    try:
        yield url
    finally:
        _drop_database(server, name)


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database (no migration applied) on each backend."""
    yield from _fresh_database(request, tmp_path, migrated=False)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new database on each backend, migrated to head by the real Alembic upgrade."""
    yield from _fresh_database(request, tmp_path, migrated=True)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=[pytest.param("fake", id="fake"), *BACKENDS])
def uow_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], UnitOfWork]]:
    """Makes units of work over one store: in memory, SQLite or PostgreSQL.

    Contract tests use it so the fake and the SQL adapters are held to the
    same behaviour.
    """
    if request.param == "fake":
        fake = FakeUnitOfWork()
        yield lambda: fake
        return
    for url in _fresh_database(request, tmp_path, migrated=True):
        engine = make_engine(url)
        try:
            # The fake's audit key: writes of decision state are sealed with it on commit.
            yield lambda: SqlUnitOfWork(engine, audit_key=FAKE_AUDIT_KEY)
        finally:
            engine.dispose()

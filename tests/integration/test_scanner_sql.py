"""The database source of the PD scanner on SQLite and PostgreSQL: it finds what the
operator's tables hold, reads nothing it is refused, and changes nothing."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from derbes.errors import SourceSkipped
from derbes.platform.clock import FixedClock
from derbes.platform.db import make_engine
from derbes.scanner import service
from derbes.scanner.adapters.mappings import load_mappings
from derbes.scanner.adapters.sql import SqlSource, read_only_engine
from derbes.scanner.model.entities import Entity
from derbes.scanner.model.findings import Status
from derbes.scanner.model.scan import ScanOptions
from tests.integration.conftest import _create_database, _drop_database
from tests.operator_db import REGISTER, generator


def _content(url: str) -> str:
    """A digest of every row of every table (the test's own connection)."""
    engine = make_engine(url)
    digest = hashlib.sha256()
    try:
        with engine.connect() as connection:
            for name in ("applications", "call_notes", "clients", "contacts", "loans",
                         "payments"):
                rows = connection.execute(text(f"SELECT * FROM {name} ORDER BY 1")).all()
                digest.update(repr(rows).encode())
    finally:
        engine.dispose()
    return digest.hexdigest()


@pytest.fixture
def operator_url(empty_db_url: str) -> str:
    generator().generate(empty_db_url, 20, seed=4, batch_size=10)
    engine = make_engine(empty_db_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE call_notes (id INTEGER PRIMARY KEY, note TEXT)"))
        connection.execute(text("INSERT INTO call_notes VALUES (1, 'клиент просил звонить на "
                                "+7 (705) 123-45-67'), (2, 'без изменений')"))
    engine.dispose()
    return empty_db_url


def _scan(url: str, sample: int | None = None) -> service.ScanReport:
    options = ScanOptions(today=service.today_in_kazakhstan(FixedClock()))
    return service.scan([SqlSource(url, sample=sample)], load_mappings(REGISTER),
                        engine=service.InProcess(options), clock=FixedClock())


def _finding(report: service.ScanReport, where: str, entity: Entity) -> Status:
    [found] = [f for f in report.findings
               if f.location.describe().endswith(where) and f.entity is entity]
    return found.status


def test_finds_undeclared_phones_and_changes_nothing(operator_url: str) -> None:
    before = _content(operator_url)
    files_before = sorted(p.name for p in Path(make_url(operator_url).database or ".").parent
                          .iterdir()) if operator_url.startswith("sqlite") else []
    report = _scan(operator_url)
    assert _finding(report, "clients › iin", Entity.IIN) is Status.DECLARED
    assert _finding(report, "applications › comment", Entity.PHONE) is Status.UNDECLARED
    assert _finding(report, "call_notes › note", Entity.PHONE) is Status.UNDECLARED
    assert report.skipped == ()
    assert _content(operator_url) == before
    if operator_url.startswith("sqlite"):
        # No journal, no WAL file: the scan opened the file read-only.
        after = sorted(p.name for p in Path(make_url(operator_url).database or ".").parent
                       .iterdir())
        assert after == files_before


def test_sample_reads_the_first_rows_only(operator_url: str) -> None:
    report = _scan(operator_url, sample=3)
    clients = [f for f in report.findings if f.location.describe().endswith("clients › iin")]
    assert clients[0].scanned == 3


def test_the_scanner_connection_cannot_write(operator_url: str) -> None:
    engine = read_only_engine(operator_url)
    try:
        with pytest.raises(SQLAlchemyError), engine.begin() as connection:
            connection.execute(text("DELETE FROM clients"))
    finally:
        engine.dispose()
    assert "DELETE" not in _content(operator_url)


def test_missing_sqlite_file_and_refused_server_are_skipped(tmp_path: Path) -> None:
    missing = SqlSource(f"sqlite:///{tmp_path / 'nope.sqlite3'}")
    with pytest.raises(SourceSkipped, match="no such SQLite file"):
        list(missing.units())
    assert not (tmp_path / "nope.sqlite3").exists()
    refused = SqlSource("postgresql://scanner:s3cret@127.0.0.1:1/core")
    with pytest.raises(SourceSkipped) as caught:
        list(refused.units())
    assert "s3cret" not in str(caught.value) and "refused" in caught.value.reason
    report = service.scan([refused], load_mappings(REGISTER),
                          engine=service.InProcess(ScanOptions(today=FixedClock().now().date())),
                          clock=FixedClock())
    assert [s.where for s in report.skipped] == ["postgresql+psycopg://scanner:***@127.0.0.1:1/core"]


@pytest.fixture
def pg_operator_url(pg_server_url: str) -> Iterator[str]:
    name = f"derbes_scan_{secrets.token_hex(6)}"
    url = _create_database(pg_server_url, name)
    generator().generate(url, 5, seed=4, batch_size=5)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE call_notes (id INTEGER PRIMARY KEY, note TEXT)"))
    engine.dispose()
    yield url
    _drop_database(pg_server_url, name)


@pytest.fixture
def limited_role(pg_operator_url: str) -> Iterator[str]:
    """A PostgreSQL login that may read clients and nothing else."""
    operator_url = pg_operator_url
    role, password = f"scan_{secrets.token_hex(4)}", secrets.token_hex(8)
    admin = create_engine(make_url(operator_url).set(drivername="postgresql+psycopg"))
    with admin.begin() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
        connection.execute(text(f"GRANT SELECT ON clients TO {role}"))
    url = make_url(operator_url).set(drivername="postgresql+psycopg", username=role,
                                     password=password)
    yield url.render_as_string(hide_password=False)
    with admin.begin() as connection:
        connection.execute(text(f"REVOKE ALL ON clients FROM {role}"))
        connection.execute(text(f"DROP ROLE {role}"))
    admin.dispose()


@pytest.mark.postgres
def test_tables_without_permission_are_skipped_and_the_rest_scanned(limited_role: str) -> None:
    report = _scan(limited_role)
    assert any(f.location.describe().endswith("clients › iin") for f in report.findings)
    skipped = {s.where.rsplit(" › ", 1)[-1]: s.reason for s in report.skipped}
    assert set(skipped) == {"applications", "call_notes", "contacts", "loans", "payments"}
    assert all(r.startswith("no permission") for r in skipped.values())

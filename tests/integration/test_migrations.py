"""The shipped Alembic migrations, run for real on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from derbes.installation.service import database
from derbes.platform import migrate
from derbes.platform.db import make_engine
from derbes.platform.tables import metadata


def test_upgrade_from_empty_reaches_head_and_creates_tables(empty_db_url: str) -> None:
    assert database.current(empty_db_url).revision is None

    result = database.upgrade(empty_db_url)

    assert result.changed
    assert result.before.revision is None
    assert result.after.revision == migrate.head_revision()
    assert result.after.up_to_date
    engine = make_engine(empty_db_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"registers", "alembic_version"} <= tables


def test_upgrade_twice_changes_nothing(empty_db_url: str) -> None:
    database.upgrade(empty_db_url)

    again = database.upgrade(empty_db_url)

    assert not again.changed
    assert again.after.up_to_date


def test_migrated_schema_matches_the_table_definitions(db_url: str) -> None:
    # Fails when someone edits tables.py without writing a revision (or vice versa).
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_downgrade_to_base_removes_everything_and_upgrade_restores(db_url: str) -> None:
    state = migrate.downgrade(db_url, "base")
    assert state.revision is None
    engine = make_engine(db_url)
    try:
        assert "registers" not in inspect(engine).get_table_names()
        assert migrate.upgrade(engine)[1].up_to_date
        assert "registers" in inspect(engine).get_table_names()
    finally:
        engine.dispose()

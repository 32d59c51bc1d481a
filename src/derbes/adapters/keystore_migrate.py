"""Alembic for the key store, configured in code (like ``derbes.adapters.migrate``).

The key store has its own revision history (``keystore_migrations``, revisions
"k0001", ...) and its own revision table ``keystore_alembic_version``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, Engine
from sqlalchemy.exc import OperationalError

from derbes.adapters.db import display_url, make_engine
from derbes.adapters.keystore import VERSION_TABLE
from derbes.adapters.migrate import SchemaState
from derbes.errors import ConfigurationError

__all__ = ["MIGRATIONS_DIR", "alembic_config", "current", "downgrade", "head_revision", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "keystore_migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@contextmanager
def _connected(url: str | URL | Engine) -> Iterator[Connection]:
    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        with engine.connect() as connection:
            yield connection
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise ConfigurationError(
            f"cannot use the key store at {display_url(engine.url)}: {reason}",
            field="keystore_url",
        ) from exc
    finally:
        if engine is not url:
            engine.dispose()


def _revision_of(connection: Connection) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def current(url: str | URL | Engine) -> SchemaState:
    """The key store's revision (None when never migrated) and the newest available."""
    with _connected(url) as connection:
        shown = display_url(connection.engine.url)
        return SchemaState(shown, _revision_of(connection), head_revision())


def upgrade(url: str | URL | Engine, revision: str = "head") -> tuple[SchemaState, SchemaState]:
    """Apply the key-store migrations up to ``revision``; return (before, after)."""
    head = head_revision()
    with _connected(url) as connection:
        shown = display_url(connection.engine.url)
        before = SchemaState(shown, _revision_of(connection), head)
        connection.commit()
        command.upgrade(alembic_config(connection), revision)
        connection.commit()
        after = SchemaState(shown, _revision_of(connection), head)
        connection.commit()
        return before, after


def downgrade(url: str | URL | Engine, revision: str) -> SchemaState:
    """Revert the key store to ``revision`` ("base" drops its tables)."""
    with _connected(url) as connection:
        command.downgrade(alembic_config(connection), revision)
        connection.commit()
        shown = display_url(connection.engine.url)
        return SchemaState(shown, _revision_of(connection), head_revision())

"""Alembic, configured in code: the schema revisions shipped in the package.

No ``alembic.ini`` is read; the script location points into the installed
package, so ``derbes db upgrade`` works from any directory and from a wheel.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, Engine
from sqlalchemy.exc import OperationalError

from derbes.adapters.db import display_url, make_engine
from derbes.errors import ConfigurationError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for the packaged migrations, optionally bound to a connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest revision shipped with this version of derbes."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands: its revision and the newest one available."""

    url: str  # password hidden
    revision: str | None
    head: str | None

    @property
    def up_to_date(self) -> bool:
        return self.revision == self.head


@contextmanager
def _connected(url: str | URL | Engine) -> Iterator[Connection]:
    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        with engine.connect() as connection:
            yield connection
    except OperationalError as exc:
        # Our URL with the password hidden, then the driver's first line (which
        # names the host or file, never a password).
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise ConfigurationError(
            f"cannot use the database at {display_url(engine.url)}: {reason}",
            field="database_url",
        ) from exc
    finally:
        if engine is not url:
            engine.dispose()


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def current(url: str | URL | Engine) -> SchemaState:
    """The revision the database is at (None when no migration was applied)."""
    with _connected(url) as connection:
        revision = _revision_of(connection)
        return SchemaState(display_url(connection.engine.url), revision, head_revision())


def upgrade(url: str | URL | Engine, revision: str = "head") -> tuple[SchemaState, SchemaState]:
    """Apply the packaged migrations up to ``revision``; return (before, after)."""
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
    """Revert to ``revision`` ("base" empties the schema); used by tests and rollbacks."""
    with _connected(url) as connection:
        command.downgrade(alembic_config(connection), revision)
        connection.commit()
        shown = display_url(connection.engine.url)
        return SchemaState(shown, _revision_of(connection), head_revision())

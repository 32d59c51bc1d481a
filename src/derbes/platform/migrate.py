"""Alembic, configured in code: the schema revisions shipped in the package.

No ``alembic.ini`` is read; the script location points into the installed
package, so ``derbes db upgrade`` works from any directory and from a wheel.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, Engine, MetaData
from sqlalchemy.exc import OperationalError

from derbes.errors import ConfigurationError
from derbes.platform.db import display_url, make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands: its revision and the newest one available."""

    url: str  # password hidden
    revision: str | None
    head: str | None

    @property
    def up_to_date(self) -> bool:
        return self.revision == self.head


@dataclass(frozen=True)
class MigrationSet:
    """One revision history shipped in the package, and where it records its revision.

    The data database and the key store each have one; both are run the same way.
    """

    directory: Path
    version_table: str | None  # None: Alembic's default "alembic_version"
    what: str  # for messages: "database", "key store"
    setting: str  # the setting at fault when it cannot be reached

    def config(self, connection: Connection | None = None) -> Config:
        config = Config()
        config.set_main_option("script_location", str(self.directory))
        if connection is not None:
            config.attributes["connection"] = connection
        return config

    def run_revisions(self, connection: Connection, target: MetaData) -> None:
        """Run the revisions Alembic was asked for on ``connection``, the schema to reach
        being ``target``: what the set's ``env.py`` does once Alembic executes it."""
        context.configure(
            connection=connection,
            target_metadata=target,
            version_table=self.version_table or "alembic_version",
            # SQLite cannot ALTER most things in place; batch mode rebuilds the table.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    def head(self) -> str | None:
        return ScriptDirectory.from_config(self.config()).get_current_head()

    def revision_of(self, connection: Connection) -> str | None:
        opts = {"version_table": self.version_table} if self.version_table else {}
        return MigrationContext.configure(connection, opts=opts).get_current_revision()

    @contextmanager
    def connected(self, url: str | URL | Engine) -> Iterator[Connection]:
        engine = url if isinstance(url, Engine) else make_engine(url)
        try:
            with engine.connect() as connection:
                yield connection
        except OperationalError as exc:
            # Our URL with the password hidden, then the driver's first line (which
            # names the host or file, never a password).
            reason = str(exc.orig or exc).strip().splitlines()[0]
            raise ConfigurationError(
                f"cannot use the {self.what} at {display_url(engine.url)}: {reason}",
                field=self.setting,
            ) from exc
        finally:
            if engine is not url:
                engine.dispose()

    def current(self, url: str | URL | Engine) -> SchemaState:
        with self.connected(url) as connection:
            shown = display_url(connection.engine.url)
            return SchemaState(shown, self.revision_of(connection), self.head())

    def upgrade(
        self, url: str | URL | Engine, revision: str = "head"
    ) -> tuple[SchemaState, SchemaState]:
        head = self.head()
        with self.connected(url) as connection:
            shown = display_url(connection.engine.url)
            before = SchemaState(shown, self.revision_of(connection), head)
            connection.commit()
            command.upgrade(self.config(connection), revision)
            connection.commit()
            after = SchemaState(shown, self.revision_of(connection), head)
            connection.commit()
            return before, after

    def downgrade(self, url: str | URL | Engine, revision: str) -> SchemaState:
        with self.connected(url) as connection:
            command.downgrade(self.config(connection), revision)
            connection.commit()
            shown = display_url(connection.engine.url)
            return SchemaState(shown, self.revision_of(connection), self.head())


DATA = MigrationSet(MIGRATIONS_DIR, None, "database", "database_url")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for the packaged migrations, optionally bound to a connection."""
    return DATA.config(connection)


def head_revision() -> str | None:
    """The newest revision shipped with this version of derbes."""
    return DATA.head()


def current(url: str | URL | Engine) -> SchemaState:
    """The revision the database is at (None when no migration was applied)."""
    return DATA.current(url)


def upgrade(url: str | URL | Engine, revision: str = "head") -> tuple[SchemaState, SchemaState]:
    """Apply the packaged migrations up to ``revision``; return (before, after)."""
    return DATA.upgrade(url, revision)


def downgrade(url: str | URL | Engine, revision: str) -> SchemaState:
    """Revert to ``revision`` ("base" empties the schema); used by tests and rollbacks."""
    return DATA.downgrade(url, revision)

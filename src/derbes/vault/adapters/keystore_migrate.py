"""Alembic for the key store, configured in code (like ``derbes.platform.migrate``).

The key store has its own revision history (``keystore_migrations``, revisions
"k0001", ...) and its own revision table ``keystore_alembic_version``.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy import URL, Connection, Engine

from derbes.platform.migrate import MigrationSet, SchemaState
from derbes.vault.adapters.keystore import VERSION_TABLE

__all__ = ["MIGRATIONS_DIR", "alembic_config", "current", "downgrade", "head_revision", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "keystore_migrations"
KEYSTORE = MigrationSet(MIGRATIONS_DIR, VERSION_TABLE, "key store", "keystore_url")


def alembic_config(connection: Connection | None = None) -> Config:
    return KEYSTORE.config(connection)


def head_revision() -> str | None:
    return KEYSTORE.head()


def current(url: str | URL | Engine) -> SchemaState:
    """The key store's revision (None when never migrated) and the newest available."""
    return KEYSTORE.current(url)


def upgrade(url: str | URL | Engine, revision: str = "head") -> tuple[SchemaState, SchemaState]:
    """Apply the key-store migrations up to ``revision``; return (before, after)."""
    return KEYSTORE.upgrade(url, revision)


def downgrade(url: str | URL | Engine, revision: str) -> SchemaState:
    """Revert the key store to ``revision`` ("base" drops its tables)."""
    return KEYSTORE.downgrade(url, revision)

"""Alembic environment of the key store: runs on the connection derbes hands over.

Alembic executes this file itself (``derbes.vault.adapters.keystore_migrate``);
importing it as a module outside Alembic fails by design.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from derbes.vault.adapters.keystore import keystore_metadata
from derbes.vault.adapters.keystore_migrate import KEYSTORE

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("the key-store migrations run on a connection passed by derbes")
    KEYSTORE.run_revisions(connection, keystore_metadata)


if context.is_offline_mode():
    raise RuntimeError("derbes key-store migrations run online only")
run_migrations_online()

"""Alembic environment of the key store: runs on the connection derbes hands over.

Alembic executes this file itself (``derbes.vault.adapters.keystore_migrate``);
importing it as a module outside Alembic fails by design.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from derbes.vault.adapters.keystore import VERSION_TABLE, keystore_metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=keystore_metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("the key-store migrations run on a connection passed by derbes")
    _run(connection)


if context.is_offline_mode():
    raise RuntimeError("derbes key-store migrations run online only")
run_migrations_online()

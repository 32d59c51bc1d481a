"""Alembic environment: runs the revisions on the connection derbes hands over.

Alembic executes this file itself (``derbes.platform.migrate``); importing it
as a module outside Alembic fails by design.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from derbes.platform.db import make_engine
from derbes.platform.migrate import DATA
from derbes.platform.tables import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        DATA.run_revisions(connection, metadata)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: pass a connection or set sqlalchemy.url")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            DATA.run_revisions(connection, metadata)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("derbes migrations run online only")
run_migrations_online()

"""SQLAlchemy Core tables: the database schema, and nothing else.

Rows stay plain: repositories turn them into domain objects. Every change to
these tables needs an Alembic revision in ``adapters/migrations/versions``;
an integration test fails when the two drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

# Explicit constraint names, so migrations can drop or alter them on both
# SQLite (batch mode rebuilds tables by name) and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """An instant: accepts only aware datetimes, always returns aware UTC.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so the value is
    stored as naive UTC text and the zone is put back on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: derbes stores only timezone-aware instants")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Each version of an operator's processing register as it was loaded: the
# evidence of which policy text was in force when (Law 94-V Art. 24: the
# subject is told the purposes and terms that applied).
registers = Table(
    "registers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("operator_id", String(100), nullable=False),
    Column("policy_version", String(100), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("source_yaml", Text, nullable=False),
    Column("loaded_at", UtcDateTime(), nullable=False),
    Index("ix_registers_operator_id_loaded_at", "operator_id", "loaded_at"),
)

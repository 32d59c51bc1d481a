"""Tables of the processing registers.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from derbes.platform.tables.base import UtcDateTime, metadata

__all__ = ["registers"]

# Each version of an operator"s processing register as it was loaded: the
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

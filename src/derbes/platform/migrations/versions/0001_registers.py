"""registers: each loaded version of an operator's processing register.

Created 2026-01-05.
"""

from __future__ import annotations

from derbes.platform.migrations.columns import serial, text, timestamptz, varchar
from derbes.platform.migrations.ddl import create_table, drop_table, ix, pk


def upgrade() -> None:
    create_table(
        "registers",
        serial("id"),
        varchar("operator_id", 100),
        varchar("policy_version", 100),
        varchar("sha256", 64),
        text("source_yaml"),
        timestamptz("loaded_at"),
        pk("id"),
        ix("operator_id", "loaded_at"),
    )


def downgrade() -> None:
    drop_table("registers", ix("operator_id", "loaded_at"))


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "0001"
down_revision: str | None = None

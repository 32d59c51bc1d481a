"""keystore: wrapped per-subject data keys and wrapped system keys.

Created 2026-01-05.
"""

from __future__ import annotations

from derbes.platform.migrations.columns import blob, timestamptz, varchar
from derbes.platform.migrations.ddl import create_table, drop_table, pk


def upgrade() -> None:
    create_table(
        "data_keys",
        varchar("subject_id", 100),
        varchar("kek_id", 100),
        blob("wrapped"),
        timestamptz("created_at"),
        pk("subject_id"),
    )
    create_table(
        "system_keys",
        varchar("name", 50),
        varchar("kek_id", 100),
        blob("wrapped"),
        timestamptz("created_at"),
        pk("name"),
    )


def downgrade() -> None:
    drop_table("system_keys")
    drop_table("data_keys")


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "k0001"
down_revision: str | None = None

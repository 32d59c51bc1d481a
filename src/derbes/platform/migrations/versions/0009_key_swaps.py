"""key swaps: the data database's journal of partial crypto-shredding.

Created 2026-02-02.
"""

from __future__ import annotations

from derbes.platform.migrations.columns import integer, timestamptz, varchar
from derbes.platform.migrations.ddl import create_table, drop_table, pk


def upgrade() -> None:
    create_table(
        "key_swaps",
        varchar("swap_id", 36),
        varchar("state", 10),
        integer("subjects"),
        timestamptz("recorded_at"),
        pk("swap_id"),
    )


def downgrade() -> None:
    drop_table("key_swaps")


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "0009"
down_revision: str | None = "0008"

"""destruction acts, numbered per operator per year.

Created 2026-01-22.
"""

from __future__ import annotations

from derbes.platform.migrations.columns import date, integer, text, timestamptz, varchar
from derbes.platform.migrations.ddl import create_table, drop_table, ix, pk, uq


def upgrade() -> None:
    create_table(
        "destruction_acts",
        varchar("id", 36),
        varchar("operator_id", 100),
        integer("year"),
        integer("seq"),
        varchar("number", 40),
        date("act_date"),
        timestamptz("issued_at"),
        varchar("run_id", 36),
        integer("subjects_total"),
        integer("groups"),
        text("body"),
        varchar("digest", 64),
        pk("id"),
        uq("operator_id", "year", "seq"),
        uq("run_id", "operator_id"),
        ix("operator_id", "issued_at"),
    )


def downgrade() -> None:
    drop_table("destruction_acts", ix("operator_id", "issued_at"))


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "0008"
down_revision: str | None = "0007"

"""vault: subjects, sealed PD values, blind index, category blocks, card tokens.

Created 2026-01-05.
"""

from __future__ import annotations

from derbes.platform.migrations.columns import blob, integer, serial, text, timestamptz, varchar
from derbes.platform.migrations.ddl import create_table, drop_table, fk, ix, pk

# Every PD row goes with its subject: destruction deletes the subject's rows.
SUBJECT = fk("subject_id", "subjects.id", ondelete="CASCADE")


def upgrade() -> None:
    create_table(
        "subjects",
        varchar("id", 36),
        varchar("operator_id", 100),
        timestamptz("created_at"),
        timestamptz("blocked_at", nullable=True),
        text("block_reason", nullable=True),
        timestamptz("destroyed_at", nullable=True),
        pk("id"),
        ix("operator_id"),
    )
    create_table(
        "pd_values",
        varchar("subject_id", 36),
        varchar("category", 100),
        integer("seq"),
        blob("sealed"),
        varchar("value_type", 20),
        varchar("source", 30),
        text("purposes"),
        varchar("method", 100),
        timestamptz("collected_at"),
        timestamptz("updated_at"),
        SUBJECT,
        pk("subject_id", "category", "seq"),
    )
    _create_lookups_blocks_and_cards()


def _create_lookups_blocks_and_cards() -> None:
    create_table(
        "subject_lookups",
        varchar("operator_id", 100),
        varchar("kind", 20),
        varchar("digest", 64),
        varchar("subject_id", 36),
        SUBJECT,
        pk("operator_id", "kind", "digest"),
        ix("kind", "digest"),
        ix("subject_id"),
    )
    create_table(
        "category_blocks",
        serial("id"),
        varchar("subject_id", 36),
        varchar("category", 100),
        text("reason"),
        timestamptz("blocked_at"),
        timestamptz("unblocked_at", nullable=True),
        SUBJECT,
        pk("id"),
        ix("subject_id", "category"),
    )
    create_table(
        "card_tokens",
        varchar("token", 64),
        varchar("subject_id", 36),
        varchar("bin6", 6),
        varchar("last4", 4),
        varchar("brand", 20),
        timestamptz("created_at"),
        SUBJECT,
        pk("token"),
        ix("subject_id"),
    )


def downgrade() -> None:
    drop_table("card_tokens", ix("subject_id"))
    drop_table("category_blocks", ix("subject_id", "category"))
    drop_table("subject_lookups", ix("subject_id"), ix("kind", "digest"))
    drop_table("pd_values")
    drop_table("subjects", ix("operator_id"))


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "0002"
down_revision: str | None = "0001"

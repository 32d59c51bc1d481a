"""transfer log: disclosures made, with their basis, and their subjects.

Also an index on lifecycle_events.recorded_at for the decision point's change feed.

Created 2026-01-20.
"""

from __future__ import annotations

from derbes.platform.migrations.columns import date, integer, text, timestamptz, varchar
from derbes.platform.migrations.ddl import (
    create_index,
    create_table,
    drop_index,
    drop_table,
    fk,
    ix,
    pk,
)


def upgrade() -> None:
    create_table(
        "transfers",
        varchar("id", 36),
        timestamptz("at"),
        varchar("actor", 200),
        varchar("operator_id", 100),
        varchar("recipient_id", 100),
        varchar("purpose", 100),
        text("categories"),
        varchar("basis_kind", 30),
        text("law_citation", nullable=True),
        varchar("state_body", 300, nullable=True),
        varchar("request_number", 100, nullable=True),
        date("request_date", nullable=True),
        integer("subject_count"),
        text("decision"),
        varchar("request_id", 100, nullable=True),
        pk("id"),
        ix("operator_id", "at"),
    )
    create_table(
        "transfer_subjects",
        varchar("transfer_id", 36),
        varchar("subject_id", 36),
        text("consent_ids"),
        fk("transfer_id", "transfers.id", ondelete="CASCADE"),
        fk("subject_id", "subjects.id"),
        pk("transfer_id", "subject_id"),
        ix("subject_id"),
    )
    # The decision point's change feed reads lifecycle events by recording time.
    create_index("lifecycle_events", "recorded_at")


def downgrade() -> None:
    drop_index("lifecycle_events", "recorded_at")
    drop_table("transfer_subjects", ix("subject_id"))
    drop_table("transfers", ix("operator_id", "at"))


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "0005"
down_revision: str | None = "0004"

"""transfer log: disclosures made, with their basis, and their subjects.

Also an index on lifecycle_events.recorded_at for the decision point's change feed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-01-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "transfers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("operator_id", sa.String(length=100), nullable=False),
        sa.Column("recipient_id", sa.String(length=100), nullable=False),
        sa.Column("purpose", sa.String(length=100), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("basis_kind", sa.String(length=30), nullable=False),
        sa.Column("law_citation", sa.Text(), nullable=True),
        sa.Column("state_body", sa.String(length=300), nullable=True),
        sa.Column("request_number", sa.String(length=100), nullable=True),
        sa.Column("request_date", sa.Date(), nullable=True),
        sa.Column("subject_count", sa.Integer(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    op.create_index("ix_transfers_operator_id_at", "transfers", ["operator_id", "at"])
    op.create_table(
        "transfer_subjects",
        sa.Column("transfer_id", sa.String(length=36), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("consent_ids", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfers.id"],
            name=op.f("fk_transfer_subjects_transfer_id_transfers"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"],
            name=op.f("fk_transfer_subjects_subject_id_subjects"),
        ),
        sa.PrimaryKeyConstraint("transfer_id", "subject_id", name=op.f("pk_transfer_subjects")),
    )
    op.create_index("ix_transfer_subjects_subject_id", "transfer_subjects", ["subject_id"])
    # The decision point's change feed reads lifecycle events by recording time.
    op.create_index("ix_lifecycle_events_recorded_at", "lifecycle_events", ["recorded_at"])


def downgrade() -> None:
    op.drop_index("ix_lifecycle_events_recorded_at", table_name="lifecycle_events")
    op.drop_index("ix_transfer_subjects_subject_id", table_name="transfer_subjects")
    op.drop_table("transfer_subjects")
    op.drop_index("ix_transfers_operator_id_at", table_name="transfers")
    op.drop_table("transfers")

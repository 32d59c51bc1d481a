"""data-subject requests and their transitions.

Revision ID: 0006
Revises: 0005
Create Date: 2026-01-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "subject_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("operator_id", sa.String(length=100), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=True),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("deadline_id", sa.String(length=50), nullable=False),
        sa.Column("deadline_citation", sa.Text(), nullable=False),
        sa.Column("requester", sa.String(length=20), nullable=False),
        sa.Column("representative_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("verification_method", sa.String(length=20), nullable=True),
        sa.Column("verification_ref", sa.String(length=200), nullable=True),
        sa.Column("payload_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answer_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("refusal_reasons", sa.Text(), nullable=False),
        sa.Column("pending_reason", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_requests")),
    )
    op.create_index("ix_subject_requests_operator_id_state_due_date", "subject_requests",
                    ["operator_id", "state", "due_date"])
    op.create_index("ix_subject_requests_state_due_date", "subject_requests",
                    ["state", "due_date"])
    op.create_index("ix_subject_requests_subject_id", "subject_requests", ["subject_id"])
    op.create_table(
        "request_transitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["subject_requests.id"],
            name=op.f("fk_request_transitions_request_id_subject_requests"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_transitions")),
    )
    op.create_index("ix_request_transitions_request_id", "request_transitions", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_request_transitions_request_id", table_name="request_transitions")
    op.drop_table("request_transitions")
    op.drop_index("ix_subject_requests_subject_id", table_name="subject_requests")
    op.drop_index("ix_subject_requests_state_due_date", table_name="subject_requests")
    op.drop_index("ix_subject_requests_operator_id_state_due_date",
                  table_name="subject_requests")
    op.drop_table("subject_requests")

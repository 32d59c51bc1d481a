"""destruction acts, numbered per operator per year.

Revision ID: 0008
Revises: 0007
Create Date: 2026-01-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "destruction_acts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("operator_id", sa.String(length=100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("act_date", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("subjects_total", sa.Integer(), nullable=False),
        sa.Column("groups", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_destruction_acts")),
        sa.UniqueConstraint("operator_id", "year", "seq",
                            name=op.f("uq_destruction_acts_operator_id_year_seq")),
        sa.UniqueConstraint("run_id", "operator_id",
                            name=op.f("uq_destruction_acts_run_id_operator_id")),
    )
    op.create_index("ix_destruction_acts_operator_id_issued_at", "destruction_acts",
                    ["operator_id", "issued_at"])


def downgrade() -> None:
    op.drop_index("ix_destruction_acts_operator_id_issued_at", table_name="destruction_acts")
    op.drop_table("destruction_acts")

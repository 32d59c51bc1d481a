"""key swaps: the data database's journal of partial crypto-shredding.

Revision ID: 0009
Revises: 0008
Create Date: 2026-02-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "key_swaps",
        sa.Column("swap_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("subjects", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("swap_id", name=op.f("pk_key_swaps")),
    )


def downgrade() -> None:
    op.drop_table("key_swaps")

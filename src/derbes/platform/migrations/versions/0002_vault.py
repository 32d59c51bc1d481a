"""vault: subjects, sealed PD values, blind index, category blocks, card tokens.

Revision ID: 0002
Revises: 0001
Create Date: 2026-01-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _subject_id() -> sa.Column[str]:
    return sa.Column("subject_id", sa.String(length=36), nullable=False)


def _subject_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["subject_id"],
        ["subjects.id"],
        name=op.f(f"fk_{table}_subject_id_subjects"),
        ondelete="CASCADE",
    )

def upgrade() -> None:
    _create_subjects()
    _create_pd_values()
    _create_subject_lookups()
    _create_category_blocks()
    _create_card_tokens()


def _create_subjects() -> None:
    op.create_table(
        "subjects",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("operator_id", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("block_reason", sa.Text(), nullable=True),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subjects")),
    )
    op.create_index("ix_subjects_operator_id", "subjects", ["operator_id"])


def _create_pd_values() -> None:
    op.create_table(
        "pd_values",
        _subject_id(),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("value_type", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("purposes", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=100), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _subject_fk("pd_values"),
        sa.PrimaryKeyConstraint("subject_id", "category", "seq", name=op.f("pk_pd_values")),
    )


def _create_subject_lookups() -> None:
    op.create_table(
        "subject_lookups",
        sa.Column("operator_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        _subject_id(),
        _subject_fk("subject_lookups"),
        sa.PrimaryKeyConstraint("operator_id", "kind", "digest", name=op.f("pk_subject_lookups")),
    )
    op.create_index("ix_subject_lookups_kind_digest", "subject_lookups", ["kind", "digest"])
    op.create_index("ix_subject_lookups_subject_id", "subject_lookups", ["subject_id"])


def _create_category_blocks() -> None:
    op.create_table(
        "category_blocks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _subject_id(),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unblocked_at", sa.DateTime(timezone=True), nullable=True),
        _subject_fk("category_blocks"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_blocks")),
    )
    op.create_index(
        "ix_category_blocks_subject_id_category", "category_blocks", ["subject_id", "category"]
    )


def _create_card_tokens() -> None:
    op.create_table(
        "card_tokens",
        sa.Column("token", sa.String(length=64), nullable=False),
        _subject_id(),
        sa.Column("bin6", sa.String(length=6), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("brand", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _subject_fk("card_tokens"),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_card_tokens")),
    )
    op.create_index("ix_card_tokens_subject_id", "card_tokens", ["subject_id"])


def downgrade() -> None:
    op.drop_index("ix_card_tokens_subject_id", table_name="card_tokens")
    op.drop_table("card_tokens")
    op.drop_index("ix_category_blocks_subject_id_category", table_name="category_blocks")
    op.drop_table("category_blocks")
    op.drop_index("ix_subject_lookups_subject_id", table_name="subject_lookups")
    op.drop_index("ix_subject_lookups_kind_digest", table_name="subject_lookups")
    op.drop_table("subject_lookups")
    op.drop_table("pd_values")
    op.drop_index("ix_subjects_operator_id", table_name="subjects")
    op.drop_table("subjects")

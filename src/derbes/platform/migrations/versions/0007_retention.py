"""retention: legal holds, purpose and category clocks, sweep runs and their items.

Revision ID: 0007
Revises: 0006
Create Date: 2026-01-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

def upgrade() -> None:
    _create_legal_holds()
    _create_retention_clocks()
    _create_retention_category_clocks()
    _create_retention_runs()
    _create_retention_run_items()


def _create_legal_holds() -> None:
    op.create_table(
        "legal_holds",
        sa.Column("hold_id", sa.String(length=100), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=1000), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("categories", sa.Text(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(length=1000), nullable=True),
        sa.Column("release_event_id", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"],
                                name=op.f("fk_legal_holds_subject_id_subjects")),
        sa.PrimaryKeyConstraint("hold_id", name=op.f("pk_legal_holds")),
    )
    op.create_index("ix_legal_holds_subject_id", "legal_holds", ["subject_id"])


def _create_retention_clocks() -> None:
    op.create_table(
        "retention_clocks",
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("purpose_id", sa.String(length=100), nullable=False),
        sa.Column("operator_id", sa.String(length=100), nullable=False),
        sa.Column("trigger", sa.String(length=30), nullable=True),
        sa.Column("trigger_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", "purpose_id", name=op.f("pk_retention_clocks")),
    )


def _create_retention_category_clocks() -> None:
    op.create_table(
        "retention_category_clocks",
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("operator_id", sa.String(length=100), nullable=False),
        sa.Column("keep_until", sa.Date(), nullable=True),
        sa.Column("purpose_id", sa.String(length=100), nullable=True),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", "category",
                                name=op.f("pk_retention_category_clocks")),
    )
    op.create_index("ix_retention_category_clocks_operator_id_keep_until",
                    "retention_category_clocks", ["operator_id", "keep_until"])


def _create_retention_runs() -> None:
    op.create_table(
        "retention_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("operator_id", sa.String(length=100), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("subjects_total", sa.Integer(), nullable=False),
        sa.Column("subjects_done", sa.Integer(), nullable=False),
        sa.Column("subjects_shredded", sa.Integer(), nullable=False),
        sa.Column("subjects_partial", sa.Integer(), nullable=False),
        sa.Column("subjects_skipped", sa.Integer(), nullable=False),
        sa.Column("values_deleted", sa.Integer(), nullable=False),
        sa.Column("groups", sa.Text(), nullable=False),
        sa.Column("act_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_runs")),
    )
    op.create_index("ix_retention_runs_operator_id_state", "retention_runs",
                    ["operator_id", "state"])


def _create_retention_run_items() -> None:
    op.create_table(
        "retention_run_items",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("purpose_id", sa.String(length=100), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("shredded", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["retention_runs.id"],
                                name=op.f("fk_retention_run_items_run_id_retention_runs")),
        sa.PrimaryKeyConstraint("run_id", "subject_id", "purpose_id",
                                name=op.f("pk_retention_run_items")),
    )
    op.create_index("ix_retention_run_items_run_id_state_subject_id", "retention_run_items",
                    ["run_id", "state", "subject_id"])


def downgrade() -> None:
    op.drop_index("ix_retention_run_items_run_id_state_subject_id",
                  table_name="retention_run_items")
    op.drop_table("retention_run_items")
    op.drop_index("ix_retention_runs_operator_id_state", table_name="retention_runs")
    op.drop_table("retention_runs")
    op.drop_index("ix_retention_category_clocks_operator_id_keep_until",
                  table_name="retention_category_clocks")
    op.drop_table("retention_category_clocks")
    op.drop_table("retention_clocks")
    op.drop_index("ix_legal_holds_subject_id", table_name="legal_holds")
    op.drop_table("legal_holds")

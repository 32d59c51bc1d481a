"""retention: legal holds, purpose and category clocks, sweep runs and their items.

Created 2026-01-22.
"""

from __future__ import annotations

from derbes.platform.migrations.columns import date, integer, text, timestamptz, varchar
from derbes.platform.migrations.ddl import create_table, drop_table, fk, ix, pk


def upgrade() -> None:
    create_table(
        "legal_holds",
        varchar("hold_id", 100),
        varchar("subject_id", 36),
        varchar("kind", 30),
        text("basis"),
        varchar("set_by", 1000),
        timestamptz("set_at"),
        date("until", nullable=True),
        text("categories", nullable=True),
        timestamptz("released_at", nullable=True),
        varchar("released_by", 1000, nullable=True),
        varchar("release_event_id", 100, nullable=True),
        fk("subject_id", "subjects.id"),
        pk("hold_id"),
        ix("subject_id"),
    )
    create_table(
        "retention_clocks",
        varchar("subject_id", 36),
        varchar("purpose_id", 100),
        varchar("operator_id", 100),
        varchar("trigger", 30, nullable=True),
        date("trigger_date", nullable=True),
        date("end_date", nullable=True),
        timestamptz("updated_at"),
        pk("subject_id", "purpose_id"),
    )
    create_table(
        "retention_category_clocks",
        varchar("subject_id", 36),
        varchar("category", 100),
        varchar("operator_id", 100),
        date("keep_until", nullable=True),
        varchar("purpose_id", 100, nullable=True),
        integer("held"),
        pk("subject_id", "category"),
        ix("operator_id", "keep_until"),
    )
    _create_runs()


def _create_runs() -> None:
    create_table(
        "retention_runs",
        varchar("id", 36),
        varchar("operator_id", 100),
        date("as_of"),
        varchar("state", 20),
        varchar("actor", 200),
        integer("batch_size"),
        timestamptz("started_at"),
        timestamptz("finished_at", nullable=True),
        integer("subjects_total"),
        integer("subjects_done"),
        integer("subjects_shredded"),
        integer("subjects_partial"),
        integer("subjects_skipped"),
        integer("values_deleted"),
        text("groups"),
        varchar("act_id", 36, nullable=True),
        pk("id"),
        ix("operator_id", "state"),
    )
    create_table(
        "retention_run_items",
        varchar("run_id", 36),
        varchar("subject_id", 36),
        varchar("purpose_id", 100),
        integer("items"),
        varchar("state", 10),
        integer("shredded", nullable=True),
        fk("run_id", "retention_runs.id"),
        pk("run_id", "subject_id", "purpose_id"),
        ix("run_id", "state", "subject_id"),
    )


def downgrade() -> None:
    drop_table("retention_run_items", ix("run_id", "state", "subject_id"))
    drop_table("retention_runs", ix("operator_id", "state"))
    drop_table("retention_category_clocks", ix("operator_id", "keep_until"))
    drop_table("retention_clocks")
    drop_table("legal_holds", ix("subject_id"))


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "0007"
down_revision: str | None = "0006"

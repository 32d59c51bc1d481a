"""data-subject requests and their transitions.

Created 2026-01-21.
"""

from __future__ import annotations

from derbes.platform.migrations.columns import blob, date, serial, text, timestamptz, varchar
from derbes.platform.migrations.ddl import create_table, drop_table, fk, ix, pk


def upgrade() -> None:
    create_table(
        "subject_requests",
        varchar("id", 36),
        varchar("operator_id", 100),
        varchar("subject_id", 36, nullable=True),
        varchar("type", 30),
        varchar("state", 20),
        varchar("language", 5),
        timestamptz("received_at"),
        date("due_date"),
        varchar("deadline_id", 50),
        text("deadline_citation"),
        varchar("requester", 20),
        blob("representative_sealed", nullable=True),
        varchar("verification_method", 20, nullable=True),
        varchar("verification_ref", 200, nullable=True),
        blob("payload_sealed", nullable=True),
        text("answer", nullable=True),
        blob("answer_sealed", nullable=True),
        text("refusal_reasons"),
        text("pending_reason", nullable=True),
        timestamptz("closed_at", nullable=True),
        timestamptz("updated_at"),
        pk("id"),
        ix("operator_id", "state", "due_date"),
        ix("state", "due_date"),
        ix("subject_id"),
    )
    create_table(
        "request_transitions",
        serial("id"),
        varchar("request_id", 36),
        varchar("from_state", 20, nullable=True),
        varchar("to_state", 20),
        timestamptz("at"),
        varchar("actor", 200),
        text("reason", nullable=True),
        fk("request_id", "subject_requests.id", ondelete="CASCADE"),
        pk("id"),
        ix("request_id"),
    )


def downgrade() -> None:
    drop_table("request_transitions", ix("request_id"))
    drop_table(
        "subject_requests",
        ix("subject_id"),
        ix("state", "due_date"),
        ix("operator_id", "state", "due_date"),
    )


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "0006"
down_revision: str | None = "0005"

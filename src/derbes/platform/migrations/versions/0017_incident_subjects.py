"""incident_subjects: what follows an incident for its subjects, and its evidence.

* ``incident_notifications``: one row per affected subject notified of a breach
  (Order 481/НҚ of 09.08.2024): the language and channel chosen and the delivery
  that carries the message (whose recipient is masked and sealed); the key is
  (incident, subject), so a subject is notified of an incident once.
* ``incident_evidence``: files attached to an incident (a log excerpt, a
  screenshot, a processor's letter), each sealed under a key of its own in the
  key store, with its SHA-256 and size.

Created 2026-12-02.
"""

from __future__ import annotations

from derbes.platform.migrations.columns import blob, integer, timestamptz, varchar
from derbes.platform.migrations.ddl import create_table, drop_table, ix, pk


def upgrade() -> None:
    create_table(
        "incident_notifications",
        varchar("incident_id", 32),
        varchar("subject_id", 36),
        varchar("language", 5),
        varchar("channel", 10, nullable=True),
        varchar("delivery_id", 32, nullable=True),
        varchar("outcome", 20),
        timestamptz("at"),
        varchar("actor", 200),
        pk("incident_id", "subject_id"),
    )
    create_table(
        "incident_evidence",
        varchar("id", 32),
        varchar("incident_id", 32),
        varchar("name", 200),
        varchar("media_type", 100),
        integer("size"),
        varchar("sha256", 64),
        varchar("key_id", 60),
        blob("sealed"),
        timestamptz("added_at"),
        varchar("added_by", 200),
        pk("id"),
        ix("incident_id"),
    )


def downgrade() -> None:
    drop_table("incident_evidence", ix("incident_id"))
    drop_table("incident_notifications")


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "0017"
down_revision: str | None = "0016"

"""incidents: the register of PD security incidents and what follows them.

* ``incidents``: one row per incident of an operator (state, how and when it was
  detected, what happened, categories and systems, the count of subjects,
  severity, measures, lessons, what raised a candidate), unique per operator
  and trigger so an alert raises one candidate however often it is scanned.
* ``incident_events``: the timeline of every change (who, when, which fields).
* ``incident_subjects``: the affected subjects by internal id only.
* ``incident_exports``: the notification list (name, IIN, mobile) sealed under
  a key of its own in the key store.
* ``incident_scans``: how far the detector has read the audit log and alerts.

Created 2026-12-02.
"""

from __future__ import annotations

from derbes.platform.migrations.columns import bigint, blob, integer, text, timestamptz, varchar
from derbes.platform.migrations.ddl import create_table, drop_table, ix, pk, uq


def upgrade() -> None:
    _register()
    _timeline_and_subjects()


def _register() -> None:
    create_table(
        "incidents",
        varchar("id", 32),
        varchar("operator_id", 100),
        varchar("state", 12),
        varchar("source", 20),
        timestamptz("detected_at"),
        text("summary"),
        varchar("severity", 10),
        text("categories"),
        text("systems"),
        integer("subject_count", nullable=True),
        text("measures_taken"),
        text("planned_measures"),
        text("lessons"),
        text("dismiss_reason"),
        varchar("trigger", 30, nullable=True),
        varchar("trigger_ref", 100, nullable=True),
        timestamptz("created_at"),
        varchar("created_by", 200),
        timestamptz("updated_at"),
        timestamptz("notified_at", nullable=True),
        timestamptz("contained_at", nullable=True),
        timestamptz("closed_at", nullable=True),
        pk("id"),
        uq("operator_id", "trigger_ref"),
        ix("operator_id", "state"),
    )


def _timeline_and_subjects() -> None:
    create_table(
        "incident_events",
        varchar("incident_id", 32),
        integer("seq", autoincrement=False),
        timestamptz("at"),
        varchar("actor", 200),
        varchar("kind", 30),
        text("details"),
        pk("incident_id", "seq"),
    )
    create_table(
        "incident_subjects",
        varchar("incident_id", 32),
        varchar("subject_id", 36),
        pk("incident_id", "subject_id"),
    )
    create_table(
        "incident_exports",
        varchar("id", 32),
        varchar("incident_id", 32),
        varchar("key_id", 60),
        blob("sealed"),
        integer("subjects"),
        timestamptz("created_at"),
        varchar("created_by", 200),
        pk("id"),
        ix("incident_id"),
    )
    create_table(
        "incident_scans",
        varchar("operator_id", 100),
        bigint("audit_seq", autoincrement=False),
        bigint("alert_id", autoincrement=False),
        timestamptz("scanned_at"),
        pk("operator_id"),
    )


def downgrade() -> None:
    drop_table("incident_scans")
    drop_table("incident_exports", ix("incident_id"))
    drop_table("incident_subjects")
    drop_table("incident_events")
    drop_table("incidents", ix("operator_id", "state"))


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "0014"
down_revision: str | None = "0013"

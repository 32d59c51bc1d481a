"""Incidents: the register, each incident's timeline and named subjects, sealed exports.

Subjects appear only by their internal id (``incident_subjects``); the list with
their names, IINs and phone numbers for the notification exists only sealed
(``incident_exports.sealed``) under a key of its own in the key store. JSON
columns hold canonical JSON text of ids and labels, never a subject's value.
"""

from __future__ import annotations

from sqlalchemy import Table, UniqueConstraint

from derbes.platform.tables.base import metadata
from derbes.platform.tables.columns import (
    big_integer,
    index,
    instant,
    integer,
    key,
    operator_id,
    optional,
    sealed_under_own_key,
    string,
    text,
)

incidents = Table(
    "incidents",
    metadata,
    key(string("id", 32)),
    operator_id(),
    string("state", 12),
    string("source", 20),
    instant("detected_at"),
    text("summary"),
    string("severity", 10),
    text("categories"),  # JSON list of category ids
    text("systems"),  # JSON list of system names
    optional(integer("subject_count")),
    text("measures_taken"),
    text("planned_measures"),
    text("lessons"),
    text("dismiss_reason"),
    optional(string("trigger", 30)),
    optional(string("trigger_ref", 100)),
    instant("created_at"),
    string("created_by", 200),
    instant("updated_at"),
    optional(instant("notified_at")),
    optional(instant("contained_at")),
    optional(instant("closed_at")),
    UniqueConstraint("operator_id", "trigger_ref"),
    index("operator_id", "state"),
)

incident_events = Table(
    "incident_events",
    metadata,
    key(string("incident_id", 32)),
    key(integer("seq")),
    instant("at"),
    string("actor", 200),
    string("kind", 30),
    text("details"),  # JSON: field names and ids, never a subject's value
)

incident_subjects = Table(
    "incident_subjects",
    metadata,
    key(string("incident_id", 32)),
    key(string("subject_id", 36)),
)

incident_exports = Table(
    "incident_exports",
    metadata,
    key(string("id", 32)),
    string("incident_id", 32),
    *sealed_under_own_key(),
    integer("subjects"),
    instant("created_at"),
    string("created_by", 200),
    index("incident_id"),
)

incident_scans = Table(
    "incident_scans",
    metadata,
    key(operator_id()),
    big_integer("audit_seq"),
    big_integer("alert_id"),
    instant("scanned_at"),
)

incident_notifications = Table(
    "incident_notifications",
    metadata,
    key(string("incident_id", 32)),
    key(string("subject_id", 36)),
    string("language", 5),
    optional(string("channel", 10)),  # None: no phone or e-mail held
    optional(string("delivery_id", 32)),  # the delivery's record (recipient masked, sealed)
    string("outcome", 20),
    instant("at"),
    string("actor", 200),
)

incident_evidence = Table(
    "incident_evidence",
    metadata,
    key(string("id", 32)),
    string("incident_id", 32),
    string("name", 200),
    string("media_type", 100),
    integer("size"),
    string("sha256", 64),
    *sealed_under_own_key(),  # the file (it may hold PD)
    instant("added_at"),
    string("added_by", 200),
    index("incident_id"),
)

"""Tables of the access audit log and its alerts.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from derbes.platform.tables.base import UtcDateTime, metadata

__all__ = ["access_alerts", "audit_head", "audit_log"]

# --- Access audit ---------------------------------

# The access audit log: append-only, hash-chained (audit/model/log.py). ``seq`` is
# assigned by the writer from ``audit_head``, never by the database, so a
# deleted entry leaves a gap that ``derbes audit verify`` reports. JSON columns
# hold canonical JSON text; subjects appear only by their internal id.
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(50), nullable=False),
    Column("subject_ids", Text, nullable=False),
    Column("subject_count", Integer, nullable=False),
    Column("categories", Text, nullable=False),
    Column("purpose", String(200), nullable=True),
    Column("request_id", String(100), nullable=True),
    Column("details", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_log_actor_at", "actor", "at"),
    Index("ix_audit_log_at", "at"),
)

# The last entry written: one row (id = 1), locked and moved in the same
# transaction as every append, so concurrent writers take turns and a tail cut
# off the log no longer matches it.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

# Alerts on unusual access (data/access_rules.yaml; Order 179/НҚ: detection of
# unauthorised access): one row per actor, rule and window.
access_alerts = Table(
    "access_alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("rule", String(100), nullable=False),
    Column("count", Integer, nullable=False),
    Column("window_seconds", Integer, nullable=False),
    Column("first_at", UtcDateTime(), nullable=False),
    Column("last_at", UtcDateTime(), nullable=False),
    Column("details", Text, nullable=False),
    Index("ix_access_alerts_actor_rule_at", "actor", "rule", "at"),
)

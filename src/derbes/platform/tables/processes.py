"""What is done with it: transfers, data-subject requests, retention (legal holds,
clocks, runs) and destruction acts.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from derbes.platform.tables.base import UtcDateTime, metadata

# --- Transfer log ---------------------------------------------
# Every disclosure actually made, decided first (decisions/model.py), then
# recorded here. The basis is a consent (its ids per subject, below) or a legal
# basis with its citation; a transfer on a state body's motivated request
# (Law 94-V Art. 9) carries the body, the request's number and date.
transfers = Table(
    "transfers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("operator_id", String(100), nullable=False),
    Column("recipient_id", String(100), nullable=False),
    Column("purpose", String(100), nullable=False),
    Column("categories", Text, nullable=False),  # JSON list of category ids
    Column("basis_kind", String(30), nullable=False),
    Column("law_citation", Text, nullable=True),
    Column("state_body", String(300), nullable=True),
    Column("request_number", String(100), nullable=True),
    Column("request_date", Date, nullable=True),
    Column("subject_count", Integer, nullable=False),
    Column("decision", Text, nullable=False),  # JSON: the reasons that allowed it
    Column("request_id", String(100), nullable=True),
    Index("ix_transfers_operator_id_at", "operator_id", "at"),
)

# The subjects of a transfer, with the consents it rested on for each (JSON
# list, empty for a transfer without consent): the subject's view reads these.
transfer_subjects = Table(
    "transfer_subjects",
    metadata,
    Column("transfer_id", String(36), ForeignKey("transfers.id", ondelete="CASCADE"),
           nullable=False),
    Column("subject_id", String(36), ForeignKey("subjects.id"), nullable=False),
    Column("consent_ids", Text, nullable=False),
    PrimaryKeyConstraint("transfer_id", "subject_id"),
    Index("ix_transfer_subjects_subject_id", "subject_id"),
)


# --- Data-subject requests -------------------------------------
# Requests of Law 94-V Art. 24. No PD in clear: the representative's document,
# the payload (identifiers given, rectification values, supporting documents)
# and the full answer (which lists PD values) are sealed with the request's own
# data key in the key store (AAD bound to the request id and field); ``answer``
# holds only what is not PD (categories, purposes, counts, recipients).
subject_requests = Table(
    "subject_requests",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("operator_id", String(100), nullable=False),
    Column("subject_id", String(36), nullable=True),  # None: nobody known
    Column("type", String(30), nullable=False),
    Column("state", String(20), nullable=False),
    Column("language", String(5), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("deadline_id", String(50), nullable=False),
    Column("deadline_citation", Text, nullable=False),
    Column("requester", String(20), nullable=False),
    Column("representative_sealed", LargeBinary, nullable=True),
    Column("verification_method", String(20), nullable=True),
    Column("verification_ref", String(200), nullable=True),
    Column("payload_sealed", LargeBinary, nullable=True),
    Column("answer", Text, nullable=True),  # JSON without PD
    Column("answer_sealed", LargeBinary, nullable=True),
    Column("refusal_reasons", Text, nullable=False),  # JSON list
    Column("pending_reason", Text, nullable=True),
    Column("closed_at", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_subject_requests_operator_id_state_due_date", "operator_id", "state", "due_date"),
    Index("ix_subject_requests_state_due_date", "state", "due_date"),
    Index("ix_subject_requests_subject_id", "subject_id"),
)

# Every move of a request's state machine (also in the audit log, same transaction).
request_transitions = Table(
    "request_transitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "request_id",
        String(36),
        ForeignKey("subject_requests.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("from_state", String(20), nullable=True),
    Column("to_state", String(20), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("reason", Text, nullable=True),
    Index("ix_request_transitions_request_id", "request_id"),
)


# --- Retention and destruction ---------------------------------
# Legal holds stop destruction of what they cover (court decision, AML
# investigation): who, on what basis, until when; released by a later event.
legal_holds = Table(
    "legal_holds",
    metadata,
    Column("hold_id", String(100), primary_key=True),  # id of its legal_hold_set event
    Column("subject_id", String(36), ForeignKey("subjects.id"), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("basis", Text, nullable=False),
    Column("set_by", String(1000), nullable=False),
    Column("set_at", UtcDateTime(), nullable=False),
    Column("until", Date, nullable=True),
    Column("categories", Text, nullable=True),  # JSON list; NULL: every category
    Column("released_at", UtcDateTime(), nullable=True),
    Column("released_by", String(1000), nullable=True),
    Column("release_event_id", String(100), nullable=True),
    Index("ix_legal_holds_subject_id", "subject_id"),
)

# Purpose clocks: per subject and purpose, the trigger's date and the last day
# of retention (NULL: the purpose is still running). The decision point reads
# the expired ones; they are recomputed per subject when its events arrive.
retention_clocks = Table(
    "retention_clocks",
    metadata,
    Column("subject_id", String(36), nullable=False),
    Column("purpose_id", String(100), nullable=False),
    Column("operator_id", String(100), nullable=False),
    Column("trigger", String(30), nullable=True),
    Column("trigger_date", Date, nullable=True),
    Column("end_date", Date, nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("subject_id", "purpose_id"),
)

# Category clocks: per subject and held category, the last day it is kept
# (latest end of the purposes needing it, pushed by holds; NULL: kept for
# now). The plan is one range query on (operator_id, keep_until). A row goes
# when its category is destroyed.
retention_category_clocks = Table(
    "retention_category_clocks",
    metadata,
    Column("subject_id", String(36), nullable=False),
    Column("category", String(100), nullable=False),
    Column("operator_id", String(100), nullable=False),
    Column("keep_until", Date, nullable=True),
    Column("purpose_id", String(100), nullable=True),  # governs the destruction
    Column("held", Integer, nullable=False),  # 1: a legal hold decides keep_until
    PrimaryKeyConstraint("subject_id", "category"),
    Index("ix_retention_category_clocks_operator_id_keep_until", "operator_id", "keep_until"),
)

# Runs of the sweep: one row each; its items are the subjects it found due.
retention_runs = Table(
    "retention_runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("operator_id", String(100), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("state", String(20), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("batch_size", Integer, nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("subjects_total", Integer, nullable=False),
    Column("subjects_done", Integer, nullable=False),
    Column("subjects_shredded", Integer, nullable=False),
    Column("subjects_partial", Integer, nullable=False),
    Column("subjects_skipped", Integer, nullable=False),
    Column("values_deleted", Integer, nullable=False),
    # JSON: governing purpose -> {category: (subject, category) pairs destroyed}
    Column("groups", Text, nullable=False),
    Column("act_id", String(36), nullable=True),
    Index("ix_retention_runs_operator_id_state", "operator_id", "state"),
)

# The subjects of a run, per governing purpose (``items``: how many of their
# categories fall under it), marked done in the same transaction as the
# deletion of their rows. The destruction act's groups are read from here.
retention_run_items = Table(
    "retention_run_items",
    metadata,
    Column("run_id", String(36), ForeignKey("retention_runs.id"), nullable=False),
    Column("subject_id", String(36), nullable=False),
    Column("purpose_id", String(100), nullable=False),  # "" when no purpose governs
    Column("items", Integer, nullable=False),
    Column("state", String(10), nullable=False),  # pending | done | skipped
    Column("shredded", Integer, nullable=True),  # 1: data key destroyed
    PrimaryKeyConstraint("run_id", "subject_id", "purpose_id"),
    Index("ix_retention_run_items_run_id_state_subject_id", "run_id", "state", "subject_id"),
)


# --- Destruction acts ------------------------------------------
# One act per completed retention run (and operator), numbered per operator per
# year. ``body`` is the act's canonical JSON (no PD: subjects only as keyed
# pseudonymous references), ``digest`` its SHA-256, checked on every read.
destruction_acts = Table(
    "destruction_acts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("operator_id", String(100), nullable=False),
    Column("year", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("number", String(40), nullable=False),
    Column("act_date", Date, nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("run_id", String(36), nullable=False),
    Column("subjects_total", Integer, nullable=False),
    Column("groups", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    UniqueConstraint("operator_id", "year", "seq"),
    UniqueConstraint("run_id", "operator_id"),
    Index("ix_destruction_acts_operator_id_issued_at", "operator_id", "issued_at"),
)

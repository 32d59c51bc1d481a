"""What is done with it: transfers, data-subject requests, retention (legal holds,
clocks, runs) and destruction acts.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

from derbes.platform.tables.base import metadata
from derbes.platform.tables.columns import (
    binary,
    day,
    index,
    instant,
    integer,
    key,
    operator_id,
    optional,
    serial,
    string,
    subject_id,
    text,
)

# --- Transfer log ---------------------------------------------
# Every disclosure actually made, decided first (decisions/model.py), then
# recorded here. The basis is a consent (its ids per subject, below) or a legal
# basis with its citation; a transfer on a state body's motivated request
# (Law 94-V Art. 9) carries the body, the request's number and date.
transfers = Table(
    "transfers",
    metadata,
    key(string("id", 36)),
    instant("at"),
    string("actor", 200),
    operator_id(),
    string("recipient_id", 100),
    string("purpose", 100),
    text("categories"),  # JSON list of category ids
    string("basis_kind", 30),
    optional(text("law_citation")),
    optional(string("state_body", 300)),
    optional(string("request_number", 100)),
    optional(day("request_date")),
    integer("subject_count"),
    text("decision"),  # JSON: the reasons that allowed it
    optional(string("request_id", 100)),
    index("operator_id", "at"),
)

# The subjects of a transfer, with the consents it rested on for each (JSON
# list, empty for a transfer without consent): the subject's view reads these.
transfer_subjects = Table(
    "transfer_subjects",
    metadata,
    Column("transfer_id", String(36), ForeignKey("transfers.id", ondelete="CASCADE"),
           nullable=False),
    subject_id(),
    text("consent_ids"),
    PrimaryKeyConstraint("transfer_id", "subject_id"),
    index("subject_id"),
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
    key(string("id", 36)),
    operator_id(),
    optional(string("subject_id", 36)),  # None: nobody known
    string("type", 30),
    string("state", 20),
    string("language", 5),
    instant("received_at"),
    day("due_date"),
    string("deadline_id", 50),
    text("deadline_citation"),
    string("requester", 20),
    optional(binary("representative_sealed")),
    optional(string("verification_method", 20)),
    optional(string("verification_ref", 200)),
    optional(binary("payload_sealed")),
    optional(text("answer")),  # JSON without PD
    optional(binary("answer_sealed")),
    text("refusal_reasons"),  # JSON list
    optional(text("pending_reason")),
    optional(instant("closed_at")),
    instant("updated_at"),
    index("operator_id", "state", "due_date"),
    # The inbox without a state filter, in its order: read off the index (0023).
    index("operator_id", "due_date", "received_at", "id"),
    index("state", "due_date"),
    index("subject_id"),
)

# Every move of a request's state machine (also in the audit log, same transaction).
request_transitions = Table(
    "request_transitions",
    metadata,
    serial("id"),
    Column(
        "request_id",
        String(36),
        ForeignKey("subject_requests.id", ondelete="CASCADE"),
        nullable=False,
    ),
    optional(string("from_state", 20)),
    string("to_state", 20),
    instant("at"),
    string("actor", 200),
    optional(text("reason")),
    index("request_id"),
)


# --- Retention and destruction ---------------------------------
# Legal holds stop destruction of what they cover (court decision, AML
# investigation): who, on what basis, until when; released by a later event.
legal_holds = Table(
    "legal_holds",
    metadata,
    key(string("hold_id", 100)),  # id of its legal_hold_set event
    subject_id(),
    string("kind", 30),
    text("basis"),
    string("set_by", 1000),
    instant("set_at"),
    optional(day("until")),
    optional(text("categories")),  # JSON list; NULL: every category
    optional(instant("released_at")),
    optional(string("released_by", 1000)),
    optional(string("release_event_id", 100)),
    index("subject_id"),
)

# Purpose clocks: per subject and purpose, the trigger's date and the last day
# of retention (NULL: the purpose is still running). The decision point reads
# the expired ones; they are recomputed per subject when its events arrive.
retention_clocks = Table(
    "retention_clocks",
    metadata,
    string("subject_id", 36),
    string("purpose_id", 100),
    operator_id(),
    optional(string("trigger", 30)),
    optional(day("trigger_date")),
    optional(day("end_date")),
    instant("updated_at"),
    PrimaryKeyConstraint("subject_id", "purpose_id"),
)

# Category clocks: per subject and held category, the last day it is kept
# (latest end of the purposes needing it, pushed by holds; NULL: kept for
# now). The plan is one range query on (operator_id, keep_until). A row goes
# when its category is destroyed.
retention_category_clocks = Table(
    "retention_category_clocks",
    metadata,
    string("subject_id", 36),
    string("category", 100),
    operator_id(),
    optional(day("keep_until")),
    optional(string("purpose_id", 100)),  # governs the destruction
    integer("held"),  # 1: a legal hold decides keep_until
    PrimaryKeyConstraint("subject_id", "category"),
    index("operator_id", "keep_until"),
)

# Runs of the sweep: one row each; its items are the subjects it found due.
retention_runs = Table(
    "retention_runs",
    metadata,
    key(string("id", 36)),
    operator_id(),
    day("as_of"),
    string("state", 20),
    string("actor", 200),
    integer("batch_size"),
    instant("started_at"),
    optional(instant("finished_at")),
    integer("subjects_total"),
    integer("subjects_done"),
    integer("subjects_shredded"),
    integer("subjects_partial"),
    integer("subjects_skipped"),
    integer("values_deleted"),
    # JSON: governing purpose -> {category: (subject, category) pairs destroyed}
    text("groups"),
    optional(string("act_id", 36)),
    index("operator_id", "state"),
)

# The subjects of a run, per governing purpose (``items``: how many of their
# categories fall under it), marked done in the same transaction as the
# deletion of their rows. The destruction act's groups are read from here.
retention_run_items = Table(
    "retention_run_items",
    metadata,
    Column("run_id", String(36), ForeignKey("retention_runs.id"), nullable=False),
    string("subject_id", 36),
    string("purpose_id", 100),  # "" when no purpose governs
    integer("items"),
    string("state", 10),  # pending | done | skipped
    optional(integer("shredded")),  # 1: data key destroyed
    PrimaryKeyConstraint("run_id", "subject_id", "purpose_id"),
    index("run_id", "state", "subject_id"),
)


# --- Destruction acts ------------------------------------------
# One act per completed retention run (and operator), numbered per operator per
# year. ``body`` is the act's canonical JSON (no PD: subjects only as keyed
# pseudonymous references), ``digest`` its SHA-256, checked on every read.
destruction_acts = Table(
    "destruction_acts",
    metadata,
    key(string("id", 36)),
    operator_id(),
    integer("year"),
    integer("seq"),
    string("number", 40),
    day("act_date"),
    instant("issued_at"),
    string("run_id", 36),
    integer("subjects_total"),
    integer("groups"),
    text("body"),
    string("digest", 64),
    UniqueConstraint("operator_id", "year", "seq"),
    UniqueConstraint("run_id", "operator_id"),
    index("operator_id", "issued_at"),
)

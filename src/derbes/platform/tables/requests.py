"""Tables of data-subject requests.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from derbes.platform.tables.base import UtcDateTime, metadata

__all__ = ["request_transitions", "subject_requests"]

# --- Data-subject requests -------------------------------------
# Requests of Law 94-V Art. 24. No PD in clear: the representative"s document,
# the payload (identifiers given, rectification values, supporting documents)
# and the full answer (which lists PD values) are sealed with the request"s own
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

# Every move of a request"s state machine (also in the audit log, same transaction).
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

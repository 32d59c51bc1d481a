"""Tables of the transfer log.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from derbes.platform.tables.base import UtcDateTime, metadata

__all__ = ["transfer_subjects", "transfers"]

# --- Transfer log ---------------------------------------------
# Every disclosure actually made, decided first (decisions/model.py), then
# recorded here. The basis is a consent (its ids per subject, below) or a legal
# basis with its citation; a transfer on a state body"s motivated request
# (Law 94-V Art. 9) carries the body, the request"s number and date.
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
# list, empty for a transfer without consent): the subject"s view reads these.
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

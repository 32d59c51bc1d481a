"""Tables of consents, the consent ledger, state seals, lifecycle events and eGov requests.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
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

__all__ = [
    "consent_ledger",
    "consent_ledger_head",
    "consents",
    "contracts",
    "egov_requests",
    "lifecycle_events",
    "subject_seals",
]

# --- Consent ledger and lifecycle events ----------------------

# Current state of each consent: a projection of its ledger entries. One row
# per scope of an act of consent. IP, user agent and document numbers are PD:
# they exist only sealed with the subject"s data key (AAD bound to the consent
# id); a crypto-shredded subject"s evidence no longer opens.
consents = Table(
    "consents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("act_id", String(36), nullable=False),
    Column("subject_id", String(36), ForeignKey("subjects.id"), nullable=False),
    Column("operator_id", String(100), nullable=False),
    Column("scope", String(30), nullable=False),
    Column("purposes", Text, nullable=False),  # JSON list of purpose ids
    Column("recipients", Text, nullable=False),  # JSON list of recipient ids
    Column("cookie_categories", Text, nullable=False),  # JSON list
    Column("policy_version", String(100), nullable=False),
    Column("policy_hash", String(64), nullable=False),
    Column("channel", String(30), nullable=False),
    Column("evidence_refs", Text, nullable=False),  # JSON: OTP / 3DS / eGov references
    Column("evidence_sealed", LargeBinary, nullable=True),
    Column("given_by", String(20), nullable=False),
    Column("representative_sealed", LargeBinary, nullable=True),
    Column("valid_until", UtcDateTime(), nullable=True),
    Column("given_at", UtcDateTime(), nullable=False),
    Column("withdrawn_at", UtcDateTime(), nullable=True),
    Column("expired_at", UtcDateTime(), nullable=True),
    Column("needs_reconsent_since", UtcDateTime(), nullable=True),
    Column("idempotency_key", String(200), nullable=True),
    Column("request_hash", String(64), nullable=False),
    # A retried request never creates a second record: one act per key, one
    # row per scope of it.
    UniqueConstraint("operator_id", "idempotency_key", "scope"),
    Index("ix_consents_subject_id", "subject_id"),
    Index("ix_consents_operator_id_scope", "operator_id", "scope"),
    Index("ix_consents_act_id", "act_id"),
)

# The consent ledger: append-only, hash-chained like the audit log. The
# payload holds no PD (ids, scopes, references, the digest of the sealed
# evidence); ``seq`` comes from ``consent_ledger_head``, never the database.
consent_ledger = Table(
    "consent_ledger",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("event", String(40), nullable=False),
    Column("consent_id", String(36), nullable=False),
    Column("subject_id", String(36), nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # (subject, seq): the subject"s latest entry is one index probe (state seals).
    Index("ix_consent_ledger_subject_id_seq", "subject_id", "seq"),
    Index("ix_consent_ledger_consent_id", "consent_id"),
)

consent_ledger_head = Table(
    "consent_ledger_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

# The seal of each subject"s decision state (integrity/model/state_seal.py): a keyed MAC
# over what the decision point reads about the subject — its block and
# destruction marks, active category blocks, open contracts, consents,
# retention clocks and latest consent-ledger entry — rewritten in the same
# transaction as every change of them. ``components`` holds an unkeyed SHA-256
# per part (JSON), so a verifier can name the part that was changed.
subject_seals = Table(
    "subject_seals",
    metadata,
    Column("subject_id", String(36), primary_key=True),
    Column("mac", String(64), nullable=False),
    Column("components", Text, nullable=False),
)

# Lifecycle events reported by the operator"s systems; the event id makes a
# redelivery harmless. Legal holds and retention clocks rest on them.
lifecycle_events = Table(
    "lifecycle_events",
    metadata,
    Column("event_id", String(100), primary_key=True),
    Column("subject_id", String(36), ForeignKey("subjects.id"), nullable=False),
    Column("type", String(30), nullable=False),
    Column("contract_id", String(100), nullable=True),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("data", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Index("ix_lifecycle_events_subject_id_type", "subject_id", "type"),
)

# The decision point polls lifecycle events recorded since it last looked, to
# drop cached states whose contracts changed (decisions/service.py).
Index("ix_lifecycle_events_recorded_at", lifecycle_events.c.recorded_at)


# Contracts: the projection of contract_opened / contract_closed events.
contracts = Table(
    "contracts",
    metadata,
    Column("subject_id", String(36), ForeignKey("subjects.id"), nullable=False),
    Column("contract_id", String(100), nullable=False),
    Column("opened_at", UtcDateTime(), nullable=True),
    Column("closed_at", UtcDateTime(), nullable=True),
    PrimaryKeyConstraint("subject_id", "contract_id"),
)

# Requests sent to the eGov consent service, waiting for the subject"s answer.
egov_requests = Table(
    "egov_requests",
    metadata,
    Column("request_id", String(100), primary_key=True),
    Column("subject_id", String(36), ForeignKey("subjects.id"), nullable=False),
    Column("operator_id", String(100), nullable=False),
    Column("request", Text, nullable=False),  # JSON: scopes, given_by, term (no PD)
    Column("status", String(20), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=False),
    Column("decided_at", UtcDateTime(), nullable=True),
    Column("act_id", String(36), nullable=True),
    Index("ix_egov_requests_subject_id", "subject_id"),
)

"""What is held about subjects and who touched it: registers, the PD vault and
its key swaps, the access audit log and alerts, API keys and throttling, consents,
the consent ledger, state seals, lifecycle events and eGov requests.
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


def _chain_head(name: str) -> Table:
    """The head of a hash chain: one row (id = 1) with the last entry's seq and hash."""
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("seq", BigInteger, nullable=False),
        Column("hash", String(64), nullable=False),
        CheckConstraint("id = 1", name="single_row"),
    )


# Each version of an operator's processing register as it was loaded: the
# evidence of which policy text was in force when (Law 94-V Art. 24: the
# subject is told the purposes and terms that applied).
registers = Table(
    "registers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("operator_id", String(100), nullable=False),
    Column("policy_version", String(100), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("source_yaml", Text, nullable=False),
    Column("loaded_at", UtcDateTime(), nullable=False),
    Index("ix_registers_operator_id_loaded_at", "operator_id", "loaded_at"),
)


# ---------------------------------------------------------------- PD vault
# No column holds personal data in clear: values are sealed with the
# subject's data key (AES-256-GCM, the key lives in the separate key store),
# identifiers exist only as keyed blind-index digests, card numbers only as a
# random token with BIN6 and last 4 (PCI DSS v4.0 req. 3.4.1 allows those).

# A subject of one operator. After destruction the row stays as a tombstone
# (id, operator, times) holding no PD, so audit entries still resolve.
subjects = Table(
    "subjects",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("operator_id", String(100), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("blocked_at", UtcDateTime(), nullable=True),
    Column("block_reason", Text, nullable=True),
    Column("destroyed_at", UtcDateTime(), nullable=True),
    Index("ix_subjects_operator_id", "operator_id"),
)

# One sealed value of one category; ``seq`` numbers several values of the
# same category (two phones). The AAD of the seal is (subject, category, seq).
pd_values = Table(
    "pd_values",
    metadata,
    Column(
        "subject_id",
        String(36),
        ForeignKey("subjects.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("category", String(100), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("value_type", String(20), nullable=False),
    Column("source", String(30), nullable=False),
    Column("purposes", Text, nullable=False),  # JSON list of purpose ids
    Column("method", String(100), nullable=False),
    Column("collected_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("subject_id", "category", "seq"),
)

# Blind index: HMAC-SHA-256 (key in the key store) of a normalised identifier.
# Per operator: one person may be a subject of two operators.
subject_lookups = Table(
    "subject_lookups",
    metadata,
    Column("operator_id", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("digest", String(64), nullable=False),
    Column(
        "subject_id",
        String(36),
        ForeignKey("subjects.id", ondelete="CASCADE"),
        nullable=False,
    ),
    PrimaryKeyConstraint("operator_id", "kind", "digest"),
    Index("ix_subject_lookups_kind_digest", "kind", "digest"),
    Index("ix_subject_lookups_subject_id", "subject_id"),
)

# Blocks of single categories of a subject; a whole-subject block is on ``subjects``.
category_blocks = Table(
    "category_blocks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "subject_id",
        String(36),
        ForeignKey("subjects.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("category", String(100), nullable=False),
    Column("reason", Text, nullable=False),
    Column("blocked_at", UtcDateTime(), nullable=False),
    Column("unblocked_at", UtcDateTime(), nullable=True),
    Index("ix_category_blocks_subject_id_category", "subject_id", "category"),
)

# Payment cards: the PAN is never stored.
card_tokens = Table(
    "card_tokens",
    metadata,
    Column("token", String(64), primary_key=True),
    Column(
        "subject_id",
        String(36),
        ForeignKey("subjects.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("bin6", String(6), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("brand", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_card_tokens_subject_id", "subject_id"),
)


# --- Key swaps of partial destruction ----------------------------------------
# The data database's half of a partial crypto-shredding: the data
# transaction that re-seals a subject's kept values under its next key records
# the swap here as ``committed``; a run that finds the swap unfinished in the
# key store and no row here records ``aborted`` first (the primary key makes
# the two exclusive). The key store then keeps the key this row says the data
# is sealed under (vault/service/keyswap.py). No PD: ids and counts.
key_swaps = Table(
    "key_swaps",
    metadata,
    Column("swap_id", String(36), primary_key=True),
    Column("state", String(10), nullable=False),
    Column("subjects", Integer, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
)


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
audit_head = _chain_head("audit_head")

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


# API keys of service callers: only a SHA-256 of the secret is kept; the key
# itself is shown once, at creation.
api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("secret_sha256", String(64), nullable=False),
    Column("scopes", Text, nullable=False),
    Column("operator_id", String(100), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("last_used_at", UtcDateTime(), nullable=True),
    # A key stops working at this instant (NULL: until revoked). Order 179/НҚ:
    # access that is no longer needed is withdrawn; a term makes it the default.
    Column("expires_at", UtcDateTime(), nullable=True),
    # Whom the key belongs to: ``staff:<person id>`` or ``service:<name>`` (the
    # audit log names the person behind a key; Order 179/НҚ: logging of user actions).
    Column("owner", String(200), nullable=False),
    Index("ix_api_keys_owner", "owner"),
)

# Attempts at proving an identity or a key, counted to stop guessing
# (data/identity_limits.yaml): OTP codes issued and tried per request or
# subject, failed API-key attempts per client, and lock-outs with their end.
# ``key`` names what is counted — a request or subject id, or a keyed digest
# of a client's address (an address is PD: never stored in clear).
auth_throttle = Table(
    "auth_throttle",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(20), nullable=False),  # otp | api_key
    Column("key", String(100), nullable=False),
    Column("reference", String(200), nullable=True),  # the OTP reference tried
    Column("outcome", String(20), nullable=False),  # issued | refused | attempt | locked
    Column("at", UtcDateTime(), nullable=False),
    Column("until", UtcDateTime(), nullable=True),  # end of a lock-out
    Index("ix_auth_throttle_scope_key_at", "scope", "key", "at"),
)


# --- Consent ledger and lifecycle events ----------------------

# Current state of each consent: a projection of its ledger entries. One row
# per scope of an act of consent. IP, user agent and document numbers are PD:
# they exist only sealed with the subject's data key (AAD bound to the consent
# id); a crypto-shredded subject's evidence no longer opens.
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
    # (subject, seq): the subject's latest entry is one index probe (state seals).
    Index("ix_consent_ledger_subject_id_seq", "subject_id", "seq"),
    Index("ix_consent_ledger_consent_id", "consent_id"),
)

consent_ledger_head = _chain_head("consent_ledger_head")

# The seal of each subject's decision state (integrity/model/state_seal.py): a keyed MAC
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

# Lifecycle events reported by the operator's systems; the event id makes a
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

# Requests sent to the eGov consent service, waiting for the subject's answer.
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

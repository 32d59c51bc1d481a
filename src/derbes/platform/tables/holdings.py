"""What is held about subjects and who touched it: registers, the PD vault and
its key swaps, the access audit log and alerts, API keys and throttling, consents,
the consent ledger, state seals, lifecycle events and eGov requests.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
)

from derbes.platform.tables.base import metadata
from derbes.platform.tables.columns import (
    big_integer,
    binary,
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


def _chain_head(name: str) -> Table:
    """The head of a hash chain: one row (id = 1) with the last entry's seq and hash."""
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        big_integer("seq"),
        string("hash", 64),
        CheckConstraint("id = 1", name="single_row"),
    )


# Each version of an operator's processing register as it was loaded: the
# evidence of which policy text was in force when (Law 94-V Art. 24: the
# subject is told the purposes and terms that applied).
registers = Table(
    "registers",
    metadata,
    serial("id"),
    operator_id(),
    string("policy_version", 100),
    string("sha256", 64),
    text("source_yaml"),
    instant("loaded_at"),
    index("operator_id", "loaded_at"),
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
    key(string("id", 36)),
    operator_id(),
    instant("created_at"),
    optional(instant("blocked_at")),
    optional(text("block_reason")),
    optional(instant("destroyed_at")),
    # Also the console's blocked subjects: a range of the index (migration 0020).
    index("operator_id", "blocked_at"),
)

# One sealed value of one category; ``seq`` numbers several values of the
# same category (two phones). The AAD of the seal is (subject, category, seq).
pd_values = Table(
    "pd_values",
    metadata,
    subject_id(ondelete="CASCADE"),
    string("category", 100),
    integer("seq"),
    binary("sealed"),
    string("value_type", 20),
    string("source", 30),
    text("purposes"),  # JSON list of purpose ids
    string("method", 100),
    instant("collected_at"),
    instant("updated_at"),
    PrimaryKeyConstraint("subject_id", "category", "seq"),
)

# Blind index: HMAC-SHA-256 (key in the key store) of a normalised identifier.
# Per operator: one person may be a subject of two operators.
subject_lookups = Table(
    "subject_lookups",
    metadata,
    operator_id(),
    string("kind", 20),
    string("digest", 64),
    subject_id(ondelete="CASCADE"),
    PrimaryKeyConstraint("operator_id", "kind", "digest"),
    index("kind", "digest"),
    index("subject_id"),
)

# The committed batches of a file import (``derbes subject import``), written with
# the batch's subjects: a resumed import skips exactly these. No personal data.
subject_imports = Table(
    "subject_imports",
    metadata,
    string("import_id", 64),
    integer("batch"),
    integer("subjects"),
    integer("rejected"),
    instant("committed_at"),
    PrimaryKeyConstraint("import_id", "batch"),
)

# Blocks of single categories of a subject; a whole-subject block is on ``subjects``.
category_blocks = Table(
    "category_blocks",
    metadata,
    serial("id"),
    subject_id(ondelete="CASCADE"),
    string("category", 100),
    text("reason"),
    instant("blocked_at"),
    optional(instant("unblocked_at")),
    index("subject_id", "category"),
)

# Payment cards: the PAN is never stored.
card_tokens = Table(
    "card_tokens",
    metadata,
    key(string("token", 64)),
    subject_id(ondelete="CASCADE"),
    string("bin6", 6),
    string("last4", 4),
    string("brand", 20),
    instant("created_at"),
    index("subject_id"),
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
    key(string("swap_id", 36)),
    string("state", 10),
    integer("subjects"),
    instant("recorded_at"),
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
    instant("at"),
    string("actor", 200),
    string("action", 50),
    text("subject_ids"),
    integer("subject_count"),
    text("categories"),
    optional(string("purpose", 200)),
    optional(string("request_id", 100)),
    text("details"),
    string("prev_hash", 64),
    string("hash", 64),
    index("actor", "at"),
    index("at"),
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
    serial("id"),
    instant("at"),
    string("actor", 200),
    string("rule", 100),
    integer("count"),
    integer("window_seconds"),
    instant("first_at"),
    instant("last_at"),
    text("details"),
    index("actor", "rule", "at"),
)


# API keys of service callers: only a SHA-256 of the secret is kept; the key
# itself is shown once, at creation.
api_keys = Table(
    "api_keys",
    metadata,
    key(string("key_id", 32)),
    string("name", 200),
    string("secret_sha256", 64),
    text("scopes"),
    optional(operator_id()),
    instant("created_at"),
    optional(instant("revoked_at")),
    optional(instant("last_used_at")),
    # A key stops working at this instant (NULL: until revoked). Order 179/НҚ:
    # access that is no longer needed is withdrawn; a term makes it the default.
    optional(instant("expires_at")),
    # Whom the key belongs to: ``staff:<person id>`` or ``service:<name>`` (the
    # audit log names the person behind a key; Order 179/НҚ: logging of user actions).
    string("owner", 200),
    index("owner"),
)

# Attempts at proving an identity or a key, counted to stop guessing
# (data/identity_limits.yaml): OTP codes issued and tried per request or
# subject, failed API-key attempts per client, and lock-outs with their end.
# ``key`` names what is counted — a request or subject id, or a keyed digest
# of a client's address (an address is PD: never stored in clear).
auth_throttle = Table(
    "auth_throttle",
    metadata,
    serial("id"),
    string("scope", 20),  # otp | api_key
    string("key", 100),
    optional(string("reference", 200)),  # the OTP reference tried
    string("outcome", 20),  # issued | refused | attempt | locked
    instant("at"),
    optional(instant("until")),  # end of a lock-out
    index("scope", "key", "at"),
)


# --- Consent ledger and lifecycle events ----------------------

# Current state of each consent: a projection of its ledger entries. One row
# per scope of an act of consent. IP, user agent and document numbers are PD:
# they exist only sealed with the subject's data key (AAD bound to the consent
# id); a crypto-shredded subject's evidence no longer opens.
consents = Table(
    "consents",
    metadata,
    key(string("id", 36)),
    string("act_id", 36),
    subject_id(),
    operator_id(),
    string("scope", 30),
    text("purposes"),  # JSON list of purpose ids
    text("recipients"),  # JSON list of recipient ids
    text("cookie_categories"),  # JSON list
    string("policy_version", 100),
    string("policy_hash", 64),
    string("channel", 30),
    text("evidence_refs"),  # JSON: OTP / 3DS / eGov references
    optional(binary("evidence_sealed")),
    string("given_by", 20),
    optional(binary("representative_sealed")),
    optional(instant("valid_until")),
    instant("given_at"),
    optional(instant("withdrawn_at")),
    optional(instant("expired_at")),
    optional(instant("needs_reconsent_since")),
    optional(string("idempotency_key", 200)),
    string("request_hash", 64),
    # A retried request never creates a second record: one act per key, one
    # row per scope of it.
    UniqueConstraint("operator_id", "idempotency_key", "scope"),
    index("subject_id"),
    index("operator_id", "scope"),
    index("act_id"),
)

# The consent ledger: append-only, hash-chained like the audit log. The
# payload holds no PD (ids, scopes, references, the digest of the sealed
# evidence); ``seq`` comes from ``consent_ledger_head``, never the database.
consent_ledger = Table(
    "consent_ledger",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    instant("at"),
    string("event", 40),
    string("consent_id", 36),
    string("subject_id", 36),
    text("payload"),
    string("prev_hash", 64),
    string("hash", 64),
    # (subject, seq): the subject's latest entry is one index probe (state seals).
    index("subject_id", "seq"),
    index("consent_id"),
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
    key(string("subject_id", 36)),
    string("mac", 64),
    text("components"),
)

# Lifecycle events reported by the operator's systems; the event id makes a
# redelivery harmless. Legal holds and retention clocks rest on them.
lifecycle_events = Table(
    "lifecycle_events",
    metadata,
    key(string("event_id", 100)),
    subject_id(),
    string("type", 30),
    optional(string("contract_id", 100)),
    instant("occurred_at"),
    instant("recorded_at"),
    text("data"),
    string("fingerprint", 64),
    index("subject_id", "type"),
)

# The decision point polls lifecycle events recorded since it last looked, to
# drop cached states whose contracts changed (decisions/service.py).
Index("ix_lifecycle_events_recorded_at", lifecycle_events.c.recorded_at)


# Contracts: the projection of contract_opened / contract_closed events.
contracts = Table(
    "contracts",
    metadata,
    subject_id(),
    string("contract_id", 100),
    optional(instant("opened_at")),
    optional(instant("closed_at")),
    PrimaryKeyConstraint("subject_id", "contract_id"),
)

# Requests sent to the eGov consent service, waiting for the subject's answer.
egov_requests = Table(
    "egov_requests",
    metadata,
    key(string("request_id", 100)),
    subject_id(),
    operator_id(),
    text("request"),  # JSON: scopes, given_by, term (no PD)
    string("status", 20),
    instant("sent_at"),
    optional(instant("decided_at")),
    optional(string("act_id", 36)),
    index("subject_id"),
)

"""Staff: the people who sign in, their roles per operator, their sessions.

Nothing is deleted: a revoked grant keeps who granted it and when, and who
revoked it and when (Order 179/НҚ: the list of persons with access, with its
history); an ended session keeps when and why it ended. A password is stored
as its Argon2id hash, a TOTP secret only sealed (AES-256-GCM under a key kept
in the key store), a session as the SHA-256 of its token.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
)

from derbes.platform.tables.base import UtcDateTime, metadata

staff_people = Table(
    "staff_people",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("login", String(100), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(200), nullable=True),
    Column("totp_sealed", LargeBinary, nullable=True),
    # The last TOTP time step accepted: a code is never accepted twice (RFC 6238 §5.2).
    Column("totp_last_step", BigInteger, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("disabled_at", UtcDateTime(), nullable=True),
    Column("disabled_by", String(200), nullable=True),
    # The console's language the person chose (ru, kk, en); NULL: not chosen yet.
    Column("language", String(5), nullable=True),
)

staff_grants = Table(
    "staff_grants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", String(36), ForeignKey("staff_people.id"), nullable=False),
    Column("operator_id", String(100), nullable=False),
    Column("role", String(50), nullable=False),
    Column("granted_at", UtcDateTime(), nullable=False),
    Column("granted_by", String(200), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("revoked_by", String(200), nullable=True),
    Index("ix_staff_grants_person_id", "person_id"),
    Index("ix_staff_grants_operator_id", "operator_id"),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("person_id", String(36), ForeignKey("staff_people.id"), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_seen_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=True),
    Column("end_reason", String(50), nullable=True),
    Index("ix_staff_sessions_person_id", "person_id"),
)

# A person as an OpenID Connect provider knows them: (iss, sub) never changes for a
# person at a provider (OpenID Connect Core 1.0 §5.7), unlike a login or an e-mail.
staff_oidc_links = Table(
    "staff_oidc_links",
    metadata,
    Column("issuer", String(300), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("person_id", String(36), ForeignKey("staff_people.id"), nullable=False),
    Column("linked_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("issuer", "subject"),
    Index("ix_staff_oidc_links_person_id", "person_id"),
)

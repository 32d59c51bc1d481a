"""Tables of API keys and of the attempts counted against guessing.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from derbes.platform.tables.base import UtcDateTime, metadata

__all__ = ["api_keys", "auth_throttle"]

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
)

# Attempts at proving an identity or a key, counted to stop guessing
# (data/identity_limits.yaml): OTP codes issued and tried per request or
# subject, failed API-key attempts per client, and lock-outs with their end.
# ``key`` names what is counted — a request or subject id, or a keyed digest
# of a client"s address (an address is PD: never stored in clear).
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

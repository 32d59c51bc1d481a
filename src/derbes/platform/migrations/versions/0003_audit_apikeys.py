"""audit and API keys: hash-chained access log, its head, access alerts, API keys.

Created 2026-01-05.
"""

from __future__ import annotations

from derbes.platform.migrations.columns import bigint, integer, serial, text, timestamptz, varchar
from derbes.platform.migrations.ddl import create_chain_head, create_table, drop_table, ix, pk


def upgrade() -> None:
    create_table(
        "audit_log",
        bigint("seq", autoincrement=False),
        timestamptz("at"),
        varchar("actor", 200),
        varchar("action", 50),
        text("subject_ids"),
        integer("subject_count"),
        text("categories"),
        varchar("purpose", 200, nullable=True),
        varchar("request_id", 100, nullable=True),
        text("details"),
        varchar("prev_hash", 64),
        varchar("hash", 64),
        pk("seq"),
        ix("actor", "at"),
        ix("at"),
    )
    create_chain_head("audit_head")
    create_table(
        "access_alerts",
        serial("id"),
        timestamptz("at"),
        varchar("actor", 200),
        varchar("rule", 100),
        integer("count"),
        integer("window_seconds"),
        timestamptz("first_at"),
        timestamptz("last_at"),
        text("details"),
        pk("id"),
        ix("actor", "rule", "at"),
    )
    create_table(
        "api_keys",
        varchar("key_id", 32),
        varchar("name", 200),
        varchar("secret_sha256", 64),
        text("scopes"),
        varchar("operator_id", 100, nullable=True),
        timestamptz("created_at"),
        timestamptz("revoked_at", nullable=True),
        timestamptz("last_used_at", nullable=True),
        pk("key_id"),
    )


def downgrade() -> None:
    drop_table("api_keys")
    drop_table("access_alerts", ix("actor", "rule", "at"))
    drop_table("audit_head")
    drop_table("audit_log", ix("at"), ix("actor", "at"))


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "0003"
down_revision: str | None = "0002"

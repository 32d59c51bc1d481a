"""delivery: SMS and e-mail messages and their fate.

* ``deliveries``: one row per message (template, language, channel), its state
  (queued, sent, failed, gave_up), attempts and the time of the next one, the
  last failure's reason and the gateway's answer code; the recipient masked, and
  sealed with the message's values under the delivery's own key (emptied once
  the message is sent or of no use any more).

Created 2026-12-09.
"""

from __future__ import annotations

from derbes.platform.migrations.columns import blob, integer, timestamptz, varchar
from derbes.platform.migrations.ddl import create_table, drop_table, ix, pk


def upgrade() -> None:
    create_table(
        "deliveries",
        varchar("id", 32),
        varchar("channel", 10),
        varchar("template", 40),
        varchar("language", 5),
        varchar("key_id", 60),
        blob("sealed"),
        varchar("recipient_masked", 100),
        varchar("state", 10),
        integer("attempts"),
        timestamptz("created_at"),
        timestamptz("updated_at"),
        timestamptz("next_attempt_at", nullable=True),
        timestamptz("expires_at", nullable=True),
        varchar("last_failure", 30, nullable=True),
        varchar("last_detail", 200, nullable=True),
        varchar("provider_ref", 100, nullable=True),
        varchar("operator_id", 100, nullable=True),
        pk("id"),
        ix("state", "next_attempt_at"),
        ix("operator_id"),
    )


def downgrade() -> None:
    drop_table("deliveries", ix("operator_id"), ix("state", "next_attempt_at"))


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "0013"
down_revision: str | None = "0012"

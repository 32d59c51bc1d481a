"""integrity: state seals bound to the chains, limits on identity checks and API keys.

* ``subject_seals``: a keyed MAC per subject over what the decision point reads;
* ``consent_ledger``: index (subject_id, seq) instead of (subject_id), so a
  subject's latest entry is one index probe;
* ``api_keys.expires_at``: keys with a term;
* ``auth_throttle``: OTP codes issued and tried, failed API-key attempts,
  lock-outs.

Subjects stored before this revision have no seal: the decision point denies
them (``state_unverified``) until ``derbes ledger seal`` has checked their
projections against both chains and sealed them (the key that seals lives in
the key store, which a migration does not open).

Created 2026-11-22.
"""

from __future__ import annotations

from alembic import op

from derbes.platform.migrations.columns import serial, text, timestamptz, varchar
from derbes.platform.migrations.ddl import (
    create_index,
    create_table,
    drop_index,
    drop_table,
    ix,
    pk,
)


def upgrade() -> None:
    create_table(
        "subject_seals",
        varchar("subject_id", 36),
        varchar("mac", 64),
        text("components"),
        pk("subject_id"),
    )
    drop_index("consent_ledger", "subject_id")
    create_index("consent_ledger", "subject_id", "seq")
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(timestamptz("expires_at", nullable=True))
    create_table(
        "auth_throttle",
        serial("id"),
        varchar("scope", 20),
        varchar("key", 100),
        varchar("reference", 200, nullable=True),
        varchar("outcome", 20),
        timestamptz("at"),
        timestamptz("until", nullable=True),
        pk("id"),
        ix("scope", "key", "at"),
    )


def downgrade() -> None:
    drop_table("auth_throttle", ix("scope", "key", "at"))
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("expires_at")
    drop_index("consent_ledger", "subject_id", "seq")
    create_index("consent_ledger", "subject_id")
    drop_table("subject_seals")


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "0010"
down_revision: str | None = "0009"

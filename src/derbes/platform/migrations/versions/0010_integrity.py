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

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "subject_seals",
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.Column("components", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_subject_seals")),
    )
    op.drop_index("ix_consent_ledger_subject_id", table_name="consent_ledger")
    op.create_index("ix_consent_ledger_subject_id_seq", "consent_ledger",
                    ["subject_id", "seq"])
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "auth_throttle",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_throttle")),
    )
    op.create_index("ix_auth_throttle_scope_key_at", "auth_throttle", ["scope", "key", "at"])


def downgrade() -> None:
    op.drop_index("ix_auth_throttle_scope_key_at", table_name="auth_throttle")
    op.drop_table("auth_throttle")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("expires_at")
    op.drop_index("ix_consent_ledger_subject_id_seq", table_name="consent_ledger")
    op.create_index("ix_consent_ledger_subject_id", "consent_ledger", ["subject_id"])
    op.drop_table("subject_seals")

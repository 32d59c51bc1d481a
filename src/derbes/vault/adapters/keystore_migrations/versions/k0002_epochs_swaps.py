"""key epochs and journaled key swaps.

``key_epochs``: the epochs whose keys wrap the data keys (the keys themselves
live outside the database, see vault/adapters/key_epochs.py). ``data_keys`` learns
which epoch wraps each key (NULL: the KEK itself, as before) and holds, during
a partial destruction, the subject's next key beside the current one
(``swap_id``, ``next_*``) until the data database has committed.

Revision ID: k0002
Revises: k0001
Create Date: 2026-02-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "k0002"
down_revision: str | None = "k0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "key_epochs",
        sa.Column("epoch", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closing_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("keys_destroyed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("first_destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("epoch", name=op.f("pk_key_epochs")),
    )
    with op.batch_alter_table("data_keys") as batch:
        batch.add_column(sa.Column("epoch", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("swap_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("next_kek_id", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("next_epoch", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("next_wrapped", sa.LargeBinary(), nullable=True))
    op.create_index("ix_data_keys_epoch", "data_keys", ["epoch"])
    op.create_index("ix_data_keys_swap_id", "data_keys", ["swap_id"])
    op.create_index("ix_data_keys_next_epoch", "data_keys", ["next_epoch"])


def downgrade() -> None:
    wrapped_by_epochs = op.get_bind().execute(
        sa.text("SELECT count(*) FROM data_keys WHERE epoch IS NOT NULL OR swap_id IS NOT NULL")
    ).scalar_one()
    if wrapped_by_epochs:
        # Without the epoch column those keys could never be unwrapped again.
        raise RuntimeError(
            f"{wrapped_by_epochs} data key(s) are wrapped by key epochs or in a key swap: "
            "the key store cannot go back to k0001"
        )
    op.drop_index("ix_data_keys_next_epoch", table_name="data_keys")
    op.drop_index("ix_data_keys_swap_id", table_name="data_keys")
    op.drop_index("ix_data_keys_epoch", table_name="data_keys")
    with op.batch_alter_table("data_keys") as batch:
        batch.drop_column("next_wrapped")
        batch.drop_column("next_epoch")
        batch.drop_column("next_kek_id")
        batch.drop_column("swap_id")
        batch.drop_column("epoch")
    op.drop_table("key_epochs")

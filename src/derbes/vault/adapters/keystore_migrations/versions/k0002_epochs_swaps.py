"""key epochs and journaled key swaps.

``key_epochs``: the epochs whose keys wrap the data keys (the keys themselves
live outside the database, see vault/adapters/key_epochs.py). ``data_keys`` learns
which epoch wraps each key (NULL: the KEK itself, as before) and holds, during
a partial destruction, the subject's next key beside the current one
(``swap_id``, ``next_*``) until the data database has committed.

Created 2026-02-02.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from derbes.platform.migrations.columns import blob, integer, timestamptz, varchar
from derbes.platform.migrations.ddl import create_index, create_table, drop_index, drop_table, pk


def upgrade() -> None:
    create_table(
        "key_epochs",
        integer("epoch", autoincrement=False),
        varchar("state", 10),
        timestamptz("opened_at"),
        timestamptz("closing_at", nullable=True),
        timestamptz("closed_at", nullable=True),
        sa.Column("keys_destroyed", sa.Integer(), server_default="0", nullable=False),
        timestamptz("first_destroyed_at", nullable=True),
        pk("epoch"),
    )
    with op.batch_alter_table("data_keys") as batch:
        batch.add_column(integer("epoch", nullable=True))
        batch.add_column(varchar("swap_id", 36, nullable=True))
        batch.add_column(varchar("next_kek_id", 100, nullable=True))
        batch.add_column(integer("next_epoch", nullable=True))
        batch.add_column(blob("next_wrapped", nullable=True))
    create_index("data_keys", "epoch")
    create_index("data_keys", "swap_id")
    create_index("data_keys", "next_epoch")


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
    drop_index("data_keys", "next_epoch")
    drop_index("data_keys", "swap_id")
    drop_index("data_keys", "epoch")
    with op.batch_alter_table("data_keys") as batch:
        batch.drop_column("next_wrapped")
        batch.drop_column("next_epoch")
        batch.drop_column("next_kek_id")
        batch.drop_column("swap_id")
        batch.drop_column("epoch")
    drop_table("key_epochs")


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "k0002"
down_revision: str | None = "k0001"

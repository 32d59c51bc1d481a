"""staff: people, their roles per operator, their sessions; API keys get an owner.

* ``staff_people``: login, name, Argon2id password hash, sealed TOTP secret;
* ``staff_grants``: roles per operator, with who granted and revoked them and when;
* ``staff_sessions``: signed-in sessions (the SHA-256 of each token only);
* ``api_keys.owner``: ``staff:<person id>`` or ``service:<name>``. Keys made
  before this revision belong to the named service of their name.

Created 2026-12-01.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from derbes.platform.migrations.columns import bigint, blob, serial, timestamptz, varchar
from derbes.platform.migrations.ddl import create_table, drop_table, fk, ix, pk, uq


def upgrade() -> None:
    create_table(
        "staff_people",
        varchar("id", 36),
        varchar("login", 100),
        varchar("name", 200),
        varchar("password_hash", 200, nullable=True),
        blob("totp_sealed", nullable=True),
        bigint("totp_last_step", nullable=True),
        timestamptz("created_at"),
        varchar("created_by", 200),
        timestamptz("disabled_at", nullable=True),
        varchar("disabled_by", 200, nullable=True),
        pk("id"),
        uq("login"),
    )
    create_table(
        "staff_grants",
        serial("id"),
        varchar("person_id", 36),
        varchar("operator_id", 100),
        varchar("role", 50),
        timestamptz("granted_at"),
        varchar("granted_by", 200),
        timestamptz("revoked_at", nullable=True),
        varchar("revoked_by", 200, nullable=True),
        fk("person_id", "staff_people.id"),
        pk("id"),
        ix("person_id"),
        ix("operator_id"),
    )
    create_table(
        "staff_sessions",
        varchar("id", 32),
        varchar("token_sha256", 64),
        varchar("person_id", 36),
        timestamptz("created_at"),
        timestamptz("last_seen_at"),
        timestamptz("ended_at", nullable=True),
        varchar("end_reason", 50, nullable=True),
        fk("person_id", "staff_people.id"),
        pk("id"),
        uq("token_sha256"),
        ix("person_id"),
    )
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(varchar("owner", 200, nullable=True))
    # Every key made so far was a service's: it keeps working, owned by that service.
    op.execute("UPDATE api_keys SET owner = 'service:' || name")
    with op.batch_alter_table("api_keys") as batch:
        batch.alter_column("owner", existing_type=sa.String(length=200), nullable=False)
        batch.create_index("ix_api_keys_owner", ["owner"])


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_index("ix_api_keys_owner")
        batch.drop_column("owner")
    drop_table("staff_sessions", ix("person_id"))
    drop_table("staff_grants", ix("operator_id"), ix("person_id"))
    drop_table("staff_people")


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "0011"
down_revision: str | None = "0010"

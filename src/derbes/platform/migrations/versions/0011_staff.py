"""staff: people, their roles per operator, their sessions; API keys get an owner.

* ``staff_people``: login, name, Argon2id password hash, sealed TOTP secret;
* ``staff_grants``: roles per operator, with who granted and revoked them and when;
* ``staff_sessions``: signed-in sessions (the SHA-256 of each token only);
* ``api_keys.owner``: ``staff:<person id>`` or ``service:<name>``. Keys made
  before this revision belong to the named service of their name.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:  # limits: literal
    op.create_table(
        "staff_people",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("login", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("totp_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_people")),
        sa.UniqueConstraint("login", name=op.f("uq_staff_people_login")),
    )
    op.create_table(
        "staff_grants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("operator_id", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=50), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_by", sa.String(length=200), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["staff_people.id"],
                                name=op.f("fk_staff_grants_person_id_staff_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_grants")),
    )
    op.create_index("ix_staff_grants_person_id", "staff_grants", ["person_id"])
    op.create_index("ix_staff_grants_operator_id", "staff_grants", ["operator_id"])
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["staff_people.id"],
                                name=op.f("fk_staff_sessions_person_id_staff_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_staff_sessions_token_sha256")),
    )
    op.create_index("ix_staff_sessions_person_id", "staff_sessions", ["person_id"])
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=200), nullable=True))
    # Every key made so far was a service's: it keeps working, owned by that service.
    op.execute("UPDATE api_keys SET owner = 'service:' || name")
    with op.batch_alter_table("api_keys") as batch:
        batch.alter_column("owner", existing_type=sa.String(length=200), nullable=False)
        batch.create_index("ix_api_keys_owner", ["owner"])


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_index("ix_api_keys_owner")
        batch.drop_column("owner")
    op.drop_index("ix_staff_sessions_person_id", table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_index("ix_staff_grants_operator_id", table_name="staff_grants")
    op.drop_index("ix_staff_grants_person_id", table_name="staff_grants")
    op.drop_table("staff_grants")
    op.drop_table("staff_people")

"""consent: consents, the hash-chained consent ledger and its head, lifecycle events,
contracts, eGov consent requests.

Revision ID: 0004
Revises: 0003
Create Date: 2026-01-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

# The hash an empty chain "ends" with (derbes.platform.chain.GENESIS), written
# here as a literal: a revision must not change when the code changes.
_GENESIS = "0" * 64

def upgrade() -> None:
    _create_consents()
    _create_consent_ledger()
    _create_lifecycle_events()
    _create_contracts()
    _create_egov_requests()


def _create_consents() -> None:
    op.create_table(
        "consents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("act_id", sa.String(length=36), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("operator_id", sa.String(length=100), nullable=False),
        sa.Column("scope", sa.String(length=30), nullable=False),
        sa.Column("purposes", sa.Text(), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("cookie_categories", sa.Text(), nullable=False),
        sa.Column("policy_version", sa.String(length=100), nullable=False),
        sa.Column("policy_hash", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("evidence_refs", sa.Text(), nullable=False),
        sa.Column("evidence_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("given_by", sa.String(length=20), nullable=False),
        sa.Column("representative_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("needs_reconsent_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"],
                                name=op.f("fk_consents_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
        sa.UniqueConstraint("operator_id", "idempotency_key", "scope",
                            name=op.f("uq_consents_operator_id_idempotency_key_scope")),
    )
    op.create_index("ix_consents_subject_id", "consents", ["subject_id"])
    op.create_index("ix_consents_operator_id_scope", "consents", ["operator_id", "scope"])
    op.create_index("ix_consents_act_id", "consents", ["act_id"])


def _create_consent_ledger() -> None:
    op.create_table(
        "consent_ledger",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("consent_id", sa.String(length=36), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_consent_ledger")),
    )
    op.create_index("ix_consent_ledger_subject_id", "consent_ledger", ["subject_id"])
    op.create_index("ix_consent_ledger_consent_id", "consent_ledger", ["consent_id"])

    head = op.create_table(
        "consent_ledger_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_consent_ledger_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_ledger_head")),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": _GENESIS}])


def _create_lifecycle_events() -> None:
    op.create_table(
        "lifecycle_events",
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("contract_id", sa.String(length=100), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"],
                                name=op.f("fk_lifecycle_events_subject_id_subjects")),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_lifecycle_events")),
    )
    op.create_index("ix_lifecycle_events_subject_id_type", "lifecycle_events",
                    ["subject_id", "type"])


def _create_contracts() -> None:
    op.create_table(
        "contracts",
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("contract_id", sa.String(length=100), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"],
                                name=op.f("fk_contracts_subject_id_subjects")),
        sa.PrimaryKeyConstraint("subject_id", "contract_id", name=op.f("pk_contracts")),
    )


def _create_egov_requests() -> None:
    op.create_table(
        "egov_requests",
        sa.Column("request_id", sa.String(length=100), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("operator_id", sa.String(length=100), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("act_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"],
                                name=op.f("fk_egov_requests_subject_id_subjects")),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_egov_requests")),
    )
    op.create_index("ix_egov_requests_subject_id", "egov_requests", ["subject_id"])


def downgrade() -> None:
    op.drop_index("ix_egov_requests_subject_id", table_name="egov_requests")
    op.drop_table("egov_requests")
    op.drop_table("contracts")
    op.drop_index("ix_lifecycle_events_subject_id_type", table_name="lifecycle_events")
    op.drop_table("lifecycle_events")
    op.drop_table("consent_ledger_head")
    op.drop_index("ix_consent_ledger_consent_id", table_name="consent_ledger")
    op.drop_index("ix_consent_ledger_subject_id", table_name="consent_ledger")
    op.drop_table("consent_ledger")
    op.drop_index("ix_consents_act_id", table_name="consents")
    op.drop_index("ix_consents_operator_id_scope", table_name="consents")
    op.drop_index("ix_consents_subject_id", table_name="consents")
    op.drop_table("consents")

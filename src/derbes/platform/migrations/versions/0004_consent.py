"""consent: consents, the hash-chained consent ledger and its head, lifecycle events,
contracts, eGov consent requests.

Created 2026-01-05.
"""

from __future__ import annotations

from derbes.platform.migrations.columns import bigint, blob, text, timestamptz, varchar
from derbes.platform.migrations.ddl import (
    create_chain_head,
    create_table,
    drop_table,
    fk,
    ix,
    pk,
    uq,
)

SUBJECT = fk("subject_id", "subjects.id")


def upgrade() -> None:
    create_table(
        "consents",
        varchar("id", 36),
        varchar("act_id", 36),
        varchar("subject_id", 36),
        varchar("operator_id", 100),
        varchar("scope", 30),
        text("purposes"),
        text("recipients"),
        text("cookie_categories"),
        varchar("policy_version", 100),
        varchar("policy_hash", 64),
        varchar("channel", 30),
        text("evidence_refs"),
        blob("evidence_sealed", nullable=True),
        varchar("given_by", 20),
        blob("representative_sealed", nullable=True),
        timestamptz("valid_until", nullable=True),
        timestamptz("given_at"),
        timestamptz("withdrawn_at", nullable=True),
        timestamptz("expired_at", nullable=True),
        timestamptz("needs_reconsent_since", nullable=True),
        varchar("idempotency_key", 200, nullable=True),
        varchar("request_hash", 64),
        SUBJECT,
        pk("id"),
        uq("operator_id", "idempotency_key", "scope"),
        ix("subject_id"),
        ix("operator_id", "scope"),
        ix("act_id"),
    )
    _create_ledger_events_contracts_egov()


def _create_ledger_events_contracts_egov() -> None:
    create_table(
        "consent_ledger",
        bigint("seq", autoincrement=False),
        timestamptz("at"),
        varchar("event", 40),
        varchar("consent_id", 36),
        varchar("subject_id", 36),
        text("payload"),
        varchar("prev_hash", 64),
        varchar("hash", 64),
        pk("seq"),
        ix("subject_id"),
        ix("consent_id"),
    )
    create_chain_head("consent_ledger_head")
    create_table(
        "lifecycle_events",
        varchar("event_id", 100),
        varchar("subject_id", 36),
        varchar("type", 30),
        varchar("contract_id", 100, nullable=True),
        timestamptz("occurred_at"),
        timestamptz("recorded_at"),
        text("data"),
        varchar("fingerprint", 64),
        SUBJECT,
        pk("event_id"),
        ix("subject_id", "type"),
    )
    create_table(
        "contracts",
        varchar("subject_id", 36),
        varchar("contract_id", 100),
        timestamptz("opened_at", nullable=True),
        timestamptz("closed_at", nullable=True),
        SUBJECT,
        pk("subject_id", "contract_id"),
    )
    create_table(
        "egov_requests",
        varchar("request_id", 100),
        varchar("subject_id", 36),
        varchar("operator_id", 100),
        text("request"),
        varchar("status", 20),
        timestamptz("sent_at"),
        timestamptz("decided_at", nullable=True),
        varchar("act_id", 36, nullable=True),
        SUBJECT,
        pk("request_id"),
        ix("subject_id"),
    )


def downgrade() -> None:
    drop_table("egov_requests", ix("subject_id"))
    drop_table("contracts")
    drop_table("lifecycle_events", ix("subject_id", "type"))
    drop_table("consent_ledger_head")
    drop_table("consent_ledger", ix("consent_id"), ix("subject_id"))
    drop_table("consents", ix("act_id"), ix("operator_id", "scope"), ix("subject_id"))


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "0004"
down_revision: str | None = "0003"

"""SQLAlchemy Core tables: the database schema, and nothing else, one module per slice.

Rows stay plain: repositories turn them into domain objects. Every change to
these tables needs an Alembic revision in ``platform/migrations/versions``;
an integration test fails when the two drift apart. Every table is on
:data:`metadata` (``base``), and importable from here.
"""

from __future__ import annotations

from derbes.platform.tables.access import (
    api_keys,
    auth_throttle,
)
from derbes.platform.tables.audit import (
    access_alerts,
    audit_head,
    audit_log,
)
from derbes.platform.tables.base import NAMING_CONVENTION, UtcDateTime, metadata
from derbes.platform.tables.consent import (
    consent_ledger,
    consent_ledger_head,
    consents,
    contracts,
    egov_requests,
    lifecycle_events,
    subject_seals,
)
from derbes.platform.tables.registers import (
    registers,
)
from derbes.platform.tables.requests import (
    request_transitions,
    subject_requests,
)
from derbes.platform.tables.retention import (
    destruction_acts,
    legal_holds,
    retention_category_clocks,
    retention_clocks,
    retention_run_items,
    retention_runs,
)
from derbes.platform.tables.transfers import (
    transfer_subjects,
    transfers,
)
from derbes.platform.tables.vault import (
    card_tokens,
    category_blocks,
    key_swaps,
    pd_values,
    subject_lookups,
    subjects,
)

__all__ = [
    "NAMING_CONVENTION",
    "UtcDateTime",
    "access_alerts",
    "api_keys",
    "audit_head",
    "audit_log",
    "auth_throttle",
    "card_tokens",
    "category_blocks",
    "consent_ledger",
    "consent_ledger_head",
    "consents",
    "contracts",
    "destruction_acts",
    "egov_requests",
    "key_swaps",
    "legal_holds",
    "lifecycle_events",
    "metadata",
    "pd_values",
    "registers",
    "request_transitions",
    "retention_category_clocks",
    "retention_clocks",
    "retention_run_items",
    "retention_runs",
    "subject_lookups",
    "subject_requests",
    "subject_seals",
    "subjects",
    "transfer_subjects",
    "transfers",
]

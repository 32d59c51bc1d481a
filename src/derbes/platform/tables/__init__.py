"""SQLAlchemy Core tables: the database schema, and nothing else, one module per slice.

Rows stay plain: repositories turn them into domain objects. Every change to
these tables needs an Alembic revision in ``platform/migrations/versions``;
an integration test fails when the two drift apart. Every table is on
:data:`metadata` (``base``), and importable from here.
"""

from __future__ import annotations

from derbes.platform.tables.base import NAMING_CONVENTION, UtcDateTime, metadata
from derbes.platform.tables.cabinet import cabinet_documents, subject_sessions
from derbes.platform.tables.compliance import responsible_appointments
from derbes.platform.tables.delivery import deliveries
from derbes.platform.tables.holdings import (
    access_alerts,
    api_keys,
    audit_head,
    audit_log,
    auth_throttle,
    card_tokens,
    category_blocks,
    consent_ledger,
    consent_ledger_head,
    consents,
    contracts,
    egov_requests,
    key_swaps,
    lifecycle_events,
    pd_values,
    registers,
    subject_imports,
    subject_lookups,
    subject_seals,
    subjects,
)
from derbes.platform.tables.incidents import (
    incident_events,
    incident_evidence,
    incident_exports,
    incident_notifications,
    incident_scans,
    incident_subjects,
    incidents,
)
from derbes.platform.tables.processes import (
    destruction_acts,
    legal_holds,
    request_transitions,
    retention_category_clocks,
    retention_clocks,
    retention_run_items,
    retention_runs,
    subject_requests,
    transfer_subjects,
    transfers,
)
from derbes.platform.tables.staff import (
    staff_grants,
    staff_oidc_links,
    staff_people,
    staff_sessions,
)

__all__ = [
    "NAMING_CONVENTION",
    "UtcDateTime",
    "access_alerts",
    "api_keys",
    "audit_head",
    "audit_log",
    "auth_throttle",
    "cabinet_documents",
    "card_tokens",
    "category_blocks",
    "consent_ledger",
    "consent_ledger_head",
    "consents",
    "contracts",
    "deliveries",
    "destruction_acts",
    "egov_requests",
    "incident_events",
    "incident_evidence",
    "incident_exports",
    "incident_notifications",
    "incident_scans",
    "incident_subjects",
    "incidents",
    "key_swaps",
    "legal_holds",
    "lifecycle_events",
    "metadata",
    "pd_values",
    "registers",
    "request_transitions",
    "responsible_appointments",
    "retention_category_clocks",
    "retention_clocks",
    "retention_run_items",
    "retention_runs",
    "staff_grants",
    "staff_oidc_links",
    "staff_people",
    "staff_sessions",
    "subject_imports",
    "subject_lookups",
    "subject_requests",
    "subject_seals",
    "subject_sessions",
    "subjects",
    "transfer_subjects",
    "transfers",
]

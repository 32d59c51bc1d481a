"""Raw rows of the projections, read page by page for ``derbes ledger verify``.

Rows come back as plain mappings of column to value, not as domain objects:
a row someone edited by hand may hold a value no domain type accepts (a scope
that does not exist, JSON that is not a list), and the verifier must report
it, not crash on it.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Collection, Mapping
from typing import Any, Protocol

from sqlalchemy import Connection, select

from derbes.consent.adapters.store import FakeConsentRepository
from derbes.lifecycle.adapters.store import FakeLifecycleRepository
from derbes.platform.tables import (
    category_blocks,
    consents,
    contracts,
    lifecycle_events,
    pd_values,
    subjects,
)
from derbes.vault.adapters.store import FakeVaultRepository

__all__ = ["FakeProjectionReader", "ProjectionReader", "Row", "SqlProjectionReader"]

Row = Mapping[str, Any]
PAGE = 1000


class ProjectionReader(Protocol):
    def consents(self, *, after: str = "", limit: int = PAGE) -> builtins.list[Row]:
        """``consents`` rows by id, after ``after``."""
        ...

    def subjects(self, *, after: str = "", limit: int = PAGE) -> builtins.list[Row]:
        """``subjects`` rows by id, after ``after``."""
        ...

    def category_blocks(self, subject_ids: Collection[str]) -> dict[str, builtins.list[Row]]:
        """Every block row of these subjects, lifted ones too."""
        ...

    def contracts(self, subject_ids: Collection[str]) -> dict[str, builtins.list[Row]]: ...

    def events(self, subject_ids: Collection[str]) -> dict[str, builtins.list[Row]]:
        """``lifecycle_events`` rows of these subjects."""
        ...

    def value_categories(self, subject_ids: Collection[str]) -> dict[str, set[str]]:
        """The categories these subjects hold values of (never the values)."""
        ...


def _grouped(rows: Any) -> dict[str, builtins.list[Row]]:
    out: dict[str, builtins.list[Row]] = {}
    for row in rows:
        mapping = dict(row._mapping)
        out.setdefault(str(mapping["subject_id"]), []).append(mapping)
    return out


class SqlProjectionReader:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def consents(self, *, after: str = "", limit: int = PAGE) -> builtins.list[Row]:
        rows = self._connection.execute(select(consents).where(consents.c.id > after)
                                        .order_by(consents.c.id).limit(limit))
        return [dict(r._mapping) for r in rows]

    def subjects(self, *, after: str = "", limit: int = PAGE) -> builtins.list[Row]:
        rows = self._connection.execute(select(subjects).where(subjects.c.id > after)
                                        .order_by(subjects.c.id).limit(limit))
        return [dict(r._mapping) for r in rows]

    def category_blocks(self, subject_ids: Collection[str]) -> dict[str, builtins.list[Row]]:
        return _grouped(self._connection.execute(
            select(category_blocks).where(category_blocks.c.subject_id.in_(sorted(subject_ids)))
            .order_by(category_blocks.c.id)))

    def contracts(self, subject_ids: Collection[str]) -> dict[str, builtins.list[Row]]:
        return _grouped(self._connection.execute(
            select(contracts).where(contracts.c.subject_id.in_(sorted(subject_ids)))))

    def events(self, subject_ids: Collection[str]) -> dict[str, builtins.list[Row]]:
        return _grouped(self._connection.execute(
            select(lifecycle_events)
            .where(lifecycle_events.c.subject_id.in_(sorted(subject_ids)))))

    def value_categories(self, subject_ids: Collection[str]) -> dict[str, set[str]]:
        return _categories(self._connection.execute(
            select(pd_values.c.subject_id, pd_values.c.category).distinct()
            .where(pd_values.c.subject_id.in_(sorted(subject_ids)))))


def _categories(rows: Any) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for subject_id, category in rows:
        out.setdefault(str(subject_id), set()).add(str(category))
    return out


class FakeProjectionReader:
    """The same rows, made from the fake repositories' objects."""

    def __init__(self, vault: FakeVaultRepository, consent_repo: FakeConsentRepository,
                 lifecycle: FakeLifecycleRepository) -> None:
        self._vault = vault
        self._consents = consent_repo
        self._lifecycle = lifecycle

    def consents(self, *, after: str = "", limit: int = PAGE) -> builtins.list[Row]:
        found = sorted((c for c in self._consents.rows.values() if c.id > after),
                       key=lambda c: c.id)[:limit]
        return [{
            "id": c.id, "act_id": c.act_id, "subject_id": c.subject_id,
            "operator_id": c.operator_id, "scope": c.scope.kind.value,
            "purposes": json.dumps(list(c.scope.purposes)),
            "recipients": json.dumps(list(c.scope.recipients)),
            "cookie_categories": json.dumps(list(c.scope.cookie_categories)),
            "policy_version": c.policy_version, "policy_hash": c.policy_hash,
            "channel": c.channel.value, "evidence_refs": json.dumps(dict(c.evidence_refs)),
            "evidence_sealed": c.evidence_sealed, "given_by": c.given_by.value,
            "representative_sealed": c.representative_sealed, "valid_until": c.valid_until,
            "given_at": c.given_at, "withdrawn_at": c.withdrawn_at, "expired_at": c.expired_at,
            "needs_reconsent_since": c.needs_reconsent_since,
            "idempotency_key": c.idempotency_key, "request_hash": c.request_hash,
        } for c in found]

    def subjects(self, *, after: str = "", limit: int = PAGE) -> builtins.list[Row]:
        ids = sorted(s for s in self._vault.all_subject_ids() if s > after)[:limit]
        out: builtins.list[Row] = []
        for sid in ids:
            s = self._vault.get(sid)
            if s is not None:
                out.append({"id": s.id, "operator_id": s.operator_id,
                            "created_at": s.created_at, "blocked_at": s.blocked_at,
                            "block_reason": s.block_reason, "destroyed_at": s.destroyed_at})
        return out

    def category_blocks(self, subject_ids: Collection[str]) -> dict[str, builtins.list[Row]]:
        out: dict[str, builtins.list[Row]] = {}
        for sid in subject_ids:
            for b in self._vault.category_blocks(sid, active_only=False):
                out.setdefault(sid, []).append({
                    "id": b.id, "subject_id": sid, "category": b.category, "reason": b.reason,
                    "blocked_at": b.blocked_at, "unblocked_at": b.unblocked_at})
        return out

    def contracts(self, subject_ids: Collection[str]) -> dict[str, builtins.list[Row]]:
        out: dict[str, builtins.list[Row]] = {}
        for sid, held in self._lifecycle.contracts_for_subjects(subject_ids).items():
            for c in held:
                out.setdefault(sid, []).append({
                    "subject_id": sid, "contract_id": c.contract_id,
                    "opened_at": c.opened_at, "closed_at": c.closed_at})
        return out

    def events(self, subject_ids: Collection[str]) -> dict[str, builtins.list[Row]]:
        wanted = set(subject_ids)
        out: dict[str, builtins.list[Row]] = {}
        for stored in self._lifecycle.events.values():
            e = stored.event
            if e.subject_id in wanted:
                out.setdefault(e.subject_id, []).append({
                    "event_id": e.event_id, "subject_id": e.subject_id, "type": e.type.value,
                    "contract_id": e.contract_id, "occurred_at": e.occurred_at,
                    "recorded_at": e.recorded_at,
                    "data": json.dumps(dict(e.data), sort_keys=True, ensure_ascii=False),
                    "fingerprint": stored.fingerprint})
        return out

    def value_categories(self, subject_ids: Collection[str]) -> dict[str, set[str]]:
        return _categories((sid, v.category) for sid in subject_ids
                           for v in self._vault.values(sid))

"""Seals and projection rows in memory, for tests (production never imports this)."""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence

from derbes.consent.adapters.store import FakeConsentRepository
from derbes.integrity.adapters.projections import value_categories
from derbes.integrity.model.state_seal import Snapshot
from derbes.integrity.ports import PAGE, SEAL_PAGE, Row, StoredSeal
from derbes.lifecycle.adapters.store import FakeLifecycleRepository
from derbes.platform.memory import checkpoint
from derbes.testing.vault import FakeVaultRepository

__all__ = ["FakeProjectionReader", "FakeSealRepository"]


class FakeSealRepository:
    """Seals in memory; snapshots come from a function over the fake repositories."""

    def __init__(self, snapshots: Callable[[Collection[str]], dict[str, Snapshot]],
                 subject_ids: Callable[[], Iterator[str]]) -> None:
        self._snapshots = snapshots
        self._subject_ids = subject_ids
        self.rows: dict[str, StoredSeal] = {}

    def snapshots(self, subject_ids: Collection[str]) -> dict[str, Snapshot]:
        return self._snapshots(subject_ids)

    def lock(self, subject_ids: Sequence[str]) -> None:
        return None  # one fake unit of work at a time

    def stored(self, subject_ids: Collection[str]) -> dict[str, StoredSeal]:
        return {s: self.rows[s] for s in subject_ids if s in self.rows}

    def put(self, seals: Sequence[tuple[str, str, Mapping[str, str]]]) -> None:
        for sid, digest, parts in seals:
            self.rows[sid] = StoredSeal(digest, dict(parts))

    def delete(self, subject_ids: Collection[str]) -> None:
        for sid in subject_ids:
            self.rows.pop(sid, None)

    def subject_ids(self, *, after: str = "", limit: int = SEAL_PAGE) -> builtins.list[str]:
        return sorted(s for s in self._subject_ids() if s > after)[:limit]

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "rows")


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
        return value_categories((sid, v.category) for sid in subject_ids
                           for v in self._vault.values(sid))

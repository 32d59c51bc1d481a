"""The audit log and its alerts in memory, for tests (production never imports this)."""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import UTC, datetime

from derbes.audit.adapters.store import AuditKeySource, json_text
from derbes.audit.model.log import AuditEntry, AuditRecord, chain_records
from derbes.audit.ports import AccessAlert, AuditKey, AuditQuery, NewAlert
from derbes.platform.chain import GENESIS
from derbes.platform.memory import checkpoint

__all__ = ["FAKE_AUDIT_KEY", "FakeAlertRepository", "FakeAuditRepository"]

# The key a FakeUnitOfWork chains with unless given another.
FAKE_AUDIT_KEY = b"derbes fake audit key, tests only"


class FakeAuditRepository:
    """The audit log in memory. ``rows`` is public so tests can tamper with it."""

    def __init__(self, key: AuditKey | None) -> None:
        self._key = AuditKeySource(key)
        self.rows: builtins.list[AuditEntry] = []
        self.recorded_head: tuple[int, str] = (0, GENESIS)

    def record(self, record: AuditRecord) -> AuditEntry:
        return self.record_many([record])[0]

    def record_many(self, records: Sequence[AuditRecord]) -> builtins.list[AuditEntry]:
        if not records:
            return []
        entries = chain_records(self._key(), self.recorded_head, records)
        self.rows.extend(entries)
        self.recorded_head = (entries[-1].seq, entries[-1].hash)
        return entries

    def entries(self, *, after_seq: int = 0) -> Iterator[AuditEntry]:
        return iter(sorted((e for e in self.rows if e.seq > after_seq), key=lambda e: e.seq))

    def entry(self, seq: int) -> AuditEntry | None:
        return next((e for e in self.rows if e.seq == seq), None)

    def head(self) -> tuple[int, str]:
        return self.recorded_head

    def search(self, query: AuditQuery) -> builtins.list[AuditEntry]:
        found = [e for e in sorted(self.rows, key=lambda e: e.seq, reverse=True)
                 if query.admits(e)]
        return found[:query.limit]

    def by_actor(
        self, actor: str, *, since: datetime, actions: Collection[str]
    ) -> builtins.list[AuditEntry]:
        return [e for e in self.entries()
                if e.actor == actor and e.at > since and e.action in actions]

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "rows", "recorded_head")


class FakeAlertRepository:
    """Access alerts in memory."""

    def __init__(self) -> None:
        self.rows: builtins.list[AccessAlert] = []

    def add(self, alert: NewAlert) -> AccessAlert:
        stored = AccessAlert(
            id=max((a.id for a in self.rows), default=0) + 1, at=alert.at.astimezone(UTC),
            actor=alert.actor, rule=alert.rule, count=alert.count,
            window_seconds=alert.window_seconds, first_at=alert.first_at.astimezone(UTC),
            last_at=alert.last_at.astimezone(UTC),
            details=json.loads(json_text(dict(alert.details))),
        )
        self.rows.append(stored)
        return stored

    def latest(self, actor: str, rule: str) -> AccessAlert | None:
        mine = [a for a in self.rows if a.actor == actor and a.rule == rule]
        return max(mine, key=lambda a: (a.at, a.id), default=None)

    def list(self, *, actor: str | None = None, limit: int = 100) -> builtins.list[AccessAlert]:
        mine = [a for a in self.rows if actor is None or a.actor == actor]
        return sorted(mine, key=lambda a: (a.at, a.id), reverse=True)[:limit]

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "rows")

"""What the audit log's services need from storage, owned by the audit slice.

``uow.audit`` appends chained entries inside the unit of work's transaction and
``uow.alerts`` keeps the alerts on unusual access; ``audit/adapters/store.py``
implements both on SQL, ``derbes.testing.audit`` in memory.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from derbes.audit.model.log import AuditEntry, AuditRecord

__all__ = ["AccessAlert", "AlertRepository", "AuditKey", "AuditQuery", "AuditRepository",
           "NewAlert"]

# The chain key, or a function that fetches it (from the key store) on first use.
AuditKey = bytes | Callable[[], bytes]


@dataclass(frozen=True)
class AuditQuery:
    """Which entries to show: of a subject, an actor, an action, an operator (named by
    the entry's ``operator_id`` detail), at or after ``since`` and before ``until``,
    older than entry ``before_seq`` (the next page); None: any. How many."""

    subject_id: str | None = None
    actor: str | None = None
    action: str | None = None
    limit: int = 50
    operator_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_seq: int | None = None

    def admits(self, entry: AuditEntry) -> bool:
        """The exact test every store applies last (a store may narrow with SQL first)."""
        return ((self.subject_id is None or self.subject_id in entry.subject_ids)
                and (self.actor is None or entry.actor == self.actor)
                and (self.action is None or entry.action == self.action)
                and (self.operator_id is None
                     or entry.details.get("operator_id") == self.operator_id)
                and (self.since is None or entry.at >= self.since)
                and (self.until is None or entry.at < self.until)
                and (self.before_seq is None or entry.seq < self.before_seq))


class AuditRepository(Protocol):
    def record(self, record: AuditRecord) -> AuditEntry:
        """Append one entry in the current transaction; returns it with seq and hash."""
        ...

    def record_many(self, records: Sequence[AuditRecord]) -> builtins.list[AuditEntry]:
        """Append several entries, chained in order, with one head update."""
        ...

    def entries(self, *, after_seq: int = 0) -> Iterator[AuditEntry]:
        """Every entry with seq > ``after_seq``, in seq order (streamed)."""
        ...

    def entry(self, seq: int) -> AuditEntry | None: ...

    def head(self) -> tuple[int, str]:
        """(seq, hash) of the last entry as recorded by the writer; (0, GENESIS) when empty."""
        ...

    def search(self, query: AuditQuery) -> builtins.list[AuditEntry]:
        """The newest entries matching every filter of ``query``, newest first."""
        ...

    def by_actor(
        self, actor: str, *, since: datetime, actions: Collection[str]
    ) -> builtins.list[AuditEntry]:
        """The actor's entries of ``actions`` after ``since``, in seq order."""
        ...


@dataclass(frozen=True)
class NewAlert:
    """An alert on unusual access, to be stored."""

    at: datetime
    actor: str
    rule: str
    count: int
    window_seconds: int
    first_at: datetime
    last_at: datetime
    details: Mapping[str, Any]


@dataclass(frozen=True)
class AccessAlert(NewAlert):
    """An alert on unusual access, as stored: the alert and its id."""

    id: int


class AlertRepository(Protocol):
    def add(self, alert: NewAlert) -> AccessAlert: ...

    def latest(self, actor: str, rule: str) -> AccessAlert | None:
        """The actor's most recent alert under ``rule``."""
        ...

    def list(self, *, actor: str | None = None, limit: int = 100) -> builtins.list[AccessAlert]:
        """Alerts, newest first."""
        ...

"""Attempts at codes and keys (``auth_throttle``): port, SQL adapter, fake.

Rows are counted per (scope, key) in a time window; ``key`` names a request
or subject (OTP) or a keyed digest of a client address (API keys), never an
address in clear.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, delete, func, insert, select, update

from derbes.access.model.limits import Attempt, Outcome, ThrottleScope
from derbes.platform.tables import auth_throttle

__all__ = ["FakeThrottleRepository", "SqlThrottleRepository", "ThrottleRepository"]


class ThrottleRepository(Protocol):
    def add(self, scope: ThrottleScope, key: str, outcome: Outcome, at: datetime, *,
            reference: str | None = None, until: datetime | None = None) -> int:
        """Record one attempt, code or lock-out; its id."""
        ...

    def set_outcome(self, attempt_id: int, outcome: Outcome) -> None: ...

    def since(self, scope: ThrottleScope, key: str, at: datetime) -> builtins.list[Attempt]:
        """Records of (scope, key) at or after ``at``, oldest first."""
        ...

    def locked_until(self, scope: ThrottleScope, key: str, now: datetime) -> datetime | None:
        """The end of a lock-out in force at ``now`` (the latest ending), if any."""
        ...

    def forget(self, scope: ThrottleScope, key: str, before: datetime) -> None:
        """Drop records of (scope, key) older than ``before`` (no longer counted)."""
        ...


def _attempt(row: Any) -> Attempt:
    m = row._mapping
    return Attempt(id=int(m["id"]), outcome=Outcome(m["outcome"]), at=m["at"],
                   reference=m["reference"], until=m["until"])


class SqlThrottleRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, scope: ThrottleScope, key: str, outcome: Outcome, at: datetime, *,
            reference: str | None = None, until: datetime | None = None) -> int:
        result = self._c.execute(insert(auth_throttle).values(
            scope=scope.value, key=key, reference=reference, outcome=outcome.value, at=at,
            until=until).returning(auth_throttle.c.id))
        return int(result.scalar_one())

    def set_outcome(self, attempt_id: int, outcome: Outcome) -> None:
        self._c.execute(update(auth_throttle).where(auth_throttle.c.id == attempt_id)
                        .values(outcome=outcome.value))

    def since(self, scope: ThrottleScope, key: str, at: datetime) -> builtins.list[Attempt]:
        t = auth_throttle.c
        rows = self._c.execute(select(auth_throttle).where(
            t.scope == scope.value, t.key == key, t.at >= at).order_by(t.at, t.id))
        return [_attempt(r) for r in rows]

    def locked_until(self, scope: ThrottleScope, key: str, now: datetime) -> datetime | None:
        t = auth_throttle.c
        found: datetime | None = self._c.execute(select(func.max(t.until)).where(
            t.scope == scope.value, t.key == key, t.outcome == Outcome.LOCKED.value,
            t.until > now)).scalar_one()
        return found

    def forget(self, scope: ThrottleScope, key: str, before: datetime) -> None:
        t = auth_throttle.c
        self._c.execute(delete(auth_throttle).where(
            t.scope == scope.value, t.key == key, t.at < before,
            (t.until.is_(None)) | (t.until < before)))


class FakeThrottleRepository:
    def __init__(self) -> None:
        self.rows: builtins.list[tuple[ThrottleScope, str, Attempt]] = []

    def add(self, scope: ThrottleScope, key: str, outcome: Outcome, at: datetime, *,
            reference: str | None = None, until: datetime | None = None) -> int:
        attempt_id = len(self.rows) + 1
        self.rows.append((scope, key, Attempt(attempt_id, outcome, at, reference, until)))
        return attempt_id

    def set_outcome(self, attempt_id: int, outcome: Outcome) -> None:
        self.rows = [(s, k, replace(a, outcome=outcome) if a.id == attempt_id else a)
                     for s, k, a in self.rows]

    def since(self, scope: ThrottleScope, key: str, at: datetime) -> builtins.list[Attempt]:
        return sorted((a for s, k, a in self.rows if s is scope and k == key and a.at >= at),
                      key=lambda a: (a.at, a.id))

    def locked_until(self, scope: ThrottleScope, key: str, now: datetime) -> datetime | None:
        ends = [a.until for s, k, a in self.rows if s is scope and k == key
                and a.outcome is Outcome.LOCKED and a.until is not None and a.until > now]
        return max(ends) if ends else None

    def forget(self, scope: ThrottleScope, key: str, before: datetime) -> None:
        self.rows = [(s, k, a) for s, k, a in self.rows
                     if not (s is scope and k == key and a.at < before
                             and (a.until is None or a.until < before))]

    def checkpoint(self) -> Callable[[], None]:
        saved = builtins.list(self.rows)

        def restore() -> None:
            self.rows = builtins.list(saved)

        return restore

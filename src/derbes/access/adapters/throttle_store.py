"""Attempts at codes and keys (``auth_throttle``) on SQL: the adapter of
``access/ports.ThrottleRepository``.

Rows are counted per (scope, key) in a time window; ``key`` names a request
or subject (OTP) or a keyed digest of a client address (API keys), never an
address in clear.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from derbes.access.model.limits import Attempt, Outcome, ThrottleScope
from derbes.platform.tables import auth_throttle

__all__ = ["SqlThrottleRepository"]


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

"""API keys and throttle records in memory, for tests (production never imports this)."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from derbes.access.model.api_keys import StoredApiKey
from derbes.access.model.limits import Attempt, Outcome, ThrottleScope
from derbes.platform.memory import checkpoint

__all__ = ["FakeApiKeyRepository", "FakeThrottleRepository"]


class FakeApiKeyRepository:
    def __init__(self) -> None:
        self.rows: dict[str, StoredApiKey] = {}

    def add(self, key: StoredApiKey) -> None:
        if key.key_id in self.rows:
            raise ValueError("duplicate API key id")
        self.rows[key.key_id] = replace(key, created_at=key.created_at.astimezone(UTC))

    def get(self, key_id: str) -> StoredApiKey | None:
        return self.rows.get(key_id)

    def list(self) -> builtins.list[StoredApiKey]:
        return sorted(self.rows.values(), key=lambda k: (k.created_at, k.key_id))

    def revoke(self, key_id: str, at: datetime) -> StoredApiKey | None:
        key = self.rows.get(key_id)
        if key is None:
            return None
        if key.revoked_at is None:
            key = self.rows[key_id] = replace(key, revoked_at=at.astimezone(UTC))
        return key

    def revoke_owned(self, owner: str, at: datetime) -> builtins.list[StoredApiKey]:
        owned = [k.key_id for k in self.list() if k.owner == owner and k.revoked_at is None]
        return [key for key_id in owned if (key := self.revoke(key_id, at)) is not None]

    def touch(self, key_id: str, at: datetime) -> None:
        key = self.rows.get(key_id)
        if key is not None:
            self.rows[key_id] = replace(key, last_used_at=at.astimezone(UTC))

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "rows")


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
        return checkpoint(self, "rows")

"""What the access services need from storage, owned by the access slice.

``access/adapters`` implements these on SQL, ``derbes.testing.access`` in memory.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Protocol

from derbes.access.model.api_keys import StoredApiKey
from derbes.access.model.limits import Attempt, Outcome, ThrottleScope

__all__ = ["ApiKeyRepository", "ThrottleRepository"]


class ApiKeyRepository(Protocol):
    def add(self, key: StoredApiKey) -> None: ...

    def get(self, key_id: str) -> StoredApiKey | None: ...

    def list(self) -> builtins.list[StoredApiKey]:
        """Every key, revoked ones too, oldest first."""
        ...

    def revoke(self, key_id: str, at: datetime) -> StoredApiKey | None:
        """Mark the key revoked (kept for the record); None when there is no such key."""
        ...

    def revoke_owned(self, owner: str, at: datetime) -> builtins.list[StoredApiKey]:
        """Revoke every active key of ``owner`` at once; the keys revoked now."""
        ...

    def touch(self, key_id: str, at: datetime) -> None:
        """Note when the key was last used."""
        ...


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

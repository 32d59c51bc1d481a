"""An API key of a service caller, as stored (only the SHA-256 of its secret)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from derbes.access.model.scopes import Scope

__all__ = ["StoredApiKey"]


@dataclass(frozen=True)
class StoredApiKey:
    key_id: str
    name: str
    secret_sha256: str
    scopes: frozenset[Scope]
    operator_id: str | None
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    expires_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Not revoked (whether it expired depends on the time asked about)."""
        return self.revoked_at is None

    def expired_on(self, at: datetime) -> bool:
        return self.expires_at is not None and at >= self.expires_at

"""The vault's records that other slices read as they are (pure: standard library only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["SubjectRecord"]


@dataclass(frozen=True)
class SubjectRecord:
    """A row of ``subjects``: who the subject belongs to, and whether it is blocked or gone."""

    id: str
    operator_id: str
    created_at: datetime
    blocked_at: datetime | None = None
    block_reason: str | None = None
    destroyed_at: datetime | None = None

    @property
    def destroyed(self) -> bool:
        return self.destroyed_at is not None

"""How long a signed-in session lives: the one rule of staff and cabinet sessions.

A session ends when it has been idle for ``idle``, or in any case ``absolute`` after it
began; its last-seen time is written at most every ``touch_every``. Each table that sets
these (staff policy, cabinet rules) cites where its figures come from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["ABSOLUTE", "IDLE", "SessionRules", "expired"]

ABSOLUTE = "absolute"
IDLE = "idle"


@dataclass(frozen=True)
class SessionRules:
    idle: timedelta
    absolute: timedelta
    touch_every: timedelta
    citation: str


def expired(rules: SessionRules, created_at: datetime, last_seen_at: datetime,
            now: datetime) -> str | None:
    """Why a session is over at ``now`` by time alone: :data:`ABSOLUTE` (its whole life
    is spent, whatever its activity), :data:`IDLE`, or None (alive)."""
    if now >= created_at + rules.absolute:
        return ABSOLUTE
    if now >= last_seen_at + rules.idle:
        return IDLE
    return None

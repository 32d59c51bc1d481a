"""Signed-in sessions in memory, staff's and subjects' alike, for tests.

Both kinds are kept by the SHA-256 of their token, touched as they are used and ended
once, with a reason; like the SQL stores, touching or ending a session that is not
there changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from derbes.platform.memory import checkpoint

__all__ = ["FakeSessions"]


class _Session(Protocol):
    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def id(self) -> str: ...

    @property
    def token_sha256(self) -> str: ...

    @property
    def ended_at(self) -> datetime | None: ...


S = TypeVar("S", bound=_Session)


class FakeSessions(Generic[S]):
    def __init__(self) -> None:
        self.rows: dict[str, S] = {}

    def add(self, session: S) -> None:
        self.rows[session.id] = session

    def by_token(self, token_sha256: str) -> S | None:
        return next((s for s in self.rows.values() if s.token_sha256 == token_sha256), None)

    def touch(self, session_id: str, at: datetime) -> None:
        if session_id in self.rows:
            self.rows[session_id] = replace(self.rows[session_id], last_seen_at=at)

    def end(self, session_id: str, at: datetime, reason: str) -> None:
        found = self.rows.get(session_id)
        if found is not None and found.ended_at is None:
            self.rows[session_id] = replace(found, ended_at=at, end_reason=reason)

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "rows")

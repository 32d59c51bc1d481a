"""The cabinet's stores in memory, for tests (production never imports this)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from derbes.cabinet.model import StoredDocument, SubjectSession
from derbes.platform.memory import checkpoint

__all__ = ["FakeDocumentRepository", "FakeSubjectSessionRepository"]


class FakeSubjectSessionRepository:
    def __init__(self) -> None:
        self.rows: dict[str, SubjectSession] = {}

    def add(self, session: SubjectSession) -> None:
        self.rows[session.id] = session

    def by_token(self, token_sha256: str) -> SubjectSession | None:
        return next((s for s in self.rows.values() if s.token_sha256 == token_sha256), None)

    def touch(self, session_id: str, at: datetime) -> None:
        self.rows[session_id] = replace(self.rows[session_id], last_seen_at=at)

    def end(self, session_id: str, at: datetime, reason: str) -> None:
        found = self.rows.get(session_id)
        if found is not None and found.ended_at is None:
            self.rows[session_id] = replace(found, ended_at=at, end_reason=reason)

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "rows")


class FakeDocumentRepository:
    def __init__(self) -> None:
        self.rows: dict[str, StoredDocument] = {}

    def add(self, document: StoredDocument) -> None:
        self.rows[document.id] = document

    def get(self, document_id: str) -> StoredDocument | None:
        return self.rows.get(document_id)

    def count(self) -> int:
        return len(self.rows)

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "rows")

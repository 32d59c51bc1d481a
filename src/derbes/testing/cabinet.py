"""The cabinet's stores in memory, for tests (production never imports this)."""

from __future__ import annotations

from collections.abc import Callable

from derbes.cabinet.model import StoredDocument, SubjectSession
from derbes.platform.memory import checkpoint
from derbes.testing.sessions import FakeSessions

__all__ = ["FakeDocumentRepository", "FakeSubjectSessionRepository"]


class FakeSubjectSessionRepository(FakeSessions[SubjectSession]):
    """The subjects' cabinet sessions in memory."""


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

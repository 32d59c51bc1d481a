"""Subjects' sessions and uploaded documents on SQL: the adapters of the cabinet's ports."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from derbes.cabinet.model import Stage, StoredDocument, SubjectSession
from derbes.platform.tables import cabinet_documents, subject_sessions

__all__ = ["SqlDocumentRepository", "SqlSubjectSessionRepository"]


def _session(row: Any) -> SubjectSession:
    m = dict(row._mapping)
    return SubjectSession(**{**m, "stage": Stage(m["stage"])})


class SqlSubjectSessionRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, session: SubjectSession) -> None:
        row = asdict(session)
        row["stage"] = session.stage.value
        self._c.execute(insert(subject_sessions).values(**row))

    def by_token(self, token_sha256: str) -> SubjectSession | None:
        row = self._c.execute(select(subject_sessions).where(
            subject_sessions.c.token_sha256 == token_sha256)).first()
        return None if row is None else _session(row)

    def touch(self, session_id: str, at: datetime) -> None:
        self._c.execute(update(subject_sessions).where(subject_sessions.c.id == session_id)
                        .values(last_seen_at=at))

    def end(self, session_id: str, at: datetime, reason: str) -> None:
        self._c.execute(update(subject_sessions).where(
            subject_sessions.c.id == session_id, subject_sessions.c.ended_at.is_(None))
            .values(ended_at=at, end_reason=reason))


class SqlDocumentRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, document: StoredDocument) -> None:
        self._c.execute(insert(cabinet_documents).values(**asdict(document)))

    def get(self, document_id: str) -> StoredDocument | None:
        row = self._c.execute(select(cabinet_documents).where(
            cabinet_documents.c.id == document_id)).first()
        if row is None:
            return None
        m = dict(row._mapping)
        return StoredDocument(**{**m, "sealed": bytes(m["sealed"])})

    def count(self) -> int:
        return int(self._c.execute(select(func.count()).select_from(cabinet_documents))
                   .scalar_one())

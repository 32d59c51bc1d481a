"""What the cabinet's services need from the outside: its stores (through the unit of
work) and the one-time codes (``platform/otp_codes.FileOtpCodes`` in production)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from derbes.cabinet.model import StoredDocument, SubjectSession
from derbes.platform.otp import IssuedOtp, OtpVerifier

__all__ = ["Codes", "DocumentRepository", "SubjectSessionRepository"]


class Codes(OtpVerifier, Protocol):
    """The one-time codes: issue one bound to a subject (or a phone's digest), check it."""

    def issue(self, subject_id: str, at: datetime) -> IssuedOtp: ...


class SubjectSessionRepository(Protocol):
    def add(self, session: SubjectSession) -> None: ...

    def by_token(self, token_sha256: str) -> SubjectSession | None: ...

    def touch(self, session_id: str, at: datetime) -> None: ...

    def end(self, session_id: str, at: datetime, reason: str) -> None:
        """Mark one open session ended (kept for the record)."""
        ...


class DocumentRepository(Protocol):
    def add(self, document: StoredDocument) -> None: ...

    def get(self, document_id: str) -> StoredDocument | None: ...

    def count(self) -> int:
        """How many documents are stored (an upload refused stores none)."""
        ...

"""Staff people, grants and sessions in memory, and a quick password hasher, for tests."""

from __future__ import annotations

import builtins
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from derbes.errors import ConflictError
from derbes.platform.memory import checkpoint
from derbes.staff.model.people import Person, StaffSession
from derbes.staff.model.roles import Grant
from derbes.testing.sessions import FakeSessions

__all__ = ["FakeSessionRepository", "FakeStaffRepository", "QuickHasher"]


class QuickHasher:
    """A salted SHA-256 hasher for unit tests (Argon2id is slow on purpose)."""

    def hash(self, password: str) -> str:
        return "quick$" + hashlib.sha256(b"salt" + password.encode()).hexdigest()

    def verify(self, stored: str | None, password: str) -> bool:
        return stored is not None and hmac.compare_digest(stored, self.hash(password))

    def needs_rehash(self, stored: str) -> bool:
        return not stored.startswith("quick$")


class FakeStaffRepository:
    def __init__(self) -> None:
        self.rows: dict[str, Person] = {}
        self.grant_rows: builtins.list[Grant] = []
        self.links: dict[tuple[str, str], str] = {}

    def add(self, person: Person) -> None:
        if self.by_login(person.login) is not None:
            raise ConflictError(f"the login {person.login!r} is taken", field="login")
        self.rows[person.id] = person

    def get(self, person_id: str) -> Person | None:
        return self.rows.get(person_id)

    def by_login(self, login: str) -> Person | None:
        return next((p for p in self.rows.values() if p.login == login), None)

    def people(self) -> builtins.list[Person]:
        return sorted(self.rows.values(), key=lambda p: p.login)

    def by_subject(self, issuer: str, subject: str) -> Person | None:
        person_id = self.links.get((issuer, subject))
        return None if person_id is None else self.rows.get(person_id)

    def link_subject(self, issuer: str, subject: str, person_id: str, at: datetime) -> None:
        if (issuer, subject) in self.links:
            raise ConflictError("this provider's subject is linked already", field="sub")
        self.links[(issuer, subject)] = person_id

    def _change(self, person_id: str, **values: object) -> None:
        person = self.rows.get(person_id)
        if person is not None:
            self.rows[person_id] = replace(person, **values)  # type: ignore[arg-type]

    def set_password(self, person_id: str, password_hash: str) -> None:
        self._change(person_id, password_hash=password_hash)

    def set_language(self, person_id: str, language: str) -> None:
        self._change(person_id, language=language)

    def set_totp(self, person_id: str, sealed: bytes | None) -> None:
        self._change(person_id, totp_sealed=sealed, totp_last_step=None)

    def use_totp_step(self, person_id: str, step: int) -> bool:
        person = self.rows.get(person_id)
        if person is None or (person.totp_last_step is not None and person.totp_last_step >= step):
            return False
        self._change(person_id, totp_last_step=step)
        return True

    def disable(self, person_id: str, at: datetime, by: str) -> None:
        person = self.rows.get(person_id)
        if person is not None and person.disabled_at is None:
            self._change(person_id, disabled_at=at, disabled_by=by)

    def add_grant(self, person_id: str, operator_id: str, role: str, at: datetime,
                  by: str) -> Grant:
        for grant in self.grants(person_id=person_id, operator_id=operator_id, active_only=True):
            if grant.role == role:
                return grant
        grant = Grant(len(self.grant_rows) + 1, person_id, operator_id, role, at, by)
        self.grant_rows.append(grant)
        return grant

    def grants(self, *, person_id: str | None = None, operator_id: str | None = None,
               active_only: bool = False) -> builtins.list[Grant]:
        return sorted((g for g in self.grant_rows
                       if (person_id is None or g.person_id == person_id)
                       and (operator_id is None or g.operator_id == operator_id)
                       and (not active_only or g.active)), key=lambda g: (g.granted_at, g.id))

    def revoke_grants(self, person_id: str, at: datetime, by: str, *,
                      operator_id: str | None = None, role: str | None = None
                      ) -> builtins.list[Grant]:
        ended: builtins.list[Grant] = []
        for i, g in enumerate(self.grant_rows):
            if g.person_id == person_id and g.active and (
                    operator_id is None or g.operator_id == operator_id) and (
                    role is None or g.role == role):
                self.grant_rows[i] = replace(g, revoked_at=at, revoked_by=by)
                ended.append(self.grant_rows[i])
        return ended

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "rows", "grant_rows", "links")


class FakeSessionRepository(FakeSessions[StaffSession]):
    """Staff sessions in memory; a person's open sessions end together."""

    def end_all(self, person_id: str, at: datetime, reason: str) -> int:
        open_ids = [s.id for s in self.rows.values()
                    if s.person_id == person_id and s.ended_at is None]
        for session_id in open_ids:
            self.end(session_id, at, reason)
        return len(open_ids)

"""Staff people, grants and sessions on SQL: the adapters of ``staff/ports``."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, or_, select
from sqlalchemy.exc import IntegrityError

from derbes.errors import ConflictError
from derbes.platform.tables import staff_grants, staff_oidc_links, staff_people, staff_sessions
from derbes.staff.model.people import Person, StaffSession
from derbes.staff.model.roles import Grant

__all__ = ["SqlSessionRepository", "SqlStaffRepository"]


def _person(row: Row[Any]) -> Person:
    m = row._mapping
    sealed = m["totp_sealed"]
    return Person(
        id=str(m["id"]), login=str(m["login"]), name=str(m["name"]),
        created_at=m["created_at"], created_by=str(m["created_by"]),
        password_hash=m["password_hash"],
        totp_sealed=None if sealed is None else bytes(sealed),
        totp_last_step=m["totp_last_step"], disabled_at=m["disabled_at"],
        disabled_by=m["disabled_by"], language=m["language"],
    )


def _grant(row: Row[Any]) -> Grant:
    m = row._mapping
    return Grant(id=int(m["id"]), person_id=str(m["person_id"]),
                 operator_id=str(m["operator_id"]), role=str(m["role"]),
                 granted_at=m["granted_at"], granted_by=str(m["granted_by"]),
                 revoked_at=m["revoked_at"], revoked_by=m["revoked_by"])


class SqlStaffRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, person: Person) -> None:
        if self.by_login(person.login) is not None:
            raise ConflictError(f"the login {person.login!r} is taken", field="login")
        try:
            self._connection.execute(staff_people.insert().values(
                id=person.id, login=person.login, name=person.name,
                password_hash=person.password_hash, totp_sealed=person.totp_sealed,
                totp_last_step=person.totp_last_step, created_at=person.created_at,
                created_by=person.created_by, disabled_at=person.disabled_at,
                disabled_by=person.disabled_by, language=person.language))
        except IntegrityError:
            # Taken by a concurrent sign-up: the unit of work rolls back on the error.
            raise ConflictError(f"the login {person.login!r} is taken", field="login") from None

    def get(self, person_id: str) -> Person | None:
        row = self._connection.execute(
            select(staff_people).where(staff_people.c.id == person_id)).one_or_none()
        return None if row is None else _person(row)

    def by_login(self, login: str) -> Person | None:
        row = self._connection.execute(
            select(staff_people).where(staff_people.c.login == login)).one_or_none()
        return None if row is None else _person(row)

    def people(self) -> builtins.list[Person]:
        rows = self._connection.execute(select(staff_people).order_by(staff_people.c.login))
        return [_person(row) for row in rows]

    def by_subject(self, issuer: str, subject: str) -> Person | None:
        links = staff_oidc_links.c
        row = self._connection.execute(
            select(staff_people).join(staff_oidc_links, links.person_id == staff_people.c.id)
            .where(links.issuer == issuer, links.subject == subject)).one_or_none()
        return None if row is None else _person(row)

    def link_subject(self, issuer: str, subject: str, person_id: str, at: datetime) -> None:
        if self.by_subject(issuer, subject) is not None:
            raise ConflictError("this provider's subject is linked already", field="sub")
        try:
            self._connection.execute(staff_oidc_links.insert().values(
                issuer=issuer, subject=subject, person_id=person_id, linked_at=at))
        except IntegrityError:
            raise ConflictError("this provider's subject is linked already",
                                field="sub") from None

    def set_password(self, person_id: str, password_hash: str) -> None:
        self._connection.execute(staff_people.update().where(staff_people.c.id == person_id)
                                 .values(password_hash=password_hash))

    def set_language(self, person_id: str, language: str) -> None:
        self._connection.execute(staff_people.update().where(staff_people.c.id == person_id)
                                 .values(language=language))

    def set_totp(self, person_id: str, sealed: bytes | None) -> None:
        self._connection.execute(staff_people.update().where(staff_people.c.id == person_id)
                                 .values(totp_sealed=sealed, totp_last_step=None))

    def use_totp_step(self, person_id: str, step: int) -> bool:
        # One conditional UPDATE: two sign-ins racing with the same code cannot both pass.
        last = staff_people.c.totp_last_step
        done = self._connection.execute(
            staff_people.update()
            .where(staff_people.c.id == person_id, or_(last.is_(None), last < step))
            .values(totp_last_step=step))
        return done.rowcount == 1

    def disable(self, person_id: str, at: datetime, by: str) -> None:
        self._connection.execute(
            staff_people.update()
            .where(staff_people.c.id == person_id, staff_people.c.disabled_at.is_(None))
            .values(disabled_at=at, disabled_by=by))

    def add_grant(self, person_id: str, operator_id: str, role: str, at: datetime,
                  by: str) -> Grant:
        held = self.grants(person_id=person_id, operator_id=operator_id, active_only=True)
        for grant in held:
            if grant.role == role:
                return grant
        done = self._connection.execute(staff_grants.insert().values(
            person_id=person_id, operator_id=operator_id, role=role, granted_at=at,
            granted_by=by))
        key = done.inserted_primary_key
        assert key is not None
        return Grant(int(key[0]), person_id, operator_id, role, at, by)

    def grants(self, *, person_id: str | None = None, operator_id: str | None = None,
               active_only: bool = False) -> builtins.list[Grant]:
        query = select(staff_grants)
        if person_id is not None:
            query = query.where(staff_grants.c.person_id == person_id)
        if operator_id is not None:
            query = query.where(staff_grants.c.operator_id == operator_id)
        if active_only:
            query = query.where(staff_grants.c.revoked_at.is_(None))
        rows = self._connection.execute(query.order_by(staff_grants.c.granted_at,
                                                       staff_grants.c.id))
        return [_grant(row) for row in rows]

    def revoke_grants(self, person_id: str, at: datetime, by: str, *,
                      operator_id: str | None = None, role: str | None = None
                      ) -> builtins.list[Grant]:
        conditions = [staff_grants.c.person_id == person_id, staff_grants.c.revoked_at.is_(None)]
        if operator_id is not None:
            conditions.append(staff_grants.c.operator_id == operator_id)
        if role is not None:
            conditions.append(staff_grants.c.role == role)
        ids = self._connection.execute(
            select(staff_grants.c.id).where(and_(*conditions))).scalars().all()
        if not ids:
            return []
        self._connection.execute(staff_grants.update().where(staff_grants.c.id.in_(ids))
                                 .values(revoked_at=at, revoked_by=by))
        rows = self._connection.execute(select(staff_grants).where(staff_grants.c.id.in_(ids))
                                        .order_by(staff_grants.c.id))
        return [_grant(row) for row in rows]


def _session(row: Row[Any]) -> StaffSession:
    m = row._mapping
    return StaffSession(id=str(m["id"]), token_sha256=str(m["token_sha256"]),
                        person_id=str(m["person_id"]), created_at=m["created_at"],
                        last_seen_at=m["last_seen_at"], ended_at=m["ended_at"],
                        end_reason=m["end_reason"])


class SqlSessionRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, session: StaffSession) -> None:
        self._connection.execute(staff_sessions.insert().values(
            id=session.id, token_sha256=session.token_sha256, person_id=session.person_id,
            created_at=session.created_at, last_seen_at=session.last_seen_at,
            ended_at=session.ended_at, end_reason=session.end_reason))

    def by_token(self, token_sha256: str) -> StaffSession | None:
        row = self._connection.execute(select(staff_sessions).where(
            staff_sessions.c.token_sha256 == token_sha256)).one_or_none()
        return None if row is None else _session(row)

    def touch(self, session_id: str, at: datetime) -> None:
        self._connection.execute(staff_sessions.update().where(
            staff_sessions.c.id == session_id).values(last_seen_at=at))

    def end(self, session_id: str, at: datetime, reason: str) -> None:
        self._connection.execute(staff_sessions.update().where(
            staff_sessions.c.id == session_id, staff_sessions.c.ended_at.is_(None))
            .values(ended_at=at, end_reason=reason))

    def end_all(self, person_id: str, at: datetime, reason: str) -> int:
        done = self._connection.execute(staff_sessions.update().where(
            staff_sessions.c.person_id == person_id, staff_sessions.c.ended_at.is_(None))
            .values(ended_at=at, end_reason=reason))
        return int(done.rowcount)

"""Staff people and their roles: add, grant, revoke, and the list of persons with access.

Order 179/НҚ asks the operator to keep the list of persons with access to PD
and to limit each one's access to their duties; seed 003 p.5.7 promises that
access ends at once on dismissal. :func:`revoke` therefore ends the person's
grants, every open session and every API key of theirs in one transaction,
and the access audit log records it with the counts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from derbes.access.model.api_keys import StoredApiKey
from derbes.audit.model.log import AuditRecord
from derbes.context import Context
from derbes.errors import InputError, NotFoundError
from derbes.platform.labels import Lang
from derbes.register.service.in_force import in_force_in
from derbes.staff.model.people import Person, parse_login, parse_name
from derbes.staff.model.policy import SessionEnd
from derbes.staff.model.roles import Grant, Permission, parse_role
from derbes.staff.ports import PasswordHasher
from derbes.staff.service.authorization import require
from derbes.staff.service.credentials import check_password, find_person

__all__ = ["AccessRow", "Revoked", "access_list", "add_person", "grant", "people", "revoke",
           "set_language"]


def _record(ctx: Context, action: str, **details: object) -> None:
    ctx.uow.audit.record(AuditRecord(at=ctx.now(), actor=ctx.actor, action=action,
                                     request_id=ctx.request_id, details=details))


def add_person(ctx: Context, hasher: PasswordHasher, login: str, name: str,
               password: str | None = None) -> Person:
    """A new person who holds no role yet (roles are granted per operator)."""
    person = Person(id=str(uuid.uuid4()), login=parse_login(login), name=parse_name(name),
                    created_at=ctx.now(), created_by=ctx.actor)
    if password is not None:
        check_password(ctx, password, person.login)
        person = replace(person, password_hash=hasher.hash(password))
    with ctx.uow:
        ctx.uow.staff.add(person)
        _record(ctx, "staff.person.add", person_id=person.id)
        ctx.uow.commit()
    return person


def set_language(ctx: Context, person_id: str, language: str) -> Lang:
    """Remember the language a person reads the console in (``ru``, ``kk`` or ``en``)."""
    try:
        chosen = Lang(language.strip().lower())
    except ValueError:
        raise InputError("the language is one of ru, kk, en", field="language") from None
    with ctx.uow:
        if ctx.uow.staff.get(person_id) is None:
            raise NotFoundError("no such person", field="person")
        ctx.uow.staff.set_language(person_id, chosen.value)
        ctx.uow.commit()
    return chosen


def people(ctx: Context) -> list[tuple[Person, list[Grant]]]:
    """Every person with their active grants (within the context's operators)."""
    with ctx.uow:
        found = ctx.uow.staff.people()
        grants = ctx.uow.staff.grants(active_only=True)
    return [(p, [g for g in grants if g.person_id == p.id and ctx.scope.admits(g.operator_id)])
            for p in found]


def grant(ctx: Context, person_ref: str, operator_id: str, role: str) -> Grant:
    """Give a person a role at one operator (one with a published register)."""
    name = parse_role(ctx.rules.staff.roles, role)
    operator = operator_id.strip()
    ctx.scope.check(operator, f"operator {operator!r}")
    require(ctx, Permission.STAFF_MANAGE, operator)
    with ctx.uow:
        person = find_person(ctx.uow, person_ref)
        if person.disabled_at is not None:
            raise InputError("this person's access was revoked: add them again to return it",
                             field="person")
        if ctx.uow.registers.latest(operator) is None:
            raise NotFoundError(f"no register published for operator {operator!r}: roles are "
                                "granted at a published operator", field="operator")
        made = ctx.uow.staff.add_grant(person.id, operator, name, ctx.now(), ctx.actor)
        _record(ctx, "staff.grant", person_id=person.id, operator_id=operator, role=name,
                grant_id=made.id)
        ctx.uow.commit()
    return made


@dataclass(frozen=True)
class Revoked:
    person: Person
    grants: list[Grant]
    sessions: int
    keys: list[StoredApiKey]
    disabled: bool


def revoke(ctx: Context, person_ref: str, operator_id: str | None = None,
           role: str | None = None) -> Revoked:
    """End a person's roles (all of them, or at one operator, or one role there), and at
    once every open session and API key of theirs. Without an operator the person is
    disabled: nobody signs in as them again (off-boarding)."""
    name = None if role is None else parse_role(ctx.rules.staff.roles, role)
    if name is not None and operator_id is None:
        raise InputError("a role is revoked at an operator: name it", field="operator")
    with ctx.uow:
        person = find_person(ctx.uow, person_ref)
        held = {g.operator_id for g in ctx.uow.staff.grants(person_id=person.id,
                                                            active_only=True)}
    # A person who holds no role anywhere is off-boarded only from the terminal or by an
    # unbound admin key ("*" is no operator any staff role is held at).
    for operator in (sorted(held) or ["*"]) if operator_id is None else [operator_id]:
        require(ctx, Permission.STAFF_MANAGE, operator)
    now = ctx.now()
    with ctx.uow:
        ended = ctx.uow.staff.revoke_grants(person.id, now, ctx.actor, operator_id=operator_id,
                                            role=name)
        sessions = ctx.uow.staff_sessions.end_all(person.id, now, SessionEnd.REVOKED.value)
        keys = ctx.uow.api_keys.revoke_owned(person.actor, now)
        if operator_id is None:
            ctx.uow.staff.disable(person.id, now, ctx.actor)
        _record(ctx, "staff.revoke", person_id=person.id, operator_id=operator_id, role=name,
                grants=[g.id for g in ended], sessions=sessions,
                api_keys=[k.key_id for k in keys], disabled=operator_id is None)
        ctx.uow.commit()
    return Revoked(person, ended, sessions, keys, operator_id is None)


@dataclass(frozen=True)
class AccessRow:
    """One line of the list of persons with access (Order 179/НҚ)."""

    person_id: str
    name: str
    login: str
    role: str
    granted_at: datetime
    granted_by: str
    revoked_at: datetime | None
    revoked_by: str | None


def _who(actor: str | None, names: dict[str, str]) -> str | None:
    """An actor as a reader of the list knows them: a staff person by name."""
    if actor is None or not actor.startswith("staff:"):
        return actor
    person_id = actor.removeprefix("staff:")
    return f"{names[person_id]} ({actor})" if person_id in names else actor


def access_list(ctx: Context, operator_id: str, *, history: bool = False) -> list[AccessRow]:
    """Who has access to the operator's PD through derbes, with which role, since when and
    granted by whom; ``history`` adds the grants already revoked (and by whom)."""
    operator = operator_id.strip()
    ctx.scope.check(operator, f"operator {operator!r}")
    require(ctx, Permission.STAFF_VIEW, operator)
    with ctx.uow:
        # An operator derbes does not run has no list (and its id names no file).
        in_force_in(ctx.uow, operator)
        everyone = {p.id: p for p in ctx.uow.staff.people()}
        grants = ctx.uow.staff.grants(operator_id=operator, active_only=not history)
    names = {pid: p.name for pid, p in everyone.items()}
    return [AccessRow(g.person_id, everyone[g.person_id].name, everyone[g.person_id].login,
                      g.role, g.granted_at, _who(g.granted_by, names) or "",
                      g.revoked_at, _who(g.revoked_by, names))
            for g in grants if g.person_id in everyone]

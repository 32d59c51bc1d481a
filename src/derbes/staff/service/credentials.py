"""Passwords and the TOTP second factor of staff: set them, seal them, check them.

A TOTP secret is stored only sealed (AES-256-GCM, ``platform/crypto.seal``)
under a key derived from the audit-chain key of the key store, so it lives
outside the data database like every other key of derbes, and bound to its
person (the associated data), so a sealed secret copied to another person's
row does not open. A clear secret appears once: in the enrolment answer.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from derbes.audit.model.log import AuditRecord
from derbes.context import Context
from derbes.errors import InputError, NotFoundError
from derbes.platform.crypto import open_sealed, seal
from derbes.staff.model.people import Person
from derbes.staff.model.policy import password_problem
from derbes.staff.model.totp import b32_secret, provisioning_uri
from derbes.staff.ports import PasswordHasher
from derbes.uow import UnitOfWork

__all__ = ["Enrolment", "enrol_totp", "find_person", "open_totp", "set_password"]

_KEY_LABEL = b"derbes/staff-totp/v1"


def _totp_key(ctx: Context) -> bytes:
    return hmac.new(ctx.keystore.audit_key(), _KEY_LABEL, hashlib.sha256).digest()


def _aad(person_id: str) -> bytes:
    return b"derbes/staff/totp\x1f" + person_id.encode("utf-8")


def open_totp(ctx: Context, person: Person) -> bytes | None:
    """The person's TOTP secret in clear, for checking a code (None: not enrolled)."""
    if person.totp_sealed is None:
        return None
    return open_sealed(_totp_key(ctx), person.totp_sealed, _aad(person.id))


def find_person(uow: UnitOfWork, ref: str) -> Person:
    """A person by id or login, inside an open unit of work."""
    person = uow.staff.get(ref.strip()) or uow.staff.by_login(ref.strip().lower())
    if person is None:
        raise NotFoundError("no staff person with that id or login", field="person")
    return person


def _record(ctx: Context, action: str, person: Person, **details: object) -> None:
    ctx.uow.audit.record(AuditRecord(at=ctx.now(), actor=ctx.actor, action=action,
                                     request_id=ctx.request_id,
                                     details={"person_id": person.id, **details}))


def check_password(ctx: Context, password: str, login: str) -> None:
    problem = password_problem(ctx.rules.staff.policy.passwords, password, login)
    if problem is not None:
        raise InputError(problem, field="password")


def set_password(ctx: Context, hasher: PasswordHasher, person_ref: str, password: str) -> Person:
    """Give a person a new password (checked against the policy, stored as its hash)."""
    with ctx.uow:
        person = find_person(ctx.uow, person_ref)
        check_password(ctx, password, person.login)
        ctx.uow.staff.set_password(person.id, hasher.hash(password))
        _record(ctx, "staff.password", person)
        ctx.uow.commit()
    return person


@dataclass(frozen=True)
class Enrolment:
    """A new second factor: shown once, to be put in the person's authenticator app."""

    person: Person
    secret_b32: str = field(repr=False)
    uri: str = field(repr=False)


def enrol_totp(ctx: Context, person_ref: str) -> Enrolment:
    """A fresh TOTP secret for the person (replacing any earlier one), sealed at rest."""
    settings = ctx.rules.staff.policy.totp
    secret = secrets.token_bytes(settings.secret_bytes)
    key = _totp_key(ctx)
    with ctx.uow:
        person = find_person(ctx.uow, person_ref)
        ctx.uow.staff.set_totp(person.id, seal(key, secret, _aad(person.id)))
        _record(ctx, "staff.totp", person, event="enrolled")
        ctx.uow.commit()
    return Enrolment(person, b32_secret(secret), provisioning_uri(secret, person.login, settings))

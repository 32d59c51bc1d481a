"""Signing in and out, and who a session cookie belongs to.

A session token is 256 random bits; only its SHA-256 is stored, so a copy of
the database opens no session. The CSRF token of a session is an HMAC of the
session token: the page (or API client) that signed in gets it in the answer,
a page of another site cannot read it, and nothing more is stored. Failed
sign-ins of a person are recorded *before* the password is checked (the
``auth_throttle`` records of ``access``) and lock the person out after the
number in ``data/staff.yaml``; every sign-in, failure, lock-out and sign-out
is in the access audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import NoReturn

from derbes.access.model.limits import Outcome, ThrottleScope
from derbes.audit.model.log import AuditRecord
from derbes.context import Context
from derbes.errors import AuthError, InputError, RateLimitedError, UnauthenticatedError
from derbes.staff.model.people import Person, StaffSession, actor_of_person
from derbes.staff.model.policy import (
    SessionEnd,
    failures_counted,
    lock_after,
    session_end,
)
from derbes.staff.model.roles import Principal
from derbes.staff.model.totp import accepted_step, parse_code
from derbes.staff.ports import PasswordHasher
from derbes.staff.service.authorization import principal_of_person
from derbes.staff.service.credentials import open_totp

__all__ = ["CSRF_ACTION", "REVOKED_ACCESS_ACTION", "SIGNIN_ACTION", "Current", "SignedIn",
           "csrf_matches", "csrf_token", "refuse_csrf", "sign_in", "sign_out", "start_session",
           "who"]

SIGNIN_ACTION = "staff.signin"
CSRF_ACTION = "staff.csrf"
REVOKED_ACCESS_ACTION = "staff.revoked_access"
_TOKEN_BYTES = 32  # 256 random bits
_SCOPE = ThrottleScope.STAFF_SIGNIN
_WRONG = "wrong login, password or one-time code"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token(session_token: str) -> str:
    """The CSRF token that goes with a session (derived, never stored)."""
    return hmac.new(session_token.encode("utf-8"), b"derbes/csrf/v1", hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(csrf_token(session_token), given)


def refuse_csrf(ctx: Context) -> NoReturn:
    """Refuse (and record) a change sent with a session cookie but not its CSRF token."""
    with ctx.uow:
        ctx.uow.audit.record(AuditRecord(at=ctx.now(), actor=ctx.actor, action=CSRF_ACTION,
                                         request_id=ctx.request_id,
                                         details={"event": "refused"}))
        ctx.uow.commit()
    raise AuthError("the CSRF token is missing or wrong: send the token given at sign-in in "
                    "X-CSRF-Token (or a form's csrf_token field)", field="csrf_token")


@dataclass(frozen=True)
class SignedIn:
    person: Person
    principal: Principal
    session: StaffSession
    token: str = field(repr=False)
    csrf: str = field(repr=False)


def _audit(ctx: Context, actor: str, event: str, **details: object) -> None:
    ctx.uow.audit.record(AuditRecord(at=ctx.now(), actor=actor, action=SIGNIN_ACTION,
                                     request_id=ctx.request_id,
                                     details={"event": event, **details}))


def _revoked_access(ctx: Context, session: StaffSession, person: Person | None) -> None:
    """Record that a session whose access was revoked was used again (in the open uow):
    a revoked person trying to reach PD is a signal of unauthorised access (Order 179/НҚ)
    that the incident detector turns into a candidate at each operator where the person's
    access was taken away (every operator they held a role at, once disabled)."""
    grants = ctx.uow.staff.grants(person_id=session.person_id)
    gone = person is None or person.disabled_at is not None
    operators = sorted({g.operator_id for g in grants if gone or not g.active})
    actor = person.actor if person is not None else actor_of_person(session.person_id)
    ctx.uow.audit.record(AuditRecord(
        at=ctx.now(), actor=actor, action=REVOKED_ACCESS_ACTION, request_id=ctx.request_id,
        details={"session_id": session.id, "operator_ids": operators,
                 "reason": "person disabled" if gone else "role revoked"}))


def _refuse_unknown(ctx: Context, hasher: PasswordHasher, password: str) -> NoReturn:
    hasher.verify(None, password)  # the same effort as a known login
    with ctx.uow:
        _audit(ctx, "staff:unknown", "failed", reason="unknown login")
        ctx.uow.commit()
    raise UnauthenticatedError(_WRONG)


def _start(ctx: Context, person: Person) -> tuple[int, RateLimitedError | None]:
    """Refuse a locked-out person, else record the attempt; (attempt id, None)."""
    now = ctx.now()
    with ctx.uow:
        until = ctx.uow.throttle.locked_until(_SCOPE, person.id, now)
        if until is not None:
            _audit(ctx, person.actor, "refused", reason="locked", until=until.isoformat())
            ctx.uow.commit()
            return 0, RateLimitedError(
                "too many failed sign-ins: this account is locked for a while",
                until=until, retry_after=int((until - now).total_seconds()) + 1, field="login")
        attempt = ctx.uow.throttle.add(_SCOPE, person.id, Outcome.ATTEMPT, now)
        ctx.uow.commit()
    return attempt, None


def _fail(ctx: Context, person: Person, reason: str) -> NoReturn:
    limits = ctx.rules.staff.policy.signin
    now = ctx.now()
    with ctx.uow:
        records = ctx.uow.throttle.since(_SCOPE, person.id, now - limits.window)
        until = lock_after(limits, failures_counted(limits, records, now), now)
        _audit(ctx, person.actor, "failed", reason=reason)
        if until is not None:
            ctx.uow.throttle.add(_SCOPE, person.id, Outcome.LOCKED, now, until=until)
            _audit(ctx, person.actor, "locked", until=until.isoformat(),
                   citation=limits.citation)
        ctx.uow.commit()
    raise UnauthenticatedError(_WRONG)


def _second_factor(ctx: Context, person: Person, code: str | None, roles: set[str]) -> str | None:
    """Why the second factor fails (None: it passes or is not needed)."""
    settings = ctx.rules.staff.policy.totp
    needed = ctx.rules.staff.roles.needs_totp(roles)
    secret = open_totp(ctx, person)
    if secret is None:
        return "a role held needs a second factor, none is enrolled" if needed else None
    if not code:
        return "no one-time code"
    try:
        typed = parse_code(code, settings.digits)
    except InputError:
        return "malformed one-time code"
    step = accepted_step(secret, typed, ctx.now(), settings, person.totp_last_step)
    if step is None:
        return "wrong or reused one-time code"
    with ctx.uow:
        used = ctx.uow.staff.use_totp_step(person.id, step)
        ctx.uow.commit()
    return None if used else "wrong or reused one-time code"


def sign_in(ctx: Context, hasher: PasswordHasher, login: str, password: str,
            code: str | None = None) -> SignedIn:
    """Check login, password and (when enrolled or required) the TOTP code; open a session.

    Every refusal says the same (:class:`UnauthenticatedError`), whatever was
    wrong; the audit log says what. A locked-out person is refused with
    :class:`RateLimitedError` before anything is checked.
    """
    with ctx.uow:
        person = ctx.uow.staff.by_login(login.strip().lower())
    if person is None or person.disabled_at is not None:
        _refuse_unknown(ctx, hasher, password)
    attempt, locked = _start(ctx, person)
    if locked is not None:
        raise locked
    if not hasher.verify(person.password_hash, password):
        _fail(ctx, person, "wrong password")
    with ctx.uow:
        grants = ctx.uow.staff.grants(person_id=person.id, active_only=True)
    problem = _second_factor(ctx, person, code, {g.role for g in grants})
    if problem is not None:
        _fail(ctx, person, problem)
    return _open_session(ctx, person, attempt)


def start_session(ctx: Context, person: Person, **details: object) -> SignedIn:
    """A new session of ``person``, added and audited in the open unit of work (the
    caller commits); its principal holds the grants active in that unit of work."""
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    now = ctx.now()
    session = StaffSession(id=secrets.token_hex(16), token_sha256=_digest(token),
                           person_id=person.id, created_at=now, last_seen_at=now)
    ctx.uow.staff_sessions.add(session)
    _audit(ctx, person.actor, "ok", session_id=session.id, **details)
    fresh = ctx.uow.staff.grants(person_id=person.id, active_only=True)
    return SignedIn(person, principal_of_person(person, fresh), session, token, csrf_token(token))


def _open_session(ctx: Context, person: Person, attempt: int) -> SignedIn:
    with ctx.uow:
        ctx.uow.throttle.set_outcome(attempt, Outcome.OK)
        done = start_session(ctx, person)
        ctx.uow.commit()
    return done


@dataclass(frozen=True)
class Current:
    """Who a live session belongs to, now."""

    person: Person
    principal: Principal
    session: StaffSession


def who(ctx: Context, token: str | None) -> Current:
    """The person and principal of a session token; :class:`UnauthenticatedError` when the
    token is unknown, the session ended (signed out, revoked) or timed out (idle, absolute)."""
    if not token:
        raise UnauthenticatedError("sign in first (no session)")
    rules = ctx.rules.staff.policy.sessions
    now = ctx.now()
    with ctx.uow:
        session = ctx.uow.staff_sessions.by_token(_digest(token))
        if session is None:
            raise UnauthenticatedError("the session is not valid: sign in again")
        person = ctx.uow.staff.get(session.person_id)
        if session.ended_at is not None:
            # An ended session's cookie used again (a revoked person's, a signed-out one's):
            # refused and recorded with the person it belonged to (Order 179/НҚ logging).
            _audit(ctx, actor_of_person(session.person_id), "session_refused",
                   session_id=session.id, reason=session.end_reason or "ended")
            if session.end_reason == SessionEnd.REVOKED.value:
                _revoked_access(ctx, session, person)
            ctx.uow.commit()
            raise UnauthenticatedError("the session is not valid: sign in again")
        over = session_end(rules, session.created_at, session.last_seen_at, now)
        if person is None or person.disabled_at is not None:
            over = SessionEnd.REVOKED
        if over is not None or person is None:
            over = over or SessionEnd.REVOKED
            ctx.uow.staff_sessions.end(session.id, now, over.value)
            _audit(ctx, actor_of_person(session.person_id), "session_refused",
                   session_id=session.id, reason=over.value)
            if over is SessionEnd.REVOKED:
                _revoked_access(ctx, session, person)
            ctx.uow.commit()
            raise UnauthenticatedError(f"the session ended ({over.value}): sign in again")
        if now - session.last_seen_at >= rules.touch_every:
            ctx.uow.staff_sessions.touch(session.id, now)
            ctx.uow.commit()
        grants = ctx.uow.staff.grants(person_id=person.id, active_only=True)
    return Current(person, principal_of_person(person, grants), session)


def sign_out(ctx: Context, token: str | None) -> StaffSession:
    """End the session of ``token`` (the caller has checked its CSRF token)."""
    current = who(ctx, token)
    with ctx.uow:
        ctx.uow.staff_sessions.end(current.session.id, ctx.now(), SessionEnd.SIGNED_OUT.value)
        _audit(ctx, current.person.actor, "signed_out", session_id=current.session.id)
        ctx.uow.commit()
    return current.session

"""Signing a subject in to the cabinet with the phone and an SMS code, and out again.

:func:`start` takes the phone the subject typed and looks it up through the vault's
blind index. Whatever it finds, the answer is the same (a session at the code stage,
whose cookie the page sets): a code is issued in both cases, within the same limits
(``data/identity_limits.yaml``: codes per window, attempts per code, lock-out), but
only a subject derbes knows gets it, by SMS to the number on record. A phone
derbes does not know is bound by a keyed digest, never in clear, so its codes are
counted and locked out like a customer's and a stranger learns nothing.

:func:`confirm` checks the typed code (every attempt recorded before the check) and
opens a signed-in session under a new token (the code stage's token ends: a token
seen before sign-in never becomes a signed-in one). Only the SHA-256 of a token is
stored; the idle and absolute lifetimes are data (``data/cabinet.yaml``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field, replace

from derbes.access.service.limits import OtpAttempt, otp_issue, otp_verify
from derbes.audit.model.log import AuditRecord
from derbes.cabinet.model import SessionEnd, Stage, SubjectSession, session_end
from derbes.cabinet.ports import Codes
from derbes.context import Context, OperatorScope
from derbes.delivery import service as delivery
from derbes.delivery.ports import Couriers
from derbes.errors import InputError, UnauthenticatedError
from derbes.register.service.in_force import in_force_in
from derbes.vault.model import SUBJECT_ACCESS_REQUEST
from derbes.vault.service import subjects as vault

__all__ = [
    "SIGNIN_ACTION",
    "Visit",
    "confirm",
    "csrf_matches",
    "csrf_token",
    "sign_out",
    "start",
    "who",
]

SIGNIN_ACTION = "cabinet.signin"
_TOKEN_BYTES = 32  # 256 random bits
_UNKNOWN = b"derbes/cabinet/unknown-phone/v1"
_CSRF = b"derbes/cabinet/csrf/v1"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token(session_token: str) -> str:
    """The CSRF token of a cabinet session (derived from the token, never stored)."""
    return hmac.new(session_token.encode("utf-8"), _CSRF, hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(csrf_token(session_token), given)


@dataclass(frozen=True)
class Opened:
    """A session just opened: its record and the token for the cookie."""

    session: SubjectSession
    token: str = field(repr=False)


def _audit(ctx: Context, event: str, subject_ids: list[str], **details: object) -> None:
    ctx.uow.audit.record(AuditRecord(at=ctx.now(), actor=ctx.actor, action=SIGNIN_ACTION,
                                     subject_ids=subject_ids, request_id=ctx.request_id,
                                     details={"event": event, **details}))


def _open(ctx: Context, model: SubjectSession) -> Opened:
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    session = replace(model, id=secrets.token_hex(16), token_sha256=_digest(token))
    with ctx.uow:
        ctx.uow.subject_sessions.add(session)
        _audit(ctx, session.stage.value, [session.subject_id] if session.subject_id else [],
               session_id=session.id, operator_id=session.operator_id)
        ctx.uow.commit()
    return Opened(session, token)


def start(ctx: Context, codes: Codes, couriers: Couriers, operator_id: str, phone: str,
          language: str) -> Opened:
    """The phone typed: a code to the subject it names (if any), and a session awaiting
    the code, whatever was found."""
    if not isinstance(phone, str) or not phone.strip():
        raise InputError("enter your mobile phone number", field="phone")
    e164 = ctx.phones.e164(phone)
    scoped = ctx.within(OperatorScope.only(operator_id))
    with ctx.uow as uow:
        in_force_in(uow, operator_id)  # an operator with no register has no cabinet
    found = vault.find_subject(scoped, "phone", e164, SUBJECT_ACCESS_REQUEST)
    now = ctx.now()
    if found:
        subject_id = found[0].subject_id
        to = delivery.CodeRecipient(e164, language, operator_id)
        issued = otp_issue(scoped, codes, subject_id, [subject_id],
                           deliver=lambda code: delivery.send_code(scoped, couriers, to, code))
        binding: str = subject_id
        known: str | None = subject_id
    else:
        binding = "phone:" + hmac.new(ctx.keystore.index_key(), _UNKNOWN + e164.encode(),
                                      hashlib.sha256).hexdigest()[:64]
        issued = otp_issue(scoped, codes, binding)  # kept, never sent: nobody to send to
        known = None
    return _open(ctx, SubjectSession(
        id="", token_sha256="", operator_id=operator_id, stage=Stage.CODE, binding=binding,
        created_at=now, last_seen_at=now, subject_id=known, otp_reference=issued.reference,
        language=language))


def _live(ctx: Context, token: str | None, operator_id: str, stage: Stage) -> SubjectSession:
    if not token:
        raise UnauthenticatedError("sign in first (no session)")
    rules = ctx.rules.cabinet.sessions
    now = ctx.now()
    with ctx.uow:
        session = ctx.uow.subject_sessions.by_token(_digest(token))
        if (session is None or session.ended_at is not None or session.stage is not stage
                or session.operator_id != operator_id):
            raise UnauthenticatedError("the session is not valid: sign in again")
        over = session_end(rules, session.created_at, session.last_seen_at, now)
        if over is not None:
            ctx.uow.subject_sessions.end(session.id, now, over.value)
            ctx.uow.commit()
            raise UnauthenticatedError(f"the session ended ({over.value}): sign in again")
        if now - session.last_seen_at >= rules.touch_every:
            ctx.uow.subject_sessions.touch(session.id, now)
            ctx.uow.commit()
    return session


def confirm(ctx: Context, codes: Codes, token: str | None, operator_id: str, code: str
            ) -> Opened:
    """The code typed: a signed-in session under a new token; ``InputError`` (field
    ``code``) when it is wrong or expired, ``RateLimitedError`` when locked out."""
    pending = _live(ctx, token, operator_id, Stage.CODE)
    scoped = ctx.within(OperatorScope.only(operator_id))
    subjects = [pending.subject_id] if pending.subject_id else []
    typed = code.strip() if isinstance(code, str) else ""
    if not typed:
        raise InputError("enter the code from the SMS", field="code")
    try:
        otp_verify(scoped, codes, OtpAttempt(pending.binding, pending.otp_reference or "",
                                             typed, subjects, "code"))
    except InputError:
        raise InputError("the code is wrong or has expired: check it or ask for a new one",
                         field="code") from None
    if pending.subject_id is None:  # unreachable: no code was sent, none can match
        raise InputError("the code is wrong or has expired", field="code")
    codes.consume(pending.otp_reference or "")
    now = ctx.now()
    with ctx.uow:
        ctx.uow.subject_sessions.end(pending.id, now, SessionEnd.VERIFIED.value)
        ctx.uow.commit()
    return _open(ctx, replace(pending, stage=Stage.SIGNED_IN, created_at=now, last_seen_at=now,
                              otp_reference=None))


@dataclass(frozen=True)
class Visit:
    """A signed-in subject on this visit: the context they act in, their session."""

    ctx: Context
    session: SubjectSession
    subject_id: str
    operator_id: str


def who(ctx: Context, token: str | None, operator_id: str) -> Visit:
    """The subject of a signed-in session of this operator's cabinet;
    :class:`UnauthenticatedError` otherwise (unknown, ended, timed out, another operator's)."""
    session = _live(ctx, token, operator_id, Stage.SIGNED_IN)
    if session.subject_id is None:
        raise UnauthenticatedError("the session is not valid: sign in again")
    acting = ctx.acting(f"subject:{session.subject_id}", ctx.request_id)
    return Visit(acting.within(OperatorScope.only(operator_id)), session, session.subject_id,
                 operator_id)


def sign_out(visit: Visit) -> None:
    ctx = visit.ctx
    with ctx.uow:
        ctx.uow.subject_sessions.end(visit.session.id, ctx.now(), SessionEnd.SIGNED_OUT.value)
        _audit(ctx, "signed_out", [visit.subject_id], session_id=visit.session.id)
        ctx.uow.commit()

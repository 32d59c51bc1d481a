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

:func:`send_link` and :func:`follow_link` are the same with an e-mail address and a
one-time link instead: the address is looked up through the blind index, the same
answer comes whatever is found, and a link goes only to a subject of this operator.
The link's token is a new session's token (256 random bits, only its SHA-256 stored)
joined to a one-time code issued within the same limits as an SMS code (codes per
window, attempts, lock-out, expiry from ``data/consent_rules.yaml``), so following
it once spends both, and a link followed again, late or on another operator's cabinet
signs nobody in.
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
from derbes.delivery.model import Delivery, Message, Template
from derbes.delivery.ports import Couriers
from derbes.errors import IdentifierError, InputError, UnauthenticatedError
from derbes.identifiers.model import email as kz_email
from derbes.platform.otp import IssuedOtp
from derbes.register.service.in_force import in_force_in
from derbes.vault.model import SUBJECT_ACCESS_REQUEST
from derbes.vault.service import subjects as vault

__all__ = [
    "SIGNIN_ACTION",
    "Visit",
    "confirm",
    "csrf_matches",
    "csrf_token",
    "follow_link",
    "send_link",
    "sign_out",
    "start",
    "who",
]

SIGNIN_ACTION = "cabinet.signin"
_TOKEN_BYTES = 32  # 256 random bits
_UNKNOWN = b"derbes/cabinet/unknown-phone/v1"
_UNKNOWN_EMAIL = b"derbes/cabinet/unknown-email/v1"
_LINK_SEPARATOR = "."  # not in a token_urlsafe alphabet
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
    return _open_as(ctx, secrets.token_urlsafe(_TOKEN_BYTES), model)


def _open_as(ctx: Context, token: str, model: SubjectSession) -> Opened:
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
        binding = _unknown(ctx, _UNKNOWN, "phone", e164)
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
    return _signed_in(ctx, codes, pending)


def _signed_in(ctx: Context, codes: Codes, pending: SubjectSession) -> Opened:
    """The code or link proved: the pending session ends, a signed-in one opens under a
    new token (a token seen before sign-in never becomes a signed-in one)."""
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


def _unknown(ctx: Context, label: bytes, kind: str, value: str) -> str:
    """The binding of an identifier nobody has: a keyed digest, never the value."""
    return f"{kind}:" + hmac.new(ctx.keystore.index_key(), label + value.encode(),
                                 hashlib.sha256).hexdigest()[:64]


def send_link(ctx: Context, codes: Codes, couriers: Couriers, operator_id: str, address: str,
              where: tuple[str, str]) -> None:
    """The e-mail typed: a one-time link to the subject it names (if any); nothing tells
    the caller whether it was found. ``where`` is the page's language and the public
    base of the cabinet's links (configured, never taken from the request)."""
    language, base = where
    try:
        typed = kz_email.parse(address).value if isinstance(address, str) else ""
    except IdentifierError:
        typed = ""
    if not typed:
        raise InputError("enter your e-mail address", field="email")
    scoped = ctx.within(OperatorScope.only(operator_id))
    with ctx.uow as uow:
        names = in_force_in(uow, operator_id).register.operator.names
    found = vault.find_subject(scoped, "email", typed, SUBJECT_ACCESS_REQUEST)
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    now = ctx.now()
    if found:
        binding = found[0].subject_id
        known: str | None = binding

        def deliver(issued: IssuedOtp) -> Delivery:
            minutes = max(1, int((issued.expires_at - issued.issued_at).total_seconds() // 60))
            link = f"{base.rstrip('/')}/my/{operator_id}/link/{token}{_LINK_SEPARATOR}{issued.code}"
            return delivery.send(scoped, couriers, Message(
                Template.SIGN_IN_LINK, language, typed,
                {"operator": names.get(language), "link": link, "minutes": str(minutes)},
                expires_at=issued.expires_at, operator_id=operator_id))

        issued = otp_issue(scoped, codes, binding, [binding], deliver=deliver)
    else:
        binding = _unknown(ctx, _UNKNOWN_EMAIL, "email", typed)
        issued = otp_issue(scoped, codes, binding)  # kept, never sent: nobody to send to
        known = None
    _open_as(ctx, token, SubjectSession(
        id="", token_sha256="", operator_id=operator_id, stage=Stage.LINK, binding=binding,
        created_at=now, last_seen_at=now, subject_id=known, otp_reference=issued.reference,
        language=language))


def follow_link(ctx: Context, codes: Codes, operator_id: str, link: str) -> Opened:
    """The link followed: a signed-in session; ``InputError`` (field ``link``) when it is
    unknown, used, expired or another operator's, ``RateLimitedError`` when locked out."""
    token, _, code = (link if isinstance(link, str) else "").partition(_LINK_SEPARATOR)
    refused = InputError("the link is wrong, used or expired: ask for a new one",
                         field="link")
    if not token or not code:
        raise refused
    try:
        pending = _live(ctx, token, operator_id, Stage.LINK)
    except UnauthenticatedError:
        raise refused from None
    scoped = ctx.within(OperatorScope.only(operator_id))
    subjects = [pending.subject_id] if pending.subject_id else []
    try:
        otp_verify(scoped, codes, OtpAttempt(pending.binding, pending.otp_reference or "",
                                             code, subjects, "link"))
    except InputError:
        raise refused from None
    if pending.subject_id is None:  # unreachable: no link was sent, none can match
        raise refused
    return _signed_in(ctx, codes, pending)

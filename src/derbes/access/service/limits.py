"""Use cases that keep one-time codes and API keys from being guessed.

One-time codes (identity verification of a subject request, SMS-OTP consent):

* :func:`otp_issue` sends a code unless the request or subject is locked out
  or already had ``codes_per_window`` codes in the window (then 429);
* :func:`otp_verify` records the attempt *and commits it* before anything
  else, counts, and checks the code only when the code has attempts left and
  the request or subject has not reached its failures: concurrent guesses
  cannot add up to more checks than the limits allow. The attempt that
  reaches ``lockout_after_failures`` locks the request or subject out until a
  time that grows with repeated lock-outs (429 with ``Retry-After``); while
  locked, attempts are refused unseen and unrecorded.

API keys: :func:`key_refused` answers 429 to a client address that is locked
out — before its key is looked at, so the answer never tells whether the key
was right — and :func:`key_failed` counts a failed attempt and locks the
client out at ``failures_per_window``.

Every code issued, failed attempt, success and lock-out (with the time it
ends) is an entry of the access audit log. Numbers and their justification:
``data/identity_limits.yaml``.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from derbes.access.model import limits as rules
from derbes.access.model.limits import KeyLimits, OtpLimits, Outcome, Refusal, ThrottleScope
from derbes.audit.model.log import AuditRecord
from derbes.context import Context
from derbes.delivery.model import Delivery
from derbes.errors import InputError, RateLimitedError
from derbes.platform.clock import Clock
from derbes.platform.otp import IssuedOtp, OtpVerifier
from derbes.uow import UnitOfWork

__all__ = ["Deliver", "OtpAttempt", "OtpIssuer", "client_digest", "key_failed", "key_refused",
           "otp_issue", "otp_verify"]

_OTP = ThrottleScope.OTP
_KEY = ThrottleScope.API_KEY
_CLIENT_LABEL = b"derbes/throttle-client/v1"


class OtpIssuer(Protocol):
    def issue(self, subject_id: str, at: datetime) -> IssuedOtp: ...


@dataclass(frozen=True)
class OtpAttempt:
    """A code typed back: for ``binding`` (a subject or a request), the code sent under
    ``reference``; ``subject_ids`` name the audit entries, ``field`` the input at fault."""

    binding: str
    reference: str
    code: str = field(repr=False)
    subject_ids: Sequence[str] = ()
    field: str = "otp_code"


def _wait(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def _minutes(until: datetime, now: datetime) -> str:
    return f"{max(1, math.ceil((until - now).total_seconds() / 60))} minute(s)"


def _locked(until: datetime, now: datetime, what: str, field: str) -> RateLimitedError:
    return RateLimitedError(
        f"{what} is locked out after too many wrong attempts; try again in "
        f"{_minutes(until, now)}", until=until, retry_after=_wait(until, now), field=field)


def _records(uow: UnitOfWork, binding: str, limits: OtpLimits, now: datetime
             ) -> list[rules.Attempt]:
    return uow.throttle.since(_OTP, binding, now - max(limits.window, limits.lockout_memory))


def _refuse_if_locked(uow: UnitOfWork, binding: str, now: datetime, field: str) -> None:
    with uow:
        until = uow.throttle.locked_until(_OTP, binding, now)
    if until is not None:
        raise _locked(until, now, "identity verification", field)


Deliver = Callable[[IssuedOtp], Delivery]
"""Sends an issued code to the subject (``delivery.service.send_code``); answers the
delivery record, whose id and state the audit entry keeps."""


def otp_issue(ctx: Context, otp: OtpIssuer, binding: str,
              subject_ids: Sequence[str] = (), deliver: Deliver | None = None) -> IssuedOtp:
    """Issue a code bound to ``binding`` (a subject or a request), within the limits,
    and hand it to ``deliver`` (None: the caller sends it)."""
    uow, limits, actor = ctx.uow, ctx.rules.identity_limits.otp, ctx.actor
    now = ctx.now()
    _refuse_if_locked(uow, binding, now, "otp_reference")
    with uow:
        # The write first: on SQLite a transaction that reads first cannot write
        # once another writer has committed meanwhile.
        mine = uow.throttle.add(_OTP, binding, Outcome.ISSUED, now)
        sent = [a.at for a in uow.throttle.since(_OTP, binding, now - limits.window)
                if a.outcome is Outcome.ISSUED and a.id != mine]
        again = rules.retry_after_issue(limits, sent, now)
        if again is not None:
            uow.throttle.set_outcome(mine, Outcome.REFUSED)
            uow.commit()
            raise RateLimitedError(
                f"at most {limits.codes_per_window} codes are sent per "
                f"{int(limits.window.total_seconds() // 60)} minutes; the next one can be "
                f"sent in {_minutes(again, now)}", until=again,
                retry_after=_wait(again, now), field="otp")
        uow.commit()
    issued = otp.issue(binding, now)
    details: dict[str, Any] = {
        "event": "issued", "binding": binding, "reference": issued.reference,
        "expires_at": issued.expires_at.isoformat(), "codes_in_window": len(sent) + 1,
        "limit": limits.codes_per_window}
    if deliver is not None:
        delivery = deliver(issued)
        details["delivery"] = {"id": delivery.id, "state": delivery.state.value}
    with uow:
        uow.audit.record(AuditRecord(
            at=now, actor=actor, action=rules.OTP_ACTION, subject_ids=list(subject_ids),
            details=details))
        uow.commit()
    return issued


def otp_verify(ctx: Context, otp: OtpVerifier, attempt: OtpAttempt) -> None:
    """Check a code within the limits; raise ``InputError`` (wrong), ``RateLimitedError``
    (locked out, 429). The code is not consumed here: the caller does it once the
    change it proves is stored."""
    uow, limits, actor = ctx.uow, ctx.rules.identity_limits.otp, ctx.actor
    binding, reference, field = attempt.binding, attempt.reference, attempt.field
    subject_ids = attempt.subject_ids
    now = ctx.now()
    # While locked out, attempts are refused unseen, and cost no write.
    _refuse_if_locked(uow, binding, now, field)
    with uow:
        mine = uow.throttle.add(_OTP, binding, Outcome.ATTEMPT, now, reference=reference)
        uow.commit()  # seen by every concurrent attempt from here on
    with uow:
        counted = rules.count_attempts(limits, _records(uow, binding, limits, now), reference,
                                       now)
    refusal = rules.otp_refusal(limits, counted)
    failure: InputError
    if refusal is None:
        try:
            otp.verify(reference, attempt.code, binding, now)
        except InputError as exc:
            failure = exc
        else:
            with uow:
                uow.throttle.set_outcome(mine, Outcome.OK)
                uow.audit.record(AuditRecord(
                    at=now, actor=actor, action=rules.OTP_ACTION, subject_ids=list(subject_ids),
                    details={"event": "verified", "binding": binding, "reference": reference,
                             "failures_before": counted.failures - 1}))
                uow.commit()
            return
    elif refusal is Refusal.CODE_EXHAUSTED:
        failure = InputError(f"this code was tried {limits.attempts_per_code} times: ask for "
                             "a new one", field=field)
    else:
        failure = InputError("too many wrong codes", field=field)
    _otp_failed(ctx, attempt, refusal, now)
    raise failure


def _otp_failed(ctx: Context, attempt: OtpAttempt, refusal: Refusal | None,
                now: datetime) -> None:
    """Audit a failed attempt; lock out when the failures reach the limit (then 429)."""
    uow, limits, actor = ctx.uow, ctx.rules.identity_limits.otp, ctx.actor
    binding, reference, subject_ids = attempt.binding, attempt.reference, attempt.subject_ids
    locked: datetime | None = None
    with uow:
        # Older records no longer count for anything (and the write comes first).
        uow.throttle.forget(_OTP, binding, now - max(limits.window, limits.lockout_memory))
        counted = rules.count_attempts(limits, _records(uow, binding, limits, now), reference,
                                       now)
        uow.audit.record(AuditRecord(
            at=now, actor=actor, action=rules.OTP_ACTION, subject_ids=list(subject_ids),
            details={"event": "failed", "binding": binding, "reference": reference,
                     "why": refusal.value if refusal else "wrong_code",
                     "failures": counted.failures, "limit": limits.lockout_after_failures}))
        # A concurrent attempt may have locked out already: then this one is 429 too.
        locked = uow.throttle.locked_until(_OTP, binding, now)
        if locked is None and counted.failures >= limits.lockout_after_failures:
            locked = now + rules.lockout_length(limits, counted.earlier_locks)
            uow.throttle.add(_OTP, binding, Outcome.LOCKED, now, until=locked)
            uow.audit.record(AuditRecord(
                at=now, actor=actor, action=rules.OTP_ACTION, subject_ids=list(subject_ids),
                details={"event": "locked", "binding": binding, "until": locked.isoformat(),
                         "failures": counted.failures, "citation": limits.citation}))
        uow.commit()
    if locked is not None:
        raise _locked(locked, now, "identity verification", attempt.field)


# ------------------------------------------------------------------ API keys


def client_digest(audit_key: bytes, address: str) -> str:
    """A client address as it is counted: keyed, since an address is PD."""
    return hmac.new(audit_key, _CLIENT_LABEL + address.encode("utf-8"),
                    hashlib.sha256).hexdigest()[:32]


def key_refused(uow: UnitOfWork, client: str, clock: Clock) -> None:
    """Raise ``RateLimitedError`` while ``client`` is locked out (nothing is recorded)."""
    now = clock.now()
    with uow:
        until = uow.throttle.locked_until(_KEY, client, now)
    if until is not None:
        raise _locked(until, now, "this client address", "authorization")


def key_failed(uow: UnitOfWork, client: str, clock: Clock, limits: KeyLimits) -> None:
    """Count a failed API-key attempt of ``client``; lock it out at the limit (429)."""
    now = clock.now()
    locked: datetime | None = None
    with uow:
        uow.throttle.add(_KEY, client, Outcome.ATTEMPT, now)  # the write first (SQLite)
        records = uow.throttle.since(_KEY, client, now - limits.window - limits.lockout)
        failures = rules.key_failures(records, limits.window, now)
        locked = uow.throttle.locked_until(_KEY, client, now)  # by a concurrent attempt
        if locked is None and failures >= limits.failures_per_window:
            locked = now + limits.lockout
            uow.throttle.add(_KEY, client, Outcome.LOCKED, now, until=locked)
            uow.audit.record(AuditRecord(
                at=now, actor="api:unauthenticated", action=rules.KEY_ACTION,
                details={"event": "locked", "client": client, "until": locked.isoformat(),
                         "failures": failures, "citation": limits.citation}))
        uow.throttle.forget(_KEY, client, now - limits.window - limits.lockout)
        uow.commit()
    if locked is not None:
        raise _locked(locked, now, "this client address", "authorization")

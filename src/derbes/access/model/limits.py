"""Limits on proving an identity (one-time codes) and on API keys, as pure rules.

The numbers come from ``data/identity_limits.yaml`` with their justification.
Attempts are counted from what was recorded (``auth_throttle``); the
functions here answer from those records alone:

* :func:`lockout_length` — how long a new lock-out lasts, growing with the
  lock-outs shortly before it;
* :func:`retry_after_issue` — when another code may be sent;
* :func:`otp_refusal` — whether an attempt at a code may be checked at all.

An attempt is recorded (and committed) *before* the records are counted and
before the code is checked, so concurrent attempts each see the others: at
most ``attempts_per_code`` attempts of one code, and at most
``lockout_after_failures`` attempts of one request or subject per window, are
ever checked, however many arrive at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from derbes.errors import InputError
from derbes.platform.labels import Labels
from derbes.platform.rule_fields import RuleFields

__all__ = [
    "KEY_ACTION",
    "OTP_ACTION",
    "Attempt",
    "Counted",
    "IdentityLimits",
    "KeyLimits",
    "OtpLimits",
    "Outcome",
    "Refusal",
    "ThrottleScope",
    "count_attempts",
    "key_failures",
    "limits_from_dict",
    "lockout_length",
    "otp_refusal",
    "retry_after_issue",
]

# Audit actions (details.event says which: issued, failed, locked, verified).
OTP_ACTION = "identity.otp"
KEY_ACTION = "apikey.auth"


class ThrottleScope(StrEnum):
    OTP = "otp"
    API_KEY = "api_key"
    STAFF_SIGNIN = "staff_signin"  # sign-ins of one staff person (staff/model/policy.py)


class Outcome(StrEnum):
    ISSUED = "issued"  # a code was sent
    REFUSED = "refused"  # a code was asked for over the limit: not sent
    ATTEMPT = "attempt"  # a code or key was tried and did not (yet) succeed
    OK = "ok"  # the attempt succeeded
    LOCKED = "locked"  # a lock-out, until ``until``


@dataclass(frozen=True)
class Attempt:
    """One record of ``auth_throttle``."""

    id: int
    outcome: Outcome
    at: datetime
    reference: str | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class OtpLimits:
    attempts_per_code: int
    codes_per_window: int
    window: timedelta
    lockout_after_failures: int
    lockout: timedelta
    lockout_growth: int
    max_lockout: timedelta
    lockout_memory: timedelta
    citation: str
    label: Labels


@dataclass(frozen=True)
class KeyLimits:
    failures_per_window: int
    window: timedelta
    lockout: timedelta
    citation: str
    label: Labels


@dataclass(frozen=True)
class IdentityLimits:
    otp: OtpLimits
    api_keys: KeyLimits


_FIELDS = RuleFields("identity limits")


def _minutes(data: Mapping[str, Any], name: str, where: str) -> timedelta:
    return timedelta(minutes=_FIELDS.count(data, name, where))


def _labels(data: Mapping[str, Any], where: str) -> Labels:
    try:
        return Labels.from_mapping(data.get("label"), where=f"{where}.label")
    except InputError as exc:
        raise _FIELDS.error(exc.message, exc.field) from None


def limits_from_dict(data: Any) -> IdentityLimits:
    """The limits from the parsed YAML; anything malformed is a configuration error."""
    data = _FIELDS.top(data)
    o = _FIELDS.section(data, "otp")
    k = _FIELDS.section(data, "api_keys")
    otp = OtpLimits(
        attempts_per_code=_FIELDS.count(o, "attempts_per_code", "otp"),
        codes_per_window=_FIELDS.count(o, "codes_per_window", "otp"),
        window=_minutes(o, "window_minutes", "otp"),
        lockout_after_failures=_FIELDS.count(o, "lockout_after_failures", "otp"),
        lockout=_minutes(o, "lockout_minutes", "otp"),
        lockout_growth=_FIELDS.count(o, "lockout_growth", "otp"),
        max_lockout=_minutes(o, "max_lockout_minutes", "otp"),
        lockout_memory=timedelta(hours=_FIELDS.count(o, "lockout_memory_hours", "otp")),
        citation=_FIELDS.text(o, "citation", "otp"), label=_labels(o, "otp"),
    )
    if otp.lockout_after_failures < otp.attempts_per_code:
        raise _FIELDS.error("otp.lockout_after_failures must be at least attempts_per_code",
                            "otp.lockout_after_failures")
    keys = KeyLimits(
        failures_per_window=_FIELDS.count(k, "failures_per_window", "api_keys"),
        window=_minutes(k, "window_minutes", "api_keys"),
        lockout=_minutes(k, "lockout_minutes", "api_keys"),
        citation=_FIELDS.text(k, "citation", "api_keys"), label=_labels(k, "api_keys"),
    )
    return IdentityLimits(otp=otp, api_keys=keys)


def lockout_length(limits: OtpLimits, earlier_locks: int) -> timedelta:
    """A lock-out after ``earlier_locks`` others within the memory: longer each time."""
    factor: int = limits.lockout_growth ** min(max(earlier_locks, 0), 32)
    length: timedelta = limits.lockout * factor
    return min(length, limits.max_lockout)


def retry_after_issue(limits: OtpLimits, issued: Iterable[datetime], now: datetime
                      ) -> datetime | None:
    """When another code may be sent (None: now), given the codes sent in the window."""
    recent = sorted(at for at in issued if at > now - limits.window)
    if len(recent) < limits.codes_per_window:
        return None
    # Allowed again once only codes_per_window - 1 of them remain in the window.
    return recent[len(recent) - limits.codes_per_window] + limits.window


class Refusal(StrEnum):
    CODE_EXHAUSTED = "code_exhausted"  # this code was tried attempts_per_code times
    TOO_MANY = "too_many"  # the request or subject reached lockout_after_failures


@dataclass(frozen=True)
class Counted:
    """The records that count for one code and its request or subject, at one time."""

    on_code: int  # attempts at this code (the attempt being judged included)
    failures: int  # attempts of the binding since the window began or a lock-out ended
    earlier_locks: int  # lock-outs within the memory, ended or not


def count_attempts(limits: OtpLimits, records: Sequence[Attempt], reference: str | None,
                   now: datetime) -> Counted:
    """Count ``records`` (those since ``now - max(window, memory)``)."""
    locks = [a for a in records if a.outcome is Outcome.LOCKED]
    ended = [a.until for a in locks if a.until is not None and a.until <= now]
    start = max([now - limits.window, *ended])
    tried = [a for a in records if a.outcome is Outcome.ATTEMPT]
    return Counted(
        on_code=sum(1 for a in tried if reference is not None and a.reference == reference),
        failures=sum(1 for a in tried if a.at >= start),
        earlier_locks=sum(1 for a in locks if a.at >= now - limits.lockout_memory),
    )


def otp_refusal(limits: OtpLimits, counted: Counted) -> Refusal | None:
    """Whether an attempt, already recorded and counted, may not be checked."""
    if counted.on_code > limits.attempts_per_code:
        return Refusal.CODE_EXHAUSTED
    if counted.failures > limits.lockout_after_failures:
        return Refusal.TOO_MANY
    return None


def key_failures(records: Iterable[Attempt], window: timedelta, now: datetime) -> int:
    """Failed key attempts of a client in the window, since its last lock-out ended."""
    kept = list(records)
    ended = [a.until for a in kept if a.outcome is Outcome.LOCKED and a.until is not None
             and a.until <= now]
    start = max([now - window, *ended])
    return sum(1 for a in kept if a.outcome is Outcome.ATTEMPT and a.at >= start)

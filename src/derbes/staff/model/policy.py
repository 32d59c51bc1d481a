"""The numbers of staff sign-in, as pure rules: lock-out, session timeouts, passwords.

Every number comes from ``data/staff.yaml`` with the standard it follows. The
functions answer from plain values (records, instants), so they are tested
with a fake clock and no database:

* :func:`failures_counted` / :func:`lock_after` — when failed sign-ins lock a person out;
* :func:`session_end` — whether, and why, a session is over at an instant;
* :func:`password_problem` — what is wrong with a new password.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from derbes.access.model.limits import Attempt, Outcome
from derbes.platform.rule_fields import RuleFields
from derbes.platform.sessions import SessionRules, expired
from derbes.staff.model.oidc import OidcRules, oidc_rules_from_dict
from derbes.staff.model.roles import RoleBook
from derbes.staff.model.totp import TotpSettings

__all__ = [
    "PasswordRules",
    "SessionEnd",
    "SessionRules",
    "SignInLimits",
    "StaffPolicy",
    "StaffRules",
    "failures_counted",
    "lock_after",
    "password_problem",
    "policy_from_dict",
    "session_end",
]


@dataclass(frozen=True)
class SignInLimits:
    lockout_after_failures: int
    window: timedelta
    lockout: timedelta
    citation: str


@dataclass(frozen=True)
class PasswordRules:
    min_length: int
    max_length: int
    argon2_time_cost: int
    argon2_memory_kib: int
    argon2_parallelism: int
    citation: str


@dataclass(frozen=True)
class StaffPolicy:
    signin: SignInLimits
    sessions: SessionRules
    passwords: PasswordRules
    totp: TotpSettings
    totp_citation: str
    oidc: OidcRules


@dataclass(frozen=True)
class StaffRules:
    """The role table and the sign-in policy, as bootstrap loads them (``Rules.staff``)."""

    roles: RoleBook
    policy: StaffPolicy


_FIELDS = RuleFields("staff policy")


def policy_from_dict(data: Any) -> StaffPolicy:
    """The policy from the parsed YAML; anything malformed is a configuration error."""
    data = _FIELDS.top(data)
    count, text, fail = _FIELDS.count, _FIELDS.text, _FIELDS.error
    s, t = _FIELDS.section(data, "signin"), _FIELDS.section(data, "sessions")
    p, o = _FIELDS.section(data, "passwords"), _FIELDS.section(data, "totp")
    signin = SignInLimits(count(s, "lockout_after_failures", "signin"),
                          timedelta(minutes=count(s, "window_minutes", "signin")),
                          timedelta(minutes=count(s, "lockout_minutes", "signin")),
                          text(s, "citation", "signin"))
    sessions = SessionRules(timedelta(minutes=count(t, "idle_minutes", "sessions")),
                            timedelta(hours=count(t, "absolute_hours", "sessions")),
                            timedelta(seconds=count(t, "touch_every_seconds", "sessions")),
                            text(t, "citation", "sessions"))
    if sessions.idle > sessions.absolute or sessions.touch_every >= sessions.idle:
        raise fail("sessions need touch_every < idle <= absolute", "sessions")
    passwords = PasswordRules(
        count(p, "min_length", "passwords"), count(p, "max_length", "passwords"),
        count(p, "argon2_time_cost", "passwords"), count(p, "argon2_memory_kib", "passwords"),
        count(p, "argon2_parallelism", "passwords"), text(p, "citation", "passwords"))
    if passwords.min_length > passwords.max_length:
        raise fail("passwords.min_length exceeds max_length", "passwords.min_length")
    drift = o.get("drift_steps")
    if not isinstance(drift, int) or isinstance(drift, bool) or drift < 0:
        raise fail("totp.drift_steps must be 0 or more", "totp.drift_steps")
    try:
        totp = TotpSettings(count(o, "digits", "totp"), count(o, "step_seconds", "totp"),
                            text(o, "algorithm", "totp").upper(), drift,
                            count(o, "secret_bytes", "totp"), text(o, "issuer", "totp"))
    except ValueError as exc:
        raise fail(str(exc), "totp") from None
    return StaffPolicy(signin, sessions, passwords, totp, text(o, "citation", "totp"),
                       oidc_rules_from_dict(_FIELDS, _FIELDS.section(data, "oidc")))


def failures_counted(limits: SignInLimits, records: Iterable[Attempt], now: datetime) -> int:
    """Failed sign-ins that count at ``now``: within the window, after the last success
    and after the last lock-out ended."""
    kept = list(records)
    fresh = [a.at for a in kept if a.outcome is Outcome.OK]
    ended = [a.until for a in kept if a.outcome is Outcome.LOCKED and a.until is not None
             and a.until <= now]
    start = max([now - limits.window, *fresh, *ended])
    return sum(1 for a in kept if a.outcome is Outcome.ATTEMPT and a.at >= start)


def lock_after(limits: SignInLimits, failures: int, now: datetime) -> datetime | None:
    """The end of the lock-out that ``failures`` counted failures start (None: no lock)."""
    return now + limits.lockout if failures >= limits.lockout_after_failures else None


class SessionEnd(StrEnum):
    SIGNED_OUT = "signed_out"
    IDLE = "idle"
    ABSOLUTE = "absolute"
    REVOKED = "revoked"


def session_end(rules: SessionRules, created_at: datetime, last_seen_at: datetime,
                now: datetime) -> SessionEnd | None:
    """Why a session still open in the store is over at ``now`` (None: it is alive)."""
    over = expired(rules, created_at, last_seen_at, now)
    return None if over is None else SessionEnd(over)


def password_problem(rules: PasswordRules, password: str, login: str) -> str | None:
    """What is wrong with ``password`` as a new password (None: nothing).

    NIST SP 800-63B §5.1.1.2: a length, no composition rules, not the account's
    own name. Length counts characters, so Kazakh and Russian letters count one each.
    """
    if not password.strip():
        return "the password must not be empty or only spaces"
    if len(password) < rules.min_length:
        return f"the password needs at least {rules.min_length} characters"
    if len(password) > rules.max_length:
        return f"the password has more than {rules.max_length} characters"
    if login and login.casefold() in password.casefold():
        return "the password must not contain the login"
    if len(set(password)) == 1:
        return "the password must not repeat one character"
    return None

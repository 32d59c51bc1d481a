"""Limits on one-time codes and API keys: the rules, and a brute force on the fake unit of work."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from derbes.access.adapters.limits_yaml import load_identity_limits
from derbes.access.model.limits import (
    OTP_ACTION,
    Attempt,
    OtpLimits,
    Outcome,
    Refusal,
    count_attempts,
    limits_from_dict,
    lockout_length,
    otp_refusal,
    retry_after_issue,
)
from derbes.access.service import limits as guard
from derbes.context import Rules
from derbes.errors import ConfigurationError, InputError, RateLimitedError
from derbes.platform.clock import FixedClock
from derbes.testing.context import context as ctx_of
from derbes.testing.context import shipped_rules
from derbes.testing.otp import FakeOtpService
from derbes.testing.uow import FakeUnitOfWork

LIMITS = load_identity_limits()
OTP = LIMITS.otp
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class CountingOtp(FakeOtpService):
    """The shipped fake, counting how many codes it was asked to check."""

    def __init__(self) -> None:
        super().__init__(10)
        self.checked = 0

    def verify(self, reference: str, code: str, subject_id: str, at: datetime) -> None:
        self.checked += 1
        super().verify(reference, code, subject_id, at)


def _rules(otp: OtpLimits) -> Rules:
    """The shipped rules with these OTP limits."""
    shipped = shipped_rules()
    return shipped.replaced(identity_limits=replace(shipped.identity_limits, otp=otp))


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_the_shipped_limits_load_with_their_citations() -> None:
    assert OTP.attempts_per_code == 5 and OTP.lockout_after_failures == 10
    assert "179/НҚ" in OTP.citation and "179/НҚ" in LIMITS.api_keys.citation
    assert OTP.label.kk and LIMITS.api_keys.label.ru


@pytest.mark.parametrize(("path", "value"), [
    (("otp", "attempts_per_code"), 0), (("otp", "window_minutes"), "60"),
    (("api_keys", "failures_per_window"), True), (("otp", "citation"), ""),
    (("otp", "lockout_after_failures"), 2), (("version",), 2)])
def test_a_malformed_table_is_a_configuration_error(path: tuple[str, ...], value: Any) -> None:
    from importlib import resources

    import yaml

    data = yaml.safe_load(resources.files("derbes.data").joinpath(
        "identity_limits.yaml").read_text(encoding="utf-8"))
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    with pytest.raises(ConfigurationError):
        limits_from_dict(data)


def test_lockouts_grow_and_stop_at_the_maximum() -> None:
    assert lockout_length(OTP, 0) == OTP.lockout
    assert lockout_length(OTP, 1) == OTP.lockout * OTP.lockout_growth
    assert lockout_length(OTP, 50) == OTP.max_lockout


def test_codes_per_window() -> None:
    sent = [T0, T0 + timedelta(minutes=10), T0 + timedelta(minutes=20)]
    assert retry_after_issue(OTP, sent[:2], T0 + timedelta(minutes=30)) is None
    assert retry_after_issue(OTP, sent, T0 + timedelta(minutes=30)) == T0 + OTP.window
    assert retry_after_issue(OTP, sent, T0 + OTP.window + timedelta(seconds=1)) is None


def test_counting_restarts_when_a_lockout_ends() -> None:
    now = T0 + timedelta(minutes=90)
    records = [Attempt(i, Outcome.ATTEMPT, T0 + timedelta(minutes=i), "r1") for i in range(10)]
    records.append(Attempt(11, Outcome.LOCKED, T0 + timedelta(minutes=9),
                           until=T0 + timedelta(minutes=69)))
    records.append(Attempt(12, Outcome.ATTEMPT, T0 + timedelta(minutes=80), "r2"))
    counted = count_attempts(OTP, records, "r2", now)
    assert (counted.on_code, counted.failures, counted.earlier_locks) == (1, 1, 1)
    assert count_attempts(OTP, records, "r1", now).on_code == 10
    assert otp_refusal(OTP, count_attempts(OTP, records, "r1", now)) is \
        Refusal.CODE_EXHAUSTED


def test_3000_wrong_codes_then_the_right_one_does_not_verify() -> None:
    uow = FakeUnitOfWork()
    clock = FixedClock(T0)
    otp = CountingOtp()
    issued = guard.otp_issue(ctx_of(uow, None, clock, "attacker"), otp, "subject-1", ["subject-1"])
    wrong = _wrong(issued.code)
    refused = {"wrong": 0, "locked": 0}
    for _ in range(3000):
        try:
            guard.otp_verify(ctx_of(uow, None, clock, "attacker"), otp, guard.OtpAttempt("subject-1", issued.reference, wrong))
        except RateLimitedError as exc:
            refused["locked"] += 1
            assert exc.until == T0 + OTP.lockout and exc.retry_after == 3600
        except InputError:
            refused["wrong"] += 1
    # Five tries of the code were checked; then it was spent, and the request locked
    # out at the tenth failure (that attempt is answered 429 too).
    assert otp.checked == OTP.attempts_per_code
    assert refused == {"wrong": OTP.lockout_after_failures - 1,
                       "locked": 3000 - OTP.lockout_after_failures + 1}
    with pytest.raises(RateLimitedError):
        guard.otp_verify(ctx_of(uow, None, clock, "attacker"), otp, guard.OtpAttempt("subject-1", issued.reference, issued.code))
    # After the lock-out the spent code still does not verify.
    clock.advance(OTP.lockout + timedelta(seconds=1))
    with pytest.raises(InputError, match="tried 5 times"):
        guard.otp_verify(ctx_of(uow, None, clock, "attacker"), otp, guard.OtpAttempt("subject-1", issued.reference, issued.code))
    assert otp.checked == OTP.attempts_per_code
    events = [e.details["event"] for e in uow.fake_audit.rows if e.action == OTP_ACTION]
    assert events.count("issued") == 1 and events.count("locked") == 1
    assert events.count("failed") == OTP.lockout_after_failures + 1
    locked = next(e for e in uow.fake_audit.rows if e.details.get("event") == "locked")
    assert locked.details["until"] == (T0 + OTP.lockout).isoformat()
    # 2,990 refusals during the lock-out were not written anywhere.
    assert len(uow.fake_throttle.rows) <= OTP.lockout_after_failures + 4


def test_a_fresh_code_after_the_lockout_verifies_and_a_second_lockout_lasts_longer() -> None:
    uow = FakeUnitOfWork()
    clock = FixedClock(T0)
    otp = CountingOtp()
    first = guard.otp_issue(ctx_of(uow, None, clock, "a"), otp, "s")
    for n in range(1, OTP.lockout_after_failures + 1):
        expected = RateLimitedError if n == OTP.lockout_after_failures else InputError
        with pytest.raises(expected):
            guard.otp_verify(ctx_of(uow, None, clock, "a"), otp, guard.OtpAttempt("s", first.reference, _wrong(first.code)))
    clock.advance(OTP.lockout)
    second = guard.otp_issue(ctx_of(uow, None, clock, "a"), otp, "s")
    for _ in range(OTP.lockout_after_failures - 1):
        with pytest.raises(InputError):
            guard.otp_verify(ctx_of(uow, None, clock, "a"), otp, guard.OtpAttempt("s", second.reference, _wrong(second.code)))
    with pytest.raises(RateLimitedError) as again:
        guard.otp_verify(ctx_of(uow, None, clock, "a"), otp, guard.OtpAttempt("s", second.reference, _wrong(second.code)))
    assert again.value.until == clock.now() + OTP.lockout * OTP.lockout_growth
    clock.advance(OTP.lockout * OTP.lockout_growth)
    third = guard.otp_issue(ctx_of(uow, None, clock, "a"), otp, "s")
    guard.otp_verify(ctx_of(uow, None, clock, "a"), otp, guard.OtpAttempt("s", third.reference, third.code))


def test_codes_per_hour_are_limited_and_the_refusal_says_when() -> None:
    uow = FakeUnitOfWork()
    clock = FixedClock(T0)
    otp = CountingOtp()
    for _ in range(OTP.codes_per_window):
        guard.otp_issue(ctx_of(uow, None, clock, "a"), otp, "s")
        clock.advance(timedelta(minutes=5))
    with pytest.raises(RateLimitedError) as refused:
        guard.otp_issue(ctx_of(uow, None, clock, "a"), otp, "s")
    assert refused.value.until == T0 + OTP.window
    assert len(otp.issued) == OTP.codes_per_window  # nothing was sent
    clock.advance(OTP.window - timedelta(minutes=5 * OTP.codes_per_window) + timedelta(
        seconds=1))
    guard.otp_issue(ctx_of(uow, None, clock, "a"), otp, "s")


def test_api_key_failures_lock_the_client_out() -> None:
    uow = FakeUnitOfWork()
    clock = FixedClock(T0)
    keys = LIMITS.api_keys
    client = guard.client_digest(b"unit tests audit key, 32 bytes!!", "203.0.113.7")
    assert "203.0.113.7" not in client
    for _ in range(keys.failures_per_window - 1):
        guard.key_refused(uow, client, clock)
        guard.key_failed(uow, client, clock, LIMITS.api_keys)
    with pytest.raises(RateLimitedError) as locked:
        guard.key_failed(uow, client, clock, LIMITS.api_keys)
    assert locked.value.until == T0 + keys.lockout
    with pytest.raises(RateLimitedError):
        guard.key_refused(uow, client, clock)
    other = guard.client_digest(b"unit tests audit key, 32 bytes!!", "203.0.113.8")
    guard.key_refused(uow, other, clock)  # another client is not affected
    clock.advance(keys.lockout)
    guard.key_refused(uow, client, clock)
    assert [e.details["event"] for e in uow.fake_audit.rows] == ["locked"]


def test_a_limits_table_can_be_tightened() -> None:
    tight = replace(OTP, attempts_per_code=1, lockout_after_failures=2)
    uow = FakeUnitOfWork()
    clock = FixedClock(T0)
    otp = CountingOtp()
    issued = guard.otp_issue(ctx_of(uow, None, clock, "a", rules=_rules(tight)), otp, "s")
    with pytest.raises(InputError):
        guard.otp_verify(ctx_of(uow, None, clock, "a", rules=_rules(tight)), otp, guard.OtpAttempt("s", issued.reference, _wrong(issued.code)))
    with pytest.raises(RateLimitedError):
        guard.otp_verify(ctx_of(uow, None, clock, "a", rules=_rules(tight)), otp, guard.OtpAttempt("s", issued.reference, issued.code))
    assert otp.checked == 1

"""Guessing one-time codes and API keys, on SQLite and PostgreSQL.

The brute force of the report: 3,000 wrong codes for a subject request, then
the right one — it must not verify. Also: concurrent guesses cannot add up to
more checks than the limits allow, because every attempt is committed before
it is counted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from derbes.access.adapters.limits_yaml import load_identity_limits
from derbes.access.service import limits as guard
from derbes.delivery.ports import Couriers
from derbes.errors import DerbesError, InputError, RateLimitedError
from derbes.platform.clock import FixedClock
from derbes.platform.db import make_engine
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.platform.tables import audit_log, auth_throttle
from derbes.register.service import registers
from derbes.requests import service as svc
from derbes.requests.model import RequestState
from derbes.testing.delivery import RecordingMailer, RecordingSms
from derbes.testing.otp import FakeOtpService
from derbes.testing.vault import InMemoryKeyStore
from derbes.uow import UnitOfWork
from tests.context_support import make_context
from tests.integration.conftest import BACKENDS, _fresh_database
from tests.vault_support import minimal_register

AUDIT_KEY = b"limits tests audit key, 32 bytes"
OTP = load_identity_limits().otp
# The requests' keys (their sealed phone numbers) and the SMS the codes go out by.
KEYS = InMemoryKeyStore()
COURIERS = Couriers(RecordingSms(), RecordingMailer())
ACTOR = "api:attacker"


class CountingOtp(FakeOtpService):
    def __init__(self) -> None:
        super().__init__(10)
        self.checked = 0
        self._lock = threading.Lock()

    def verify(self, reference: str, code: str, subject_id: str, at: datetime) -> None:
        with self._lock:
            self.checked += 1
        super().verify(reference, code, subject_id, at)


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    for url in _fresh_database(request, tmp_path, migrated=True):
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def _uow(engine: Engine) -> UnitOfWork:
    return SqlUnitOfWork(engine, audit_key=AUDIT_KEY)


def _filed(engine: Engine, clock: FixedClock) -> str:
    registers.publish(_uow(engine), [minimal_register()], clock)
    filed = svc.file_request(make_context(_uow(engine), KEYS, clock=clock, actor="test"),
                             svc.NewRequest(
        operator_id="example-pay", type="access", identifiers={"phone": "+77015550101"},
        received_at=clock.now()))
    return filed.id


def _count(engine: Engine, statement: object) -> int:
    with engine.connect() as connection:
        return int(connection.execute(statement).scalar_one())  # type: ignore[call-overload]


def test_3000_wrong_codes_then_the_right_one_does_not_verify(engine: Engine) -> None:
    clock = FixedClock()
    request_id = _filed(engine, clock)
    otp = CountingOtp()
    issued = svc.issue_otp(make_context(_uow(engine), KEYS, clock=clock, actor=ACTOR), otp, COURIERS,
                  request_id)
    wrong = f"{(int(issued.code) + 1) % 10**6:06d}"
    answers = {"422": 0, "429": 0}
    for _ in range(3000):
        try:
            svc.verify_by_otp(make_context(_uow(engine), clock=clock, actor=ACTOR), otp, request_id,
                              issued.reference, wrong)
        except RateLimitedError:
            answers["429"] += 1
        except InputError:
            answers["422"] += 1
    with pytest.raises(RateLimitedError) as locked:
        svc.verify_by_otp(make_context(_uow(engine), clock=clock, actor=ACTOR), otp, request_id,
                          issued.reference, issued.code)
    assert locked.value.until == clock.now() + OTP.lockout
    assert svc.show(make_context(_uow(engine)), request_id).request.state is RequestState.RECEIVED
    assert otp.checked == OTP.attempts_per_code
    assert answers == {"422": OTP.lockout_after_failures - 1,
                       "429": 3000 - OTP.lockout_after_failures + 1}
    # In the audit log: the code issued, every failure, the lock-out with its end.
    with engine.connect() as connection:
        details = [row[0] for row in connection.execute(
            select(audit_log.c.details).where(audit_log.c.action == "identity.otp")
            .order_by(audit_log.c.seq))]
    assert sum('"event":"failed"' in d for d in details) == OTP.lockout_after_failures
    (lock,) = [d for d in details if '"event":"locked"' in d]
    assert (clock.now() + OTP.lockout).isoformat() in lock
    # The refusals while locked out wrote nothing.
    assert _count(engine, select(func.count()).select_from(auth_throttle)) <= \
        OTP.lockout_after_failures + 2
    # After the lock-out: the spent code stays spent, a new code verifies.
    clock.advance(OTP.lockout + timedelta(seconds=1))
    with pytest.raises(InputError):
        svc.verify_by_otp(make_context(_uow(engine), clock=clock, actor=ACTOR), otp, request_id,
                          issued.reference, issued.code)
    fresh = svc.issue_otp(make_context(_uow(engine), KEYS, clock=clock, actor=ACTOR), otp, COURIERS,
                  request_id)
    verified = svc.verify_by_otp(make_context(_uow(engine), clock=clock, actor=ACTOR), otp,
                                 request_id, fresh.reference, fresh.code)
    assert verified.state is RequestState.VERIFIED


def test_concurrent_guesses_are_checked_no_more_often_than_the_limits_allow(
    engine: Engine,
) -> None:
    clock = FixedClock()
    request_id = _filed(engine, clock)
    otp = CountingOtp()
    issued = svc.issue_otp(make_context(_uow(engine), KEYS, clock=clock, actor=ACTOR), otp, COURIERS,
                  request_id)
    wrong = f"{(int(issued.code) + 1) % 10**6:06d}"

    def guess(_: int) -> str:
        try:
            svc.verify_by_otp(make_context(_uow(engine), clock=clock, actor=ACTOR), otp, request_id,
                              issued.reference, wrong)
        except DerbesError as exc:
            return type(exc).__name__
        return "verified"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(guess, range(40)))
    assert "verified" not in outcomes
    assert set(outcomes) <= {"InputError", "RateLimitedError"}
    assert otp.checked <= OTP.attempts_per_code
    with pytest.raises(RateLimitedError):
        svc.verify_by_otp(make_context(_uow(engine), clock=clock, actor=ACTOR), otp, request_id,
                          issued.reference, issued.code)


def test_codes_per_hour_are_limited(engine: Engine) -> None:
    clock = FixedClock()
    request_id = _filed(engine, clock)
    otp = CountingOtp()
    for _ in range(OTP.codes_per_window):
        svc.issue_otp(make_context(_uow(engine), KEYS, clock=clock, actor=ACTOR), otp, COURIERS,
                  request_id)
    with pytest.raises(RateLimitedError) as refused:
        svc.issue_otp(make_context(_uow(engine), KEYS, clock=clock, actor=ACTOR), otp, COURIERS,
                  request_id)
    assert refused.value.until == clock.now() + OTP.window
    assert len(otp.issued) == OTP.codes_per_window


def test_api_key_failures_are_counted_per_client(engine: Engine) -> None:
    clock = FixedClock()
    limits = load_identity_limits().api_keys
    client = guard.client_digest(AUDIT_KEY, "198.51.100.23")
    for _ in range(limits.failures_per_window - 1):
        guard.key_failed(_uow(engine), client, clock, limits)
    with pytest.raises(RateLimitedError):
        guard.key_failed(_uow(engine), client, clock, limits)
    with pytest.raises(RateLimitedError):
        guard.key_refused(_uow(engine), client, clock)
    with engine.connect() as connection:
        keys = set(connection.execute(select(auth_throttle.c.key)).scalars())
    assert keys == {client} and "198.51.100.23" not in str(keys)

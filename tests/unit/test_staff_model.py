"""The staff model: TOTP against RFC 6238's vectors, passwords, lock-out, session timeouts, roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from derbes.access.model.limits import Attempt, Outcome
from derbes.errors import ConfigurationError, InputError
from derbes.staff.adapters.rules import load_staff_rules
from derbes.staff.model.people import parse_login
from derbes.staff.model.policy import (
    SessionEnd,
    failures_counted,
    lock_after,
    password_problem,
    policy_from_dict,
    session_end,
)
from derbes.staff.model.roles import Permission, Principal, refusal, roles_from_dict
from derbes.staff.model.totp import (
    TotpSettings,
    accepted_step,
    b32_secret,
    hotp,
    parse_code,
    provisioning_uri,
    totp,
)

RULES = load_staff_rules()
POLICY = RULES.policy
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

# RFC 6238 Appendix B: the seeds and the 8-digit codes at each time.
SEEDS = {"SHA1": b"12345678901234567890",
         "SHA256": b"12345678901234567890123456789012",
         "SHA512": b"1234567890" * 6 + b"1234"}
VECTORS = [
    (59, "SHA1", "94287082"), (59, "SHA256", "46119246"), (59, "SHA512", "90693936"),
    (1111111109, "SHA1", "07081804"), (1111111109, "SHA256", "68084774"),
    (1111111109, "SHA512", "25091201"), (1111111111, "SHA1", "14050471"),
    (1111111111, "SHA256", "67062674"), (1111111111, "SHA512", "99943326"),
    (1234567890, "SHA1", "89005924"), (1234567890, "SHA256", "91819424"),
    (1234567890, "SHA512", "93441116"), (2000000000, "SHA1", "69279037"),
    (2000000000, "SHA256", "90698825"), (2000000000, "SHA512", "38618901"),
    (20000000000, "SHA1", "65353130"), (20000000000, "SHA256", "77737706"),
    (20000000000, "SHA512", "47863826"),
]


@pytest.mark.parametrize(("unix", "algorithm", "expected"), VECTORS)
def test_totp_matches_rfc_6238_appendix_b(unix: int, algorithm: str, expected: str) -> None:
    settings = TotpSettings(8, 30, algorithm, 1, 20, "derbes")
    at = datetime.fromtimestamp(unix, tz=UTC)
    assert totp(SEEDS[algorithm], at, settings) == expected


def test_hotp_matches_rfc_4226_appendix_d() -> None:
    expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922",
                "162583", "399871", "520489"]
    assert [hotp(SEEDS["SHA1"], i, 6) for i in range(10)] == expected


def test_a_code_is_accepted_once_and_within_one_step_of_drift() -> None:
    s = POLICY.totp
    secret = b"k" * 20
    code = totp(secret, T0, s)
    step = accepted_step(secret, code, T0, s, None)
    assert step is not None
    # The same code again (replay) is refused, even within its step.
    assert accepted_step(secret, code, T0 + timedelta(seconds=5), s, step) is None
    # One step late is still fine; two steps late is not.
    assert accepted_step(secret, code, T0 + timedelta(seconds=s.step_seconds), s, None) == step
    assert accepted_step(secret, code, T0 + timedelta(seconds=3 * s.step_seconds), s,
                         None) is None


@given(st.binary(min_size=16, max_size=64), st.integers(min_value=0, max_value=2**37))
def test_the_code_of_now_is_always_accepted(secret: bytes, unix: int) -> None:
    at = datetime.fromtimestamp(unix, tz=UTC)
    code = totp(secret, at, POLICY.totp)
    assert len(code) == POLICY.totp.digits and code.isdigit()
    step = accepted_step(secret, code, at, POLICY.totp, None)
    # The step of now, or a neighbour that happens to give the same code.
    assert step is not None and abs(step - unix // 30) <= POLICY.totp.drift_steps
    assert hotp(secret, step, 6) == code


@given(st.text(max_size=20))
def test_parse_code_takes_only_the_digits_it_should(text: str) -> None:
    try:
        code = parse_code(text, 6)
    except InputError as exc:
        assert exc.field == "totp"
    else:
        assert len(code) == 6 and code.isascii() and code.isdigit()


@given(st.from_regex(r"\A[0-9]{3}[ -]?[0-9]{3}\Z"))
def test_parse_code_drops_a_space_or_dash_between_halves(text: str) -> None:
    assert parse_code(text, 6) == text.replace(" ", "").replace("-", "")


def test_provisioning_uri_carries_the_secret_and_settings() -> None:
    zeros = bytes(20)
    uri = provisioning_uri(zeros, "a.nurlanova@kassa24.kz", POLICY.totp)
    assert uri.startswith("otpauth://totp/derbes%3Aa.nurlanova%40kassa24.kz?")
    assert "secret=" + b32_secret(zeros) in uri and "digits=6" in uri


@pytest.mark.parametrize(("password", "problem"), [
    ("short", "at least 12"), ("            ", "empty"), ("x" * 200, "more than 128"),
    ("my-aigerim.k-password", "login"), ("aaaaaaaaaaaaaa", "repeat"),
])
def test_password_policy_refuses(password: str, problem: str) -> None:
    found = password_problem(POLICY.passwords, password, "aigerim.k")
    assert found is not None and problem in found


def test_password_policy_counts_kazakh_letters_as_one_each() -> None:
    assert password_problem(POLICY.passwords, "Қазақстан-әңгіме", "aigerim.k") is None


def _attempts(*outcomes: tuple[Outcome, int]) -> list[Attempt]:
    return [Attempt(i, o, T0 + timedelta(minutes=m)) for i, (o, m) in enumerate(outcomes)]


def test_lock_out_after_the_failures_of_the_data_file() -> None:
    limits = POLICY.signin
    n = limits.lockout_after_failures
    now = T0 + timedelta(minutes=n)
    records = _attempts(*[(Outcome.ATTEMPT, i) for i in range(n)])
    assert failures_counted(limits, records, now) == n
    assert lock_after(limits, n, now) == now + limits.lockout
    assert lock_after(limits, n - 1, now) is None
    # A success in between starts the count again.
    mixed = _attempts(*[(Outcome.ATTEMPT, i) for i in range(n - 1)], (Outcome.OK, n - 1))
    assert failures_counted(limits, mixed, now) == 0
    # Failures older than the window do not count.
    later = T0 + limits.window + timedelta(minutes=n + 1)
    assert failures_counted(limits, records, later) == 0


def test_session_ends_when_idle_or_too_old() -> None:
    rules = POLICY.sessions
    assert session_end(rules, T0, T0, T0 + rules.idle - timedelta(seconds=1)) is None
    assert session_end(rules, T0, T0, T0 + rules.idle) is SessionEnd.IDLE
    busy = T0 + rules.absolute - timedelta(minutes=1)
    assert session_end(rules, T0, busy, busy + timedelta(seconds=30)) is None
    assert session_end(rules, T0, busy, T0 + rules.absolute) is SessionEnd.ABSOLUTE


def test_roles_need_totp_as_the_data_file_says() -> None:
    book = RULES.roles
    assert book.needs_totp({"dpo"}) and book.needs_totp({"admin"})
    assert book.needs_totp({"security_officer"})
    assert not book.needs_totp({"auditor", "request_handler"})
    assert book.role("auditor").permissions == {Permission.STAFF_VIEW, Permission.AUDIT_READ,
                                                  Permission.ACTS_READ}


def test_a_role_at_one_operator_gives_nothing_at_another() -> None:
    dpo = Principal("staff:p1", person_id="p1", roles={"kassa24": frozenset({"dpo"})})
    book = RULES.roles
    assert refusal(dpo, book, Permission.STAFF_VIEW, "kassa24") is None
    assert refusal(dpo, book, Permission.STAFF_VIEW, "qiwi") == "no role at this operator"
    assert refusal(dpo, book, Permission.STAFF_MANAGE, "kassa24") is not None
    bound = Principal("api:x", service_admin=True, bound_to="kassa24")
    assert refusal(bound, book, Permission.STAFF_MANAGE, "qiwi") is not None
    assert refusal(bound, book, Permission.STAFF_MANAGE, "kassa24") is None


def test_malformed_role_tables_and_policies_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError):
        roles_from_dict({"version": 1, "permissions": {}, "roles": {}})
    with pytest.raises(ConfigurationError):
        policy_from_dict({"version": 2})


@given(st.text(max_size=120))
def test_parse_login_never_accepts_what_it_cannot_store(text: str) -> None:
    try:
        login = parse_login(text)
    except InputError:
        return
    assert login == login.lower() and 2 <= len(login) <= 100 and login.isascii()

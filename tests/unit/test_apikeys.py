"""Scopes and API keys (create, authenticate, authorise, revoke) on the fake unit of work."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta

import pytest

from derbes.access import service as apikeys
from derbes.access.model import Scope, allows, parse_scope, parse_scopes
from derbes.errors import AuthError, InputError, NotFoundError, UnauthenticatedError
from derbes.platform.clock import FixedClock
from derbes.testing.uow import FakeUnitOfWork


def test_admin_implies_every_scope() -> None:
    for scope in Scope:
        assert allows({Scope.ADMIN}, scope)


def test_other_scopes_imply_only_themselves() -> None:
    assert allows({Scope.READ}, Scope.READ)
    assert not allows({Scope.READ}, Scope.WRITE)
    assert not allows({Scope.WRITE, Scope.DESTROY}, Scope.READ)
    assert not allows({Scope.DESTROY}, Scope.ADMIN)
    assert not allows(set(), Scope.READ)


def test_parse_scopes() -> None:
    assert parse_scope(" Read ") is Scope.READ
    assert parse_scopes(["read", "write", "read"]) == {Scope.READ, Scope.WRITE}
    with pytest.raises(InputError, match="unknown scope 'owner'"):
        parse_scope("owner")
    with pytest.raises(InputError, match="at least one scope"):
        parse_scopes([])


def _published(clock: FixedClock) -> FakeUnitOfWork:
    from derbes.register.service import registers
    from tests.vault_support import minimal_register

    uow = FakeUnitOfWork()
    registers.publish(uow, [minimal_register()], clock)
    return uow


def test_create_returns_the_token_once_and_stores_only_a_hash(clock: FixedClock) -> None:
    uow = _published(clock)
    commits = uow.commits
    created = apikeys.create(uow, clock, name="  scoring  service ", scopes=["read", "write"],
                             operator_id="example-pay")
    match = re.fullmatch(r"dbk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})", created.token)
    assert match is not None
    key_id, secret = match.groups()
    stored = uow.fake_api_keys.rows[key_id]
    assert stored.name == "scoring service"
    assert stored.scopes == {Scope.READ, Scope.WRITE}
    assert stored.operator_id == "example-pay"
    assert stored.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(stored)
    assert uow.commits == commits + 1


def test_authenticate_returns_the_caller(clock: FixedClock) -> None:
    uow = FakeUnitOfWork()
    created = apikeys.create(uow, clock, name="svc", scopes=["read"])
    caller = apikeys.authenticate(uow, clock, created.token)
    assert caller == apikeys.Caller(name="svc", key_id=created.key.key_id,
                                    scopes=frozenset({Scope.READ}), operator_id=None,
                                    owner="service:svc")  # no owner given: the service named
    assert uow.fake_api_keys.rows[created.key.key_id].last_used_at == clock.now()


def test_last_use_is_recorded_at_most_once_a_minute(clock: FixedClock) -> None:
    uow = FakeUnitOfWork()
    created = apikeys.create(uow, clock, name="svc", scopes=["read"])
    apikeys.authenticate(uow, clock, created.token)
    first = uow.commits
    clock.advance(timedelta(seconds=30))
    apikeys.authenticate(uow, clock, created.token)
    assert uow.commits == first
    clock.advance(timedelta(seconds=30))
    apikeys.authenticate(uow, clock, created.token)
    assert uow.commits == first + 1


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # wrong secret
    lambda t: "dbk_" + "0" * 16 + t[20:],  # unknown key id
    lambda t: t.replace("dbk_", "xyz_"),  # not our format
    lambda t: t[:30],  # truncated
    lambda t: "",  # empty
])
def test_bad_tokens_are_unauthenticated_and_never_echoed(
    clock: FixedClock, mangle: Callable[[str], str]
) -> None:
    uow = FakeUnitOfWork()
    token = apikeys.create(uow, clock, name="svc", scopes=["read"]).token
    bad = mangle(token)
    with pytest.raises(UnauthenticatedError) as caught:
        apikeys.authenticate(uow, clock, bad)
    assert token[20:] not in caught.value.message
    if bad:
        assert bad not in caught.value.message


def test_no_token_is_unauthenticated(clock: FixedClock) -> None:
    with pytest.raises(UnauthenticatedError, match="required"):
        apikeys.authenticate(FakeUnitOfWork(), clock, None)


def test_a_revoked_key_is_refused_at_once(clock: FixedClock) -> None:
    uow = FakeUnitOfWork()
    created = apikeys.create(uow, clock, name="svc", scopes=["admin"])
    revoked = apikeys.revoke(uow, clock, created.key.key_id)
    assert revoked.revoked_at == clock.now()
    with pytest.raises(UnauthenticatedError, match="revoked"):
        apikeys.authenticate(uow, clock, created.token)
    clock.advance(timedelta(days=1))
    again = apikeys.revoke(uow, clock, created.key.key_id)
    assert again.revoked_at == revoked.revoked_at  # the first revocation stands
    with pytest.raises(NotFoundError):
        apikeys.revoke(uow, clock, "0" * 16)


def test_authorize_names_the_missing_scope() -> None:
    caller = apikeys.Caller(name="svc", key_id="k", scopes=frozenset({Scope.READ}))
    apikeys.authorize(caller, Scope.READ)
    with pytest.raises(AuthError, match="lacks the 'destroy' scope") as caught:
        apikeys.authorize(caller, Scope.DESTROY)
    assert not isinstance(caught.value, UnauthenticatedError)
    apikeys.authorize(apikeys.Caller("root", "k", frozenset({Scope.ADMIN})), Scope.DESTROY)


def test_create_refuses_bad_input(clock: FixedClock) -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(InputError, match="name"):
        apikeys.create(uow, clock, name="  ", scopes=["read"])
    with pytest.raises(InputError, match="unknown scope"):
        apikeys.create(uow, clock, name="svc", scopes=["everything"])
    assert uow.fake_api_keys.rows == {}


def test_list_keys_oldest_first(clock: FixedClock) -> None:
    uow = FakeUnitOfWork()
    first = apikeys.create(uow, clock, name="one", scopes=["read"])
    clock.advance(timedelta(minutes=1))
    second = apikeys.create(uow, clock, name="two", scopes=["write"])
    assert [k.key_id for k in apikeys.list_keys(uow)] == [first.key.key_id, second.key.key_id]


def test_a_key_is_bound_only_to_a_published_operator(clock: FixedClock) -> None:
    uow = _published(clock)
    with pytest.raises(NotFoundError) as refused:
        apikeys.create(uow, clock, name="svc", scopes=["read"], operator_id="no-such-operator")
    assert refused.value.field == "operator"
    assert uow.fake_api_keys.rows == {}


def test_a_key_with_a_term_stops_working_when_it_ends(clock: FixedClock) -> None:
    uow = FakeUnitOfWork()
    created = apikeys.create(uow, clock, name="svc", scopes=["read"], expires="90d")
    assert created.key.expires_at == clock.now() + timedelta(days=90)
    assert apikeys.authenticate(uow, clock, created.token).name == "svc"
    clock.advance(timedelta(days=90))
    with pytest.raises(UnauthenticatedError, match="expired"):
        apikeys.authenticate(uow, clock, created.token)


@pytest.mark.parametrize(("text", "days"), [("90d", 90), ("12w", 84), (" 1D ", 1)])
def test_expiry_as_a_number_of_days_or_weeks(text: str, days: int, clock: FixedClock) -> None:
    assert apikeys.parse_expires(text, clock.now()) == clock.now() + timedelta(days=days)


def test_expiry_as_a_date_or_an_instant(clock: FixedClock) -> None:
    from datetime import UTC, datetime

    assert apikeys.parse_expires("2027-01-31", clock.now()) == \
        datetime(2027, 1, 31, tzinfo=UTC)
    assert apikeys.parse_expires("2026-06-01T12:00:00+05:00", clock.now()) == \
        datetime(2026, 6, 1, 7, tzinfo=UTC)
    assert apikeys.parse_expires(None, clock.now()) is None


@pytest.mark.parametrize("text", ["yesterday", "2020-01-01", "0d", "2026-06-01T12:00:00",
                                  "99999999d", "2026-13-01"])
def test_a_bad_or_past_expiry_is_refused(text: str, clock: FixedClock) -> None:
    with pytest.raises(InputError) as refused:
        apikeys.parse_expires(text, clock.now())
    assert refused.value.field == "expires"

"""Consents migrated with their original times (``import_acts``) on SQLite and PostgreSQL:
the same rows as giving them one by one, bad acts rejected with reasons while every good
one is stored, a second run replays, and the ledger verifies afterwards."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from derbes.consent.model.consent import Evidence
from derbes.consent.model.ledger import ledger_key
from derbes.consent.service import consent as svc
from derbes.consent.service.importing import MigratedAct, import_acts
from derbes.errors import DerbesError, InputError
from derbes.platform.clock import FixedClock
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.platform.tables import consent_ledger, consents
from derbes.testing.context import make_context
from tests.consent_support import (
    ACTOR,
    IP,
    USER_AGENT,
    World,
    iin_born,
    marketing,
    processing,
    transfer,
)

AUDIT_KEY = b"integration audit key, 32 bytes!"
KEY = ledger_key(AUDIT_KEY)
GIVEN = datetime(2024, 3, 1, 5, 15, tzinfo=UTC)


@pytest.fixture
def world(engine: Engine, clock: FixedClock) -> World:
    return World(clock, uow=lambda: SqlUnitOfWork(engine, audit_key=AUDIT_KEY))


def _act(subject: str, key: str, *scopes: Any, at: datetime = GIVEN) -> MigratedAct:
    return MigratedAct(svc.ConsentRequest(
        subject_id=subject, scopes=list(scopes), channel="web_checkbox",
        evidence=Evidence(ip=IP, user_agent=USER_AGENT), idempotency_key=key), at)


def _import(world: World, acts: list[MigratedAct]) -> list[Any]:
    return import_acts(make_context(world.uow(), world.keys, world.clock, ACTOR), acts)


def _rows(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(
            select(consents.c.subject_id, consents.c.scope, consents.c.purposes, consents.c.given_at,
                   consents.c.channel, consents.c.idempotency_key)
            .order_by(consents.c.idempotency_key, consents.c.scope))]


def _verify(world: World) -> list[Any]:
    return list(svc.verify(world.uow(), KEY).breaks)


def test_imported_acts_keep_their_times_and_match_acts_given_one_by_one(
        world: World, engine: Engine, clock: FixedClock) -> None:
    subjects = [world.subject(), world.subject(iin="850203400561", phone="+77019876543")]
    acts = [_act(subjects[0], "crm-1", processing("customer_database"), marketing()),
            _act(subjects[1], "crm-2", transfer("credit_bureaus"),
                 at=GIVEN + timedelta(days=30))]
    results = _import(world, acts)
    assert all(not isinstance(r, DerbesError) and not r.replayed for r in results)
    imported = _rows(engine)
    assert [r[3] for r in imported] == [GIVEN, GIVEN, GIVEN + timedelta(days=30)]
    with engine.connect() as connection:
        ledger = connection.execute(select(consent_ledger.c.at).order_by(
            consent_ledger.c.seq)).scalars().all()
    assert sorted(ledger) == [GIVEN, GIVEN, GIVEN + timedelta(days=30)]
    assert _verify(world) == []
    # The same acts given one by one, on their days, store the same rows.
    with engine.begin() as connection:
        connection.execute(consents.update().values(idempotency_key=None))
    for act in acts:
        day = FixedClock(act.given_at)
        svc.give_consent(make_context(world.uow(), world.keys, day, ACTOR), None, act.request)
    one_by_one = [r for r in _rows(engine) if r[5] is not None]
    assert one_by_one == imported
    assert _verify(world) == []


def test_bad_acts_are_rejected_with_reasons_and_every_good_one_is_stored(
        world: World, engine: Engine, clock: FixedClock) -> None:
    subject = world.subject()
    acts = [_act(subject, "a", processing("customer_database")),
            _act(subject, "b", processing("no_such_purpose")),
            _act(subject, "c", marketing()),
            _act("no-such-subject", "d", marketing()),
            _act(subject, "e", marketing(), at=clock.now() + timedelta(days=1)),
            _act(subject, "f", transfer("credit_bureaus"))]
    results = _import(world, acts)
    failed = {i: r for i, r in enumerate(results) if isinstance(r, DerbesError)}
    assert sorted(failed) == [1, 3, 4]
    assert failed[1].field is not None and "no_such_purpose" in failed[1].message
    assert isinstance(failed[4], InputError) and failed[4].field == "given_at"
    assert sorted(r[5] for r in _rows(engine)) == ["a", "c", "f"]
    assert _verify(world) == []

    again = _import(world, acts)
    assert [isinstance(r, DerbesError) for r in again] == [
        False, True, False, True, True, False]
    assert all(r.replayed for r in again if not isinstance(r, DerbesError))
    assert sorted(r[5] for r in _rows(engine)) == ["a", "c", "f"]
    # A key reused for another request is a reject, not a second consent.
    clash = _import(world, [_act(subject, "a", marketing())])
    assert isinstance(clash[0], DerbesError) and clash[0].field == "idempotency_key"
    assert len(_rows(engine)) == 3 and _verify(world) == []


def test_an_act_without_idempotency_key_is_refused(world: World) -> None:
    subject = world.subject()
    act = MigratedAct(svc.ConsentRequest(subject_id=subject, scopes=[marketing()],
                                         channel="web_checkbox",
                                         evidence=Evidence(ip=IP, user_agent=USER_AGENT)),
                      GIVEN)
    with pytest.raises(InputError):
        _import(world, [act])


def test_the_age_is_judged_on_the_day_each_act_was_given(world: World, engine: Engine) -> None:
    # Born 1 Jan 2006: a minor in 2020 (Law 94-V Art. 8: a representative consents), of
    # age in 2025 — both acts in one batch, the birth date read once.
    subject = world.subject(iin=iin_born(date(2006, 1, 1)), phone="+77015550011")
    results = _import(world, [
        _act(subject, "young", marketing(), at=datetime(2020, 6, 1, tzinfo=UTC)),
        _act(subject, "adult", marketing(), at=datetime(2025, 6, 1, tzinfo=UTC))])
    assert isinstance(results[0], DerbesError) and results[0].field is not None
    assert "representative" in results[0].message
    assert not isinstance(results[1], DerbesError)
    assert [r[5] for r in _rows(engine)] == ["adult"]

"""give_batch: many acts of consent in one transaction, same checks as give_consent."""

from __future__ import annotations

from datetime import date

import pytest

from derbes.consent.model.consent import Evidence, Representative
from derbes.consent.model.ledger import ledger_key
from derbes.consent.service import consent as svc
from derbes.errors import ConflictError, LegalRestrictionError
from derbes.platform.clock import FixedClock
from derbes.testing.context import make_context
from tests.consent_support import (
    ACTOR,
    IP,
    REP_DOCUMENT,
    USER_AGENT,
    World,
    iin_born,
    marketing,
    processing,
    transfer,
)

KEY = ledger_key(b"derbes fake audit key, tests only")


@pytest.fixture
def world(clock: FixedClock) -> World:
    return World(clock)


def _request(subject: str, *scopes: object, key: str | None = None,
             **kw: object) -> svc.ConsentRequest:
    return svc.ConsentRequest(subject_id=subject, scopes=list(scopes),  # type: ignore[arg-type]
                              channel="web_checkbox",
                              evidence=Evidence(ip=IP, user_agent=USER_AGENT),
                              idempotency_key=key, **kw)  # type: ignore[arg-type]


def _give(world: World, requests: list[svc.ConsentRequest]) -> list[svc.GiveResult]:
    return svc.give_batch(make_context(world.uow(), world.keys, world.clock, ACTOR),
                          world.otp, requests)


def test_a_batch_records_every_act_chained_and_sealed(world: World) -> None:
    a, b = world.subject(), world.subject(iin_born(date(1985, 5, 5)), phone="+77012223344")
    results = _give(world, [_request(a, processing("statistics"), marketing(), key="k1"),
                            _request(b, transfer("credit_bureaus"), key="k2")])
    assert [len(r.consents) for r in results] == [2, 1]
    assert not any(r.replayed for r in results)
    assert all(c.evidence_sealed for r in results for c in r.consents)
    verification = svc.verify(world.uow(), KEY)
    assert verification.ok
    assert len(svc.ledger_of(world.uow(), a)) == 2 and len(svc.ledger_of(world.uow(), b)) == 1


def test_a_retried_key_returns_the_stored_act(world: World) -> None:
    a = world.subject()
    first = world.give(a, processing("statistics"), idempotency_key="again")
    request = _request(a, processing("statistics"), key="again")
    results = _give(world, [request, request, _request(a, marketing(), key="new")])
    assert results[0].replayed and results[0].act_id == first.act_id
    assert results[1].replayed and results[1].act_id == first.act_id
    assert not results[2].replayed
    assert len(svc.consents_of(make_context(world.uow(), None, world.clock, "test:dpo"),
                               a).consents) == 2


def test_a_key_repeated_inside_the_batch_is_recorded_once(world: World) -> None:
    a = world.subject()
    request = _request(a, processing("statistics"), key="twice")
    results = _give(world, [request, request])
    assert not results[0].replayed and results[1].replayed
    assert results[0].act_id == results[1].act_id
    assert len(svc.consents_of(make_context(world.uow(), None, world.clock, "test:dpo"),
                               a).consents) == 1


def test_a_failing_act_stores_nothing_of_the_batch(world: World) -> None:
    a = world.subject()
    world.give(a, processing("statistics"), idempotency_key="used")
    minor = world.subject(iin_born(date(2010, 4, 1)), phone="+77012223355")
    with pytest.raises(LegalRestrictionError):
        _give(world, [_request(a, marketing(), key="fresh"), _request(minor, marketing())])
    with pytest.raises(ConflictError):
        _give(world, [_request(a, marketing(), key="fresh"),
                      _request(a, marketing(), key="used")])
    assert len(svc.consents_of(make_context(world.uow(), None, world.clock, "test:dpo"),
                               a).consents) == 1
    assert svc.consents_of(make_context(world.uow(), None, world.clock, "test:dpo"),
                           minor).consents == ()
    rep = Representative(full_name="Тестов Ата", document_type="id_card",
                         document_number=REP_DOCUMENT)
    done = _give(world, [_request(minor, marketing(), given_by="representative",
                                  representative=rep)])
    assert done[0].consents[0].representative_sealed is not None
    assert svc.verify(world.uow(), KEY).ok

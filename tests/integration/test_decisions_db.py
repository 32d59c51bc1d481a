"""Decisions and the transfer log on real databases (and the fake unit of work).

States are loaded from what the other services really store: consents given
and withdrawn, blocks, destroyed categories, contracts opened and closed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from derbes.consent.model.consent import Scope, ScopeKind
from derbes.consent.service import consent as consent_service
from derbes.decisions.model import Action, ActionKind, Decision
from derbes.decisions.service import DecisionPoint
from derbes.errors import DecisionDeniedError, InputError, NotFoundError
from derbes.lifecycle import service as lifecycle
from derbes.platform.clock import FixedClock
from derbes.platform.db import make_engine
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.register.adapters.yaml import load_register
from derbes.register.service import registers
from derbes.testing.context import context as ctx_of
from derbes.testing.context import make_context
from derbes.testing.uow import FakeUnitOfWork
from derbes.testing.vault import InMemoryKeyStore
from derbes.transfers.service import TransferRequest, list_transfers, record_transfer
from derbes.uow import UnitOfWork
from derbes.vault.model import NewValue
from derbes.vault.service import subjects as vault_service
from tests.context_support import shipped_rules
from tests.integration.conftest import BACKENDS, _fresh_database
from tests.vault_support import EMAIL, FULL_NAME, IIN, IIN_B, PHONE, PHONE_B, prov

FIXTURE = Path(__file__).parents[1] / "fixtures" / "registers" / "decisions.yaml"
OPERATOR = "decide-pay"
ACTOR = "test:decisions"
AUDIT_KEY = b"decision tests audit key 32 bytes!"


@dataclass
class Env:
    uow: Callable[[], UnitOfWork]
    keys: InMemoryKeyStore
    clock: FixedClock

    def add(self, iin: str, phone: str) -> str:
        register = load_register(FIXTURE).register
        values = [
            NewValue("identity.full_name", FULL_NAME, prov()),
            NewValue("identity.iin", iin, prov("aml_identification")),
            NewValue("contact.phone", phone, prov("payment_service")),
            NewValue("contact.email", f"{iin}.{EMAIL}", prov("newsletters")),
        ]
        return vault_service.add_subject(ctx_of(self.uow(), self.keys, self.clock, ACTOR), register, values, {})

    def consent(self, subject_id: str, *scopes: Scope) -> list[str]:
        result = consent_service.give_consent(
            make_context(self.uow(), self.keys, self.clock, ACTOR),
            None, consent_service.ConsentRequest(subject_id=subject_id, scopes=list(scopes),
                                           channel="web_checkbox"))
        return [c.id for c in result.consents]

    def point(self) -> DecisionPoint:
        return DecisionPoint(self.uow, self.clock, shipped_rules().decisions, ttl=0)

    def decide(self, *actions: Action) -> list[Decision]:
        return self.point().decide(OPERATOR, list(actions))


@pytest.fixture(params=[pytest.param("fake", id="fake"), *BACKENDS])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    clock = FixedClock()
    keys = InMemoryKeyStore()
    if request.param == "fake":
        fake = FakeUnitOfWork()
        registers.publish(fake, [load_register(FIXTURE)], clock)
        yield Env(lambda: fake, keys, clock)
        return
    for url in _fresh_database(request, tmp_path, migrated=True):
        engine = make_engine(url)
        try:
            def uow() -> UnitOfWork:
                return SqlUnitOfWork(engine, audit_key=AUDIT_KEY)
            registers.publish(uow(), [load_register(FIXTURE)], clock)
            yield Env(uow, keys, clock)
        finally:
            engine.dispose()


def use(subject: str, purpose: str, *categories: str) -> Action:
    return Action(ActionKind.USE, subject, purpose, None, categories)


def codes(decision: Decision) -> list[str]:
    return [r.code.value for r in decision.reasons]


def test_states_follow_consents_blocks_and_destruction(env: Env) -> None:
    a = env.add(IIN, PHONE)
    b = env.add(IIN_B, PHONE_B)
    (processing,) = env.consent(a, Scope(ScopeKind.PROCESSING,
                                         purposes=("newsletters", "payment_service")))
    first = env.decide(use(a, "newsletters", "contact.email"),
                       use(b, "newsletters", "contact.email"),
                       use(b, "aml_identification", "identity.iin"),
                       use("no-such-subject", "aml_identification", "identity.iin"))
    assert [d.allowed for d in first] == [True, False, True, False]
    assert first[0].reasons[0].ref == processing
    assert codes(first[1]) == ["consent_absent"]
    assert codes(first[3]) == ["subject_unknown"]

    vault_service.block(ctx_of(env.uow(), None, env.clock, ACTOR), a, ["contact.email"], "claim of inaccuracy")
    (blocked,) = env.decide(use(a, "newsletters", "contact.email"))
    assert codes(blocked) == ["category_blocked"]
    vault_service.unblock(ctx_of(env.uow(), None, env.clock, ACTOR), a, None, "claim examined")
    assert env.decide(use(a, "newsletters", "contact.email"))[0].allowed

    vault_service.destroy_categories(ctx_of(env.uow(), env.keys, env.clock, ACTOR), a, ["contact.email"], "request")
    (gone,) = env.decide(use(a, "newsletters", "contact.email"))
    assert codes(gone) == ["category_destroyed"]
    assert env.decide(use(a, "payment_service", "contact.phone"))[0].allowed

    vault_service.block(ctx_of(env.uow(), None, env.clock, ACTOR), b, None, "claim")
    assert codes(env.decide(use(b, "aml_identification", "identity.iin"))[0]) == \
        ["subject_blocked"]
    vault_service.destroy_subject(ctx_of(env.uow(), env.keys, env.clock, ACTOR), b, "request")
    assert codes(env.decide(use(b, "aml_identification", "identity.iin"))[0]) == \
        ["subject_destroyed"]


def test_withdrawal_and_contracts(env: Env) -> None:
    a = env.add(IIN, PHONE)
    env.consent(a, Scope(ScopeKind.PROCESSING, purposes=("newsletters", "payment_service")))
    lifecycle.record_event(make_context(env.uow(), clock=env.clock, actor="lifecycle"), "ev-1", a,
                           "contract_opened", env.clock.now() - timedelta(days=1), contract_id="K1")
    env.clock.advance(timedelta(minutes=1))
    consent_service.withdraw_consent(make_context(env.uow(), None, env.clock, ACTOR),
                                     a, ScopeKind.PROCESSING)
    env.clock.advance(timedelta(minutes=1))
    newsletters, payments = env.decide(use(a, "newsletters", "contact.email"),
                                       use(a, "payment_service", "contact.phone"))
    assert codes(newsletters) == ["consent_withdrawn"]
    # A contract purpose whose consent is collected too lives on the open contract
    # (Law 94-V Art. 8 p.2): withdrawing that consent does not stop it.
    assert payments.allowed and codes(payments) == ["legal_basis"]
    state = env.point().states(OPERATOR, [a])[a]
    assert state.processing_withdrawn and state.open_contract
    # The contract purpose goes on while the contract is open (Art. 8 p.2)...
    (account,) = env.decide(use(a, "account_service", "contact.phone"))
    assert account.allowed and codes(account) == ["legal_basis"]
    lifecycle.record_event(make_context(env.uow(), clock=env.clock, actor="lifecycle"), "ev-2", a,
                           "contract_closed", env.clock.now(), contract_id="K1")
    state = env.point().states(OPERATOR, [a])[a]
    assert not state.open_contract
    # ...and stops once it is closed; the law-based purpose does not.
    account, aml, payments = env.decide(use(a, "account_service", "contact.phone"),
                                        use(a, "aml_identification", "identity.iin"),
                                        use(a, "payment_service", "contact.phone"))
    assert codes(account) == ["no_obligation"]
    assert aml.allowed
    assert set(codes(payments)) == {"consent_withdrawn", "no_obligation"}


def test_invalid_input_names_the_action(env: Env) -> None:
    a = env.add(IIN, PHONE)
    with pytest.raises(InputError) as caught:
        env.decide(use(a, "newsletters", "contact.email"), use(a, "nope", "contact.email"))
    assert caught.value.field == "actions[1].purpose"
    with pytest.raises(NotFoundError):
        env.point().decide("no-such-operator", [use(a, "newsletters", "contact.email")])


def test_transfer_is_recorded_only_when_allowed(env: Env) -> None:
    a = env.add(IIN, PHONE)
    b = env.add(IIN_B, PHONE_B)
    (purpose_consent,) = env.consent(a, Scope(ScopeKind.PROCESSING, purposes=("credit_check",)))
    request = TransferRequest(OPERATOR, "credit_bureau", "credit_check",
                              ("identity.iin",), (a,))
    with pytest.raises(DecisionDeniedError) as refused:
        record_transfer(make_context(env.uow(), clock=env.clock, actor=ACTOR), request)
    assert [r["code"] for r in refused.value.reasons] == ["transfer_not_consented"]
    assert list_transfers(make_context(env.uow()), a) == []

    (transfer_consent,) = env.consent(a, Scope(ScopeKind.THIRD_PARTY_TRANSFER,
                                               recipients=("credit_bureau",)))
    record = record_transfer(make_context(env.uow(), clock=env.clock, actor=ACTOR, request_id="req-1"),
                             request)
    assert record.basis_kind == "consent"
    assert record.consent_ids == {a: (purpose_consent, transfer_consent)}

    # Two subjects, one without consent: nothing is recorded for either.
    both = TransferRequest(OPERATOR, "credit_bureau", "credit_check", ("identity.iin",), (a, b))
    with pytest.raises(DecisionDeniedError) as refused:
        record_transfer(make_context(env.uow(), clock=env.clock, actor=ACTOR), both)
    assert {r["subject_id"] for r in refused.value.reasons} == {b}

    view = list_transfers(make_context(env.uow()), a)
    assert [t.id for t in view] == [record.id]
    assert view[0].recipient_id == "credit_bureau"
    assert view[0].categories == ("identity.iin",)
    assert list_transfers(make_context(env.uow()), b) == []
    with pytest.raises(NotFoundError):
        list_transfers(make_context(env.uow()), "no-such-subject")


def test_transfer_on_a_state_request_needs_the_request(env: Env) -> None:
    a = env.add(IIN, PHONE)
    bare = TransferRequest(OPERATOR, "police", "state_requests", ("identity.iin",), (a,))
    with pytest.raises(InputError) as caught:
        record_transfer(make_context(env.uow(), clock=env.clock, actor=ACTOR), bare)
    assert caught.value.field == "state_body"
    today = env.clock.now().date()
    full = TransferRequest(OPERATOR, "police", "state_requests", ("identity.iin",), (a,),
                           state_body="Police department of Almaty",
                           request_number="12-3/456", request_date=today,
                           law_citation="Code of Criminal Procedure Art. 122")
    record = record_transfer(make_context(env.uow(), clock=env.clock, actor=ACTOR), full)
    assert record.basis_kind == "state_request"
    assert record.consent_ids == {a: ()}
    (seen,) = list_transfers(make_context(env.uow()), a)
    assert (seen.state_body, seen.request_number, seen.request_date, seen.law_citation) == (
        "Police department of Almaty", "12-3/456", today,
        "Code of Criminal Procedure Art. 122")
    future = TransferRequest(OPERATOR, "police", "state_requests", ("identity.iin",), (a,),
                             state_body="x", request_number="1",
                             request_date=today + timedelta(days=2), law_citation="y")
    with pytest.raises(InputError):
        record_transfer(make_context(env.uow(), clock=env.clock, actor=ACTOR), future)
    assert isinstance(today, date)


def test_a_cached_state_is_dropped_when_the_change_feed_names_it(env: Env) -> None:
    a = env.add(IIN, PHONE)
    b = env.add(IIN_B, PHONE_B)
    env.consent(a, Scope(ScopeKind.PROCESSING, purposes=("newsletters",)))
    env.consent(b, Scope(ScopeKind.PROCESSING, purposes=("newsletters",)))
    point = DecisionPoint(env.uow, env.clock, shipped_rules().decisions, ttl=3600)  # only refresh() polls
    ask = [use(a, "newsletters", "contact.email"), use(b, "newsletters", "contact.email")]
    assert [d.allowed for d in point.decide(OPERATOR, ask)] == [True, True]
    consent_service.withdraw_consent(make_context(env.uow(), None, env.clock, ACTOR),
                                     a, ScopeKind.PROCESSING)
    vault_service.block(ctx_of(env.uow(), None, env.clock, ACTOR), b, None, "claim")
    assert [d.allowed for d in point.decide(OPERATOR, ask)] == [True, True]  # cached
    point.refresh()
    first, second = point.decide(OPERATOR, ask)
    assert codes(first) == ["consent_withdrawn"]
    assert codes(second) == ["subject_blocked"]
    lifecycle.record_event(make_context(env.uow(), clock=env.clock, actor="lifecycle"), "ev-9", a,
                           "contract_opened", env.clock.now(), contract_id="K9")
    point.refresh()
    assert point.states(OPERATOR, [a])[a].open_contract


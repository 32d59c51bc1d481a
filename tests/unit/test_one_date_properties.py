"""Property: over random histories, four answers give one end date per fact.

A QIWI customer (p.3.4.2: consent purposes, AML by law) lives through a random
history — contracts opened and closed, transactions, consents given and
withdrawn, purposes achieved — on the fake unit of work. Then the withdrawal
answer, the access answer, the decision point and the sweep's stored clocks
must name the same last day for every purpose they speak of, and the access
answer the same day per category as the sweep.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derbes.consent.model.consent import Scope, ScopeKind
from derbes.consent.service import consent as consent_svc
from derbes.decisions.model import Action, ActionKind
from derbes.decisions.service import DecisionPoint
from derbes.lifecycle import service as lifecycle
from derbes.platform.clock import FixedClock
from derbes.register.service import registers
from derbes.requests import service as requests_svc
from derbes.testing.context import context as ctx_of
from derbes.testing.context import make_context
from derbes.testing.uow import FakeUnitOfWork
from derbes.testing.vault import InMemoryKeyStore
from derbes.vault.service import subjects as vault
from tests.context_support import shipped_rules
from tests.retention_support import ACTOR, OPERATOR, qiwi, qiwi_values

LOADED = qiwi()
REGISTER = LOADED.register
CONSENT_PURPOSES = ("user_requests", "marketing_messages", "visitor_analytics",
                    "marketing_research", "chat_bot", "wallet_top_up")
START = date(2020, 1, 10)

Step = tuple[str, int]
steps = st.lists(st.tuples(
    st.sampled_from(["open", "close", "transaction", "withdraw", "consent", "achieve"]),
    st.integers(min_value=1, max_value=400)), max_size=7)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=UTC)


def _consent(uow: FakeUnitOfWork, keys: InMemoryKeyStore, clock: FixedClock, sid: str,
             purposes: tuple[str, ...]) -> None:
    consent_svc.give_consent(make_context(uow, keys, clock, ACTOR),
                             None, consent_svc.ConsentRequest(
        sid, [Scope(ScopeKind.PROCESSING, purposes)], "web_checkbox"))


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(consented=st.sets(st.sampled_from(CONSENT_PURPOSES), min_size=1),
       history=steps)
def test_four_answers_name_one_end_date(consented: set[str], history: list[Step]) -> None:
    uow, keys, clock = FakeUnitOfWork(), InMemoryKeyStore(), FixedClock(_at(START))
    registers.publish(uow, [LOADED], clock)
    sid = vault.add_subject(ctx_of(uow, keys, clock, ACTOR), REGISTER, qiwi_values(1, clock.now()), {})
    _consent(uow, keys, clock, sid, tuple(sorted(consented)))
    day, contract = START, 0
    for n, (kind, gap) in enumerate(history):
        day += timedelta(days=gap)
        clock.set(_at(day))
        if kind == "open" and contract % 2 == 0:
            contract += 1
            lifecycle.record_event(make_context(uow, clock=clock, actor="lifecycle"), f"e{n}", sid,
                                   "contract_opened", _at(day), f"K{contract}")
        elif kind == "close" and contract % 2 == 1:
            lifecycle.record_event(make_context(uow, clock=clock, actor="lifecycle"), f"e{n}", sid,
                                   "contract_closed", _at(day), f"K{contract}")
            contract += 1
        elif kind == "transaction":
            lifecycle.record_event(make_context(uow, clock=clock, actor="lifecycle"), f"e{n}", sid,
                                   "transaction", _at(day))
        elif kind == "withdraw":
            consent_svc.withdraw_consent(make_context(uow, None, clock, ACTOR), sid, "processing")
        elif kind == "consent":
            _consent(uow, keys, clock, sid, tuple(sorted(consented)))
        elif kind == "achieve":
            lifecycle.record_event(make_context(uow, clock=clock, actor="lifecycle"), f"e{n}", sid,
                                   "purpose_achieved", _at(day), data={"purpose": "user_requests"})
    clock.set(_at(day + timedelta(days=1)))

    # 1. The withdrawal answer.
    said = {o.purpose: o.until for o in
            consent_svc.withdraw_consent(make_context(uow, None, clock, ACTOR),
                                         sid, "processing").outcomes
            if o.recipient is None and o.until is not None}
    # 2. The access answer.
    ctx = make_context(uow, keys, clock=clock, actor=ACTOR)
    filed = requests_svc.file_request(ctx, requests_svc.NewRequest(
        operator_id=OPERATOR, type="access", subject_id=sid))
    requests_svc.verify_by_staff(ctx, filed.id, "ID 1", reason="the card was seen at the desk")
    answer = requests_svc.answer_access(ctx, filed.id).answer
    told = {p["id"]: p["clock"]["until"] for p in answer["purposes"]}
    kept = {c["id"]: c["keep_until"] for c in answer["categories"]}
    # 3. The sweep's clocks.
    with uow:
        swept = {c.purpose: c.end_date for c in uow.retention.purpose_clocks([sid])[sid]}
        categories = {c.category: c.keep_until for c in uow.retention.category_clocks(sid)}

    for purpose, until in said.items():
        assert swept[purpose] == until, purpose
    for purpose, until in told.items():
        swept_until = swept.get(purpose)
        assert (swept_until.isoformat() if swept_until else None) == until, purpose
    for category, until in kept.items():
        keep = categories[category]
        assert (keep.isoformat() if keep else None) == until, category

    # 4. The decision point: retention over the day after the last day, not before.
    point = DecisionPoint(lambda: uow, clock, shipped_rules().decisions, ttl=0)
    for purpose, end in swept.items():
        if end is None or not REGISTER.purposes[purpose].categories:
            continue
        use = Action(ActionKind.USE, sid, purpose, None,
                     (REGISTER.purposes[purpose].categories[0],))
        for on, expired in ((end, False), (end + timedelta(days=1), True)):
            clock.set(_at(on))
            codes = [r.code.value for r in point.decide(OPERATOR, [use])[0].reasons]
            assert ("retention_expired" in codes) is expired, (purpose, on, codes)

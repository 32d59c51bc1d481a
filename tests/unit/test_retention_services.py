"""The retention services on the fake unit of work and the in-memory key store."""

from __future__ import annotations

from datetime import date

from derbes.lifecycle import service as lifecycle
from derbes.platform.clock import FixedClock
from derbes.register.service import registers
from derbes.retention.service import sweep as svc
from derbes.retention.service.plan import due_summary
from derbes.testing.context import context as ctx_of
from derbes.testing.context import make_context
from derbes.testing.uow import FakeUnitOfWork
from derbes.testing.vault import InMemoryKeyStore
from derbes.vault.service import subjects as vault
from tests.retention_support import AML_KEPT, OPERATOR, at, consent_to_all, qiwi, qiwi_values


def test_the_fake_sweeps_like_the_database() -> None:
    uow, keys, clock = FakeUnitOfWork(), InMemoryKeyStore(), FixedClock(at(date(2020, 1, 10)))
    loaded = qiwi()
    registers.publish(uow, [loaded], clock)
    sid = vault.add_subject(ctx_of(uow, keys, clock, "test"), loaded.register, qiwi_values(1, clock.now()), {})
    consent_to_all(uow, keys, clock, sid)
    for n, (kind, day) in enumerate([("contract_opened", date(2020, 1, 10)),
                                     ("transaction", date(2020, 6, 1)),
                                     ("contract_closed", date(2021, 3, 1))]):
        clock.set(at(day))
        lifecycle.record_event(make_context(uow, clock=clock, actor="lifecycle"), f"e{n}", sid,
                               kind, at(day), "K1")

    clock.set(at(date(2024, 3, 2)))
    plan = svc.plan(make_context(uow, None, clock), OPERATOR, date(2024, 3, 2))
    assert plan.subjects == 1 and plan.pairs == 3
    report = svc.run(make_context(uow, keys, clock, "retention-sweep"),
                     OPERATOR, date(2024, 3, 2), batch_size=1)
    assert report.summary is not None and report.summary.subjects_partial == 1
    with uow:
        assert {v.category for v in uow.vault.values(sid)} == AML_KEPT
    assert svc.run(make_context(uow, keys, clock, "retention-sweep"),
                   OPERATOR, date(2024, 3, 2)).run is None

    clock.set(at(date(2025, 6, 2)))
    report = svc.run(make_context(uow, keys, clock, "retention-sweep"), OPERATOR, date(2025, 6, 2))
    assert report.summary is not None and report.summary.subjects_shredded == 1
    assert report.act_id is not None
    with uow:
        assert uow.vault.values(sid) == []
        subject = uow.vault.get(sid)
        assert subject is not None and subject.destroyed
    assert keys.keys_for([sid]) == {}
    assert [g.purpose for g in report.summary.groups] == ["aml_antifraud"]


def test_a_plan_rehearsed_ahead_gives_the_figures_of_the_run_on_that_day() -> None:
    # `retention plan --as-of` is the documented rehearsal of a future sweep: clocks are
    # a pure function of the events, so the figures are those of the run on that day.
    uow, keys, clock = FakeUnitOfWork(), InMemoryKeyStore(), FixedClock(at(date(2020, 1, 10)))
    loaded = qiwi()
    registers.publish(uow, [loaded], clock)
    for n, closed in enumerate([date(2021, 3, 1), date(2022, 7, 1), date(2024, 1, 9)]):
        clock.set(at(date(2020, 1, 10)))
        sid = vault.add_subject(ctx_of(uow, keys, clock, "test"), loaded.register, qiwi_values(n, clock.now()), {})
        consent_to_all(uow, keys, clock, sid)
        for m, (kind, day) in enumerate([("contract_opened", date(2020, 1, 10)),
                                         ("transaction", date(2020, 6, 1)),
                                         ("contract_closed", closed)]):
            clock.set(at(day))
            lifecycle.record_event(make_context(uow, clock=clock, actor="lifecycle"), f"e{n}-{m}",
                                   sid, kind, at(day), f"K{n}")
    clock.set(at(date(2024, 2, 1)))
    for day in (date(2025, 3, 2), date(2025, 7, 2), date(2027, 1, 10)):
        rehearsal = svc.plan(make_context(uow, None, clock), OPERATOR, day, months=2)
        # The Today page's summary counts what the plan counts, without the plan's lines.
        summary = due_summary(make_context(uow, None, clock), OPERATOR, day)
        assert (summary.pairs, summary.subjects, summary.this_month, summary.unfinished_run) == (
            rehearsal.pairs, rehearsal.subjects, rehearsal.histogram[0][1],
            rehearsal.unfinished_run)
        clock.set(at(day))
        report = svc.run(make_context(uow, keys, clock, "retention-sweep"), OPERATOR, day)
        if rehearsal.pairs == 0:
            assert report.run is None
            continue
        assert report.summary is not None
        assert report.summary.subjects == rehearsal.subjects
        assert sum(g.items for g in report.summary.groups) == rehearsal.pairs

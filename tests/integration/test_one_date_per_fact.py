"""One date per fact: the withdrawal answer, the destruction answer and the sweep agree.

QIWI (p.3.4.2 row 9; AML Law 191-IV Art. 11 p.4): AML data of a wallet
customer are kept 5 years after the last transaction — and, while the wallet
contract is open, the relationship goes on, so the term has not started. All
three answers must say the same for aml_antifraud, before and after the close.
(This test was red before the three copies of the clock rule became one:
the withdrawal answer said 2026-11-30 while the sweep kept the data running.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from derbes.consent.model.consent import Scope, ScopeKind
from derbes.consent.service import consent as consent_svc
from derbes.requests import model as rq
from derbes.requests.service import destruction
from derbes.testing.context import make_context
from tests.retention_support import ACTOR, RetentionEnv, at, open_env


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[RetentionEnv]:
    yield from open_env(db_url, tmp_path)


def _three_dates(env: RetentionEnv, sid: str, day: date) -> tuple[date | None, ...]:
    env.clock.set(at(day))
    withdrawal = consent_svc.withdraw_consent(make_context(env.uow(), None, env.clock, ACTOR),
                                              sid, "processing")
    said = {o.purpose: o.until for o in withdrawal.outcomes if o.recipient is None}
    kept = rq.keeping_purposes(env.register, destruction._terms(make_context(env.uow()), sid, env.register),
                               day)
    with env.uow() as uow:
        sweep = {c.purpose: c.end_date for c in uow.retention.purpose_clocks([sid])[sid]}
    return said["aml_antifraud"], kept["aml_antifraud"].until, sweep["aml_antifraud"]


def test_three_clocks_agree_before_and_after_the_close(env: RetentionEnv) -> None:
    sid = env.customer(date(2021, 3, 1), date(2021, 11, 30), None)
    consent_svc.give_consent(make_context(env.uow(), env.keys, env.clock, ACTOR),
                             None, consent_svc.ConsentRequest(
        sid, [Scope(ScopeKind.PROCESSING, ("user_requests",))],
        "web_checkbox"))
    assert _three_dates(env, sid, date(2022, 1, 10)) == (None, None, None)
    env.event(sid, "contract_closed", date(2022, 6, 1), f"c-{sid[:8]}")
    assert _three_dates(env, sid, date(2022, 6, 2)) == (date(2026, 11, 30),) * 3

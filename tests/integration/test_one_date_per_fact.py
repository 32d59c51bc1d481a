"""One date per fact: the withdrawal answer, the destruction answer and the sweep agree.

QIWI (p.3.4.2 row 9; AML Law 191-IV Art. 11 p.4): AML data of a wallet
customer are kept 5 years — counted, while the wallet contract is open, from
nothing yet. All three must say the same end date for aml_antifraud.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from derbes.domain.requests import retention_until
from derbes.services import consent as consent_svc
from derbes.services import requests as requests_svc
from tests.retention_support import ACTOR, RetentionEnv, at, open_env


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[RetentionEnv]:
    yield from open_env(db_url, tmp_path)


def test_three_clocks_agree_while_the_contract_is_open(env: RetentionEnv) -> None:
    sid = env.customer(date(2021, 3, 1), date(2021, 11, 30), None)
    consent_svc.give_consent(env.uow(), env.keys, None, consent_svc.ConsentRequest(
        sid, [consent_svc.Scope(consent_svc.ScopeKind.PROCESSING, ("user_requests",))],
        "web_checkbox"), ACTOR, env.clock)
    env.clock.set(at(date(2022, 1, 10)))
    withdrawal = consent_svc.withdraw_consent(env.uow(), sid, "processing", ACTOR, env.clock)
    said = {o.purpose: o.until for o in withdrawal.outcomes if o.recipient is None}
    purpose = env.register.purposes["aml_antifraud"]
    destruction = retention_until(purpose, requests_svc._known_dates(env.uow(), sid))
    with env.uow() as uow:
        sweep = {c.purpose: c.end_date for c in uow.retention.purpose_clocks([sid])[sid]}
    assert said["aml_antifraud"] == destruction == sweep["aml_antifraud"]

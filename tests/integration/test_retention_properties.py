"""Property: random event histories never make the sweep destroy a value still needed.

Histories of a few QIWI customers — contracts opened and closed, transactions,
consent withdrawn, legal holds set and released, time jumps each followed by a
sweep — are played against the engine on SQLite and PostgreSQL. After every
sweep each category that went must be allowed to go by an oracle written here
from the register alone: no active hold covers it, and every purpose that
needs it has ended (contract purposes: 3 or 5 years after the last contract
closed, none open; AML: 5 years after the last transaction, no contract open;
a consent purpose 3 or 5 years after the consent was withdrawn at the latest).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derbes.deadlines.model.periods import Period
from derbes.register.model.register import BasisKind, Register
from tests.retention_support import RetentionEnv, at, open_env

START = date(2020, 1, 1)
SUBJECTS = 3


@dataclass
class Model:
    """What the test knows about one customer, independently of the engine."""

    collected_for: set[str]
    contracts: dict[str, tuple[date, date | None]] = field(default_factory=dict)
    last_transaction: date | None = None
    holds: dict[str, tuple[frozenset[str] | None, date | None]] = field(default_factory=dict)
    withdrawn: date | None = None  # the last day every consent was withdrawn

    def open_contracts(self) -> bool:
        return any(closed is None for _opened, closed in self.contracts.values())

    def end_of(self, register: Register, purpose_id: str) -> date | None:
        """Last day the purpose keeps data; None: it keeps them still.

        A consent purpose cannot outlive its consent (Art. 8 p.2, p.7): once the
        consent is withdrawn its term counts from that day at the latest.
        """
        purpose = register.purposes[purpose_id]
        retention = purpose.retention
        if retention is None:
            return None
        start: date | None = None
        if not self.open_contracts():
            if retention.trigger.value == "transaction":
                start = self.last_transaction
            else:
                closes = [closed for _o, closed in self.contracts.values() if closed is not None]
                start = max(closes) if closes else None
        if purpose.basis.kind is BasisKind.CONSENT and self.withdrawn is not None:
            start = self.withdrawn if start is None else min(start, self.withdrawn)
        if start is None:
            return None
        return _add(retention.period, start)

    def may_destroy(self, register: Register, category: str, day: date) -> bool:
        for covered, until in self.holds.values():
            if (covered is None or category in covered) and (until is None or until >= day):
                return False
        for purpose in register.purposes.values():
            if category not in purpose.categories:
                continue
            if purpose.id not in self.collected_for and purpose.basis.kind is BasisKind.CONSENT:
                continue
            end = self.end_of(register, purpose.id)
            if end is None or end >= day:
                return False
        return True


def _add(period: Period, start: date) -> date:
    years = period.value if period.unit.value == "years" else 0
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


CATEGORIES = ["identity.full_name", "contact.phone", "contact.email", "aml.activity_details",
              "online.cookies", "marketing.interview_answers", "device.ip_address"]

step = st.one_of(
    st.tuples(st.just("open"), st.integers(0, SUBJECTS - 1), st.integers(0, 1)),
    st.tuples(st.just("close"), st.integers(0, SUBJECTS - 1), st.integers(0, 1)),
    st.tuples(st.just("txn"), st.integers(0, SUBJECTS - 1), st.just(0)),
    st.tuples(st.just("withdraw"), st.integers(0, SUBJECTS - 1), st.just(0)),
    st.tuples(st.just("hold"), st.integers(0, SUBJECTS - 1), st.integers(-1, 6),
              st.one_of(st.none(), st.integers(0, 2000))),
    st.tuples(st.just("release"), st.integers(0, SUBJECTS - 1), st.just(0)),
    st.tuples(st.just("jump"), st.integers(1, 1500), st.just(0)),
)


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[RetentionEnv]:
    yield from open_env(db_url, tmp_path, START)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=25))
def test_random_histories_never_destroy_a_needed_value(
    env: RetentionEnv, steps: list[tuple[object, ...]],
) -> None:
    register = env.register
    env.clock.set(at(max(START, env.clock.now().date())))
    day = env.clock.now().date()
    ids = [env.add() for _ in range(SUBJECTS)]
    collected = {"user_requests", "marketing_messages", "aml_antifraud", "visitor_analytics",
                 "marketing_research", "chat_bot"}
    models = [Model(set(collected)) for _ in ids]
    holds = 0
    for action in steps:
        kind = action[0]
        if kind == "jump":
            day += timedelta(days=int(str(action[1])))
            before = {sid: env.held(sid) for sid in ids}
            env.run(day)
            for sid, model in zip(ids, models, strict=True):
                gone = before[sid] - env.held(sid)
                for category in gone:
                    allowed = model.may_destroy(register, category, day)
                    assert allowed, (sid, category, day, model)
            continue
        n = int(str(action[1]))
        sid, model = ids[n], models[n]
        if kind in ("open", "close"):
            contract = f"k{action[2]}-{sid[:8]}"
            known = model.contracts.get(contract)
            if kind == "open" and known is None:
                env.event(sid, "contract_opened", day, contract)
                model.contracts[contract] = (day, None)
            elif kind == "close" and known is not None and known[1] is None:
                env.event(sid, "contract_closed", day, contract)
                model.contracts[contract] = (known[0], day)
        elif kind == "txn":
            env.event(sid, "transaction", day)
            model.last_transaction = day
        elif kind == "withdraw":
            env.event(sid, "consent_withdrawn", day)
            model.withdrawn = day
        elif kind == "hold":
            which = int(str(action[2]))
            covered = None if which < 0 else frozenset({CATEGORIES[which]})
            length = action[3]
            until = None if length is None else day + timedelta(days=int(str(length)))
            holds += 1
            hold_id = f"hold-{holds}-{sid}"
            data: dict[str, object] = {"basis": "court ruling 1/2020", "set_by": "legal"}
            if covered is not None:
                data["categories"] = sorted(covered)
            if until is not None:
                data["until"] = until.isoformat()
            env.event(sid, "legal_hold_set", day, data=data, event_id=hold_id)
            model.holds[hold_id] = (covered, until)
        elif kind == "release" and model.holds:
            hold_id = sorted(model.holds)[-1]
            env.event(sid, "legal_hold_released", day,
                      data={"hold_id": hold_id, "released_by": "legal"})
            del model.holds[hold_id]

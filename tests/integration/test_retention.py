"""The retention engine on SQLite and PostgreSQL: QIWI time travel, holds, idempotency."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from derbes.decisions.model import Action, ActionKind, ReasonCode
from derbes.decisions.service import DecisionPoint
from derbes.errors import ConflictError, InputError, NotFoundError
from tests.context_support import shipped_rules
from tests.retention_support import (
    AML_KEPT,
    ROOT,
    THREE_YEAR_ONLY,
    RetentionEnv,
    at,
    open_env,
)


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[RetentionEnv]:
    yield from open_env(db_url, tmp_path)


ALL = THREE_YEAR_ONLY | AML_KEPT


def test_qiwi_time_travel_destroys_the_right_data_at_the_right_time(env: RetentionEnv) -> None:
    # Contract closed 1 Mar 2021: the Civil Code purposes keep their data 3 years
    # (to 1 Mar 2024); the last transaction was 1 Jun 2020, so the AML purpose
    # keeps its categories 5 years (to 1 Jun 2025).
    closed = env.customer(date(2020, 1, 10), date(2020, 6, 1), date(2021, 3, 1))
    still_open = env.customer(date(2020, 1, 10), date(2020, 6, 1), None)
    assert env.held(closed) == ALL

    assert env.run(date(2024, 3, 1)).run is None  # the last day of the 3 years: kept
    assert env.held(closed) == ALL

    # Past their end the purposes are denied before any sweep has run.
    env.clock.set(at(date(2024, 3, 2)))
    point = DecisionPoint(env.uow, env.clock, shipped_rules().decisions, ttl=0)
    expired, kept = point.decide("qiwi-kz", [
        Action(ActionKind.USE, closed, "chat_bot", None, ("device.ip_address",)),
        Action(ActionKind.USE, closed, "aml_antifraud", None, ("contact.phone",)),
    ])
    assert not expired.allowed and ReasonCode.RETENTION_EXPIRED in expired.codes
    assert ReasonCode.RETENTION_EXPIRED not in kept.codes

    plan = env.plan(date(2024, 3, 2))
    assert plan.subjects == 1
    assert {line.category for line in plan.lines} == THREE_YEAR_ONLY
    assert {line.citation for line in plan.lines} == {
        "Civil Code of the Republic of Kazakhstan No. 268-XIII of 27 Dec 1994, Art. 178 p.1"}

    report = env.run(date(2024, 3, 2))
    assert report.run is not None and report.summary is not None
    assert report.summary.subjects_partial == 1 and report.summary.subjects_shredded == 0
    assert env.held(closed) == AML_KEPT  # AML data stay, re-sealed under a new key
    assert env.has_key(closed) and not env.destroyed(closed)
    view = env.read(closed, "aml_antifraud")
    assert {v.category for v in view.values} == AML_KEPT
    assert env.held(still_open) == ALL  # an open contract keeps everything

    assert env.run(date(2024, 3, 2)).run is None  # a second run that day does nothing
    assert env.run(date(2025, 6, 1)).run is None  # AML's last day

    report = env.run(date(2025, 6, 2))
    assert report.summary is not None and report.summary.subjects_shredded == 1
    assert env.held(closed) == set()
    assert env.destroyed(closed) and not env.has_key(closed)
    assert env.held(still_open) == ALL
    (group,) = report.summary.groups
    assert group.purpose == "aml_antifraud"
    assert group.citation == "AML Law No. 191-IV of 28 Aug 2009, Art. 11 p.4"


def test_a_hold_stops_destruction_until_released(env: RetentionEnv) -> None:
    sid = env.customer(date(2020, 1, 10), date(2020, 6, 1), date(2021, 3, 1))
    env.event(sid, "legal_hold_set", date(2023, 1, 1), event_id="hold-1",
              data={"basis": "Court ruling No. 2-123/2023", "set_by": "legal department",
                    "kind": "court_decision"})
    assert env.plan(date(2026, 1, 1)).subjects == 0
    assert env.run(date(2026, 1, 1)).run is None
    assert env.held(sid) == ALL
    env.event(sid, "legal_hold_released", date(2026, 2, 1),
              data={"hold_id": "hold-1", "released_by": "legal department"})
    report = env.run(date(2026, 2, 2))
    assert report.summary is not None and report.summary.subjects_shredded == 1
    assert env.held(sid) == set()


def test_a_hold_with_an_end_keeps_data_to_its_end(env: RetentionEnv) -> None:
    sid = env.customer(date(2020, 1, 10), date(2020, 6, 1), date(2021, 3, 1))
    env.event(sid, "legal_hold_set", date(2023, 1, 1),
              data={"basis": "AML investigation 77/2023", "set_by": "compliance officer",
                    "kind": "aml_investigation", "until": "2024-12-31",
                    "categories": ["device.ip_address"]})
    env.run(date(2024, 3, 2))
    assert env.held(sid) == AML_KEPT | {"device.ip_address"}
    env.run(date(2025, 1, 1))
    assert env.held(sid) == AML_KEPT


def test_bad_events_are_refused_and_change_nothing(env: RetentionEnv) -> None:
    sid = env.customer(date(2020, 1, 10), date(2020, 6, 1), None)
    with pytest.raises(InputError, match="basis"):
        env.event(sid, "legal_hold_set", date(2021, 1, 1), event_id="h",
                  data={"set_by": "legal"})
    with pytest.raises(NotFoundError):
        env.event(sid, "legal_hold_released", date(2021, 1, 1),
                  data={"hold_id": "h", "released_by": "legal"})
    with pytest.raises(NotFoundError, match="contract"):
        env.event(sid, "transaction", date(2021, 1, 1), contract_id="no-such-contract")
    with pytest.raises(NotFoundError):
        env.event("00000000-0000-0000-0000-000000000000", "transaction", date(2021, 1, 1))
    env.event(sid, "contract_closed", date(2021, 2, 1), contract_id=f"c-{sid[:8]}")
    with pytest.raises(ConflictError):
        env.event(sid, "contract_closed", date(2021, 2, 2), contract_id=f"c-{sid[:8]}")


def _sweep_entries(env: RetentionEnv) -> list[tuple[str, ...]]:
    with env.uow() as uow:
        return [tuple(e.subject_ids) for e in uow.audit.entries()
                if e.details.get("operation") == "retention_sweep"]


def test_a_run_killed_mid_way_resumes_without_doing_anything_twice(
    env: RetentionEnv,
) -> None:
    full = [env.customer(date(2015, 1, 10), date(2015, 6, 1), date(2016, 1, 1))
            for _ in range(12)]
    partial = [env.customer(date(2021, 1, 10), date(2021, 6, 1), date(2022, 1, 1))
               for _ in range(12)]
    kept = env.customer(date(2021, 1, 10), date(2021, 6, 1), None)
    as_of = date(2025, 6, 2)
    env.clock.set(at(as_of))
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.retention_worker", env.url, env.key_url,
         as_of.isoformat(), "5"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "RETENTION_TEST_KEK": env.kek.hex()})
    with worker:
        assert worker.stdout is not None
        line = worker.stdout.readline()
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=60)
    assert line.startswith("progress 5 24"), line
    assert worker.returncode == -signal.SIGKILL

    with env.uow() as uow:
        unfinished = uow.retention.unfinished_run("qiwi-kz")
    assert unfinished is not None and unfinished.subjects_done == 5
    assert len(_sweep_entries(env)) >= 1

    report = env.run(as_of)
    assert report.resumed and report.run is not None
    assert report.run.id == unfinished.id and report.run.subjects_done == 24
    assert report.summary is not None
    assert report.summary.subjects_shredded == 12 and report.summary.subjects_partial == 12
    assert report.act_id is not None
    for sid in full:
        assert env.held(sid) == set() and env.destroyed(sid) and not env.has_key(sid)
    for sid in partial:
        assert env.held(sid) == AML_KEPT
        assert {v.category for v in env.read(sid, "aml_antifraud").values} == AML_KEPT
    assert env.held(kept) == ALL
    # Every subject was destroyed by exactly one batch.
    touched = [sid for entry in _sweep_entries(env) for sid in entry]
    assert sorted(touched) == sorted(full + partial)
    assert env.run(as_of).run is None  # and a further run finds nothing

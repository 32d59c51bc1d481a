"""From signals to candidate incidents over HTTP: a revoked person's old session used
again is refused, recorded in the access audit log, and opens a candidate at each
operator whose access was taken away; a bulk read in the vault opens one too. The
security officer confirms or dismisses each with a reason, audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from derbes.incidents import service as incidents
from derbes.incidents.model import State, Transition, Trigger
from derbes.staff import service as staff
from tests.api_world import World, make_world
from tests.load_support import OPERATOR, subject_body
from tests.staff_support import add, sign_in


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = make_world(tmp_path)
    yield built
    built.close()


def test_a_revoked_persons_old_cookie_is_audited_and_opens_a_candidate(world: World) -> None:
    container = world.container
    leaver = add(world, "leaver@express.kz", (OPERATOR, "auditor"), ("kassa24", "auditor"),
                 enrol=False)
    stays = add(world, "stays@express.kz", ("kassa24", "auditor"), enrol=False)
    old_browser, _ = sign_in(world, leaver)
    other_browser, _ = sign_in(world, stays)
    assert old_browser.get("/staff/session").status_code == 200
    staff.revoke(container.context("cli:security"), leaver.login, OPERATOR)
    # The leaver's role at this operator is gone: the old cookie is refused, recorded.
    refused = old_browser.get("/staff/session")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert other_browser.get("/staff/session").status_code == 200
    with container.uow() as uow:
        tried = [e for e in uow.audit.entries() if e.action == "staff.revoked_access"]
    assert [(e.actor, e.details["operator_ids"], e.details["reason"]) for e in tried] == [
        (f"staff:{leaver.id}", [OPERATOR], "role revoked")]
    assert "leaver@express.kz" not in repr([e.details for e in tried])

    ctx = container.context("cli:security")
    (candidate,) = incidents.detect(ctx, OPERATOR)
    assert candidate.trigger is Trigger.REVOKED_ACCESS and candidate.state is State.CANDIDATE
    assert incidents.detect(container.context("cli:security"), "kassa24") == []
    assert incidents.detect(container.context("cli:security"), OPERATOR) == []
    confirmed = incidents.move(container.context("cli:security"), candidate.id,
                               Transition.CONFIRM, reason="The leaver tried after leaving")
    assert confirmed.state is State.OPEN
    with container.uow() as uow:
        entry = [e for e in uow.audit.entries() if e.action == "incident.confirm"][-1]
    assert entry.details["reason"] == "The leaver tried after leaving"


def test_a_disabled_persons_session_is_audited_at_every_operator_they_held(
        world: World) -> None:
    container = world.container
    leaver = add(world, "gone@express.kz", (OPERATOR, "auditor"), ("kassa24", "auditor"),
                 enrol=False)
    browser, _ = sign_in(world, leaver)
    staff.revoke(container.context("cli:security"), leaver.login)
    assert browser.get("/staff/session").status_code == 401
    assert browser.get("/staff/session").status_code == 401
    with container.uow() as uow:
        tried = [e for e in uow.audit.entries() if e.action == "staff.revoked_access"]
    assert len(tried) == 2
    assert all(e.details["operator_ids"] == ["express-avans", "kassa24"] for e in tried)
    for operator in (OPERATOR, "kassa24"):
        (candidate,) = incidents.detect(container.context("cli:security"), operator)
        assert candidate.trigger is Trigger.REVOKED_ACCESS


def test_a_bulk_read_in_the_vault_opens_a_candidate(world: World) -> None:
    client = world.client()
    limit = min(r.max_subjects for r in world.container.rules.alerts.bulk_reads
                if "subject.read" in r.actions)
    ids = []
    for n in range(1, limit + 2):
        created = client.post("/v1/subjects", json=subject_body(n))
        assert created.status_code == 201, created.text
        ids.append(created.json()["subject_id"])
    for subject_id in ids:
        read = client.get(f"/v1/subjects/{subject_id}", params={"purpose": "loan_contract"})
        assert read.status_code == 200, read.text
    opened = incidents.detect(world.container.context("cli:security"), OPERATOR)
    assert [i.trigger for i in opened] == [Trigger.BULK_READ]
    dismissed = incidents.move(world.container.context("cli:security"), opened[0].id,
                               Transition.DISMISS, reason="A planned reconciliation")
    assert dismissed.dismiss_reason == "A planned reconciliation"


def test_a_broken_log_found_over_http_opens_a_candidate_at_every_operator(
        world: World, tmp_path: Path) -> None:
    import sqlite3

    client = world.client()
    assert client.post("/v1/subjects", json=subject_body(1)).status_code == 201
    intact = client.get("/v1/audit/verify").json()
    assert intact["ok"] and intact["candidate_incidents"] == []
    connection = sqlite3.connect(tmp_path / "derbes.sqlite3")
    try:
        connection.execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = 1")
        connection.commit()
    finally:
        connection.close()
    broken = client.get("/v1/audit/verify").json()
    assert not broken["ok"]
    with world.container.uow() as uow:
        operators = sorted({r.operator_id for r in uow.registers.list()})
    opened = [incidents.get(world.container.context("cli:t"), i)
              for i in broken["candidate_incidents"]]
    assert sorted(i.operator_id for i in opened) == operators
    assert {(i.trigger, i.state) for i in opened} == {(Trigger.CHAIN_BREAK, State.CANDIDATE)}
    assert client.get("/v1/audit/verify").json()["candidate_incidents"] == []

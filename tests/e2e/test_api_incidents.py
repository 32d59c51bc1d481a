"""``/v1/incidents`` over HTTP: the life of an incident, refusals as problems naming the
field, and who may do it (key scopes, then the person's roles at the operator)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from derbes.access import service as apikeys
from tests.api_world import World, make_world
from tests.staff_support import add

OPERATOR = "express-avans"
BODY = {"operator": OPERATOR, "detected_at": "2026-01-05T08:00:00+05:00",
        "source": "staff_report", "summary": "A laptop with an export was stolen",
        "categories": ["identity.iin"], "subject_count": 40}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = make_world(tmp_path)
    yield built
    built.close()


def _client(world: World, token: str) -> TestClient:
    return TestClient(world.app, raise_server_exceptions=False,
                      headers={"Authorization": f"Bearer {token}"})


def _key(world: World, scopes: list[str], owner: str | None = None,
         operator: str | None = None) -> str:
    c = world.container
    return apikeys.create(c.uow(), c.clock, name=f"k{len(scopes)}{owner}{operator}",
                          scopes=scopes, owner=owner, operator_id=operator).token


def _problem(answer: Any, status: int, field: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert field in str(answer.json()["field"]), answer.json()


def test_an_incident_is_opened_moved_through_its_states_and_closed(world: World) -> None:
    api = world.client()
    opened = api.post("/v1/incidents", json=BODY)
    assert opened.status_code == 201, opened.text
    incident = opened.json()
    assert opened.headers["location"] == f"/v1/incidents/{incident['id']}"
    assert incident["state"] == "open" and incident["allowed"] == ["notify", "contain"]
    # Detected Monday 5 January 2026 08:00 Almaty: one working day, to the end of Tuesday.
    assert incident["clock"]["due_at"].startswith("2026-01-07T00:00:00+05:00")
    assert "Art. 25" in incident["clock"]["citation"]
    path = f"/v1/incidents/{incident['id']}"

    _problem(api.post(f"{path}/transitions", json={"move": "close", "lessons": "x"}),
             409, "state")
    assert api.post(f"{path}/transitions", json={"move": "notify"}).json()["state"] == "notified"
    _problem(api.post(f"{path}/transitions", json={"move": "notify"}), 409, "state")
    assert api.post(f"{path}/transitions", json={"move": "contain"}).status_code == 200
    _problem(api.post(f"{path}/transitions", json={"move": "close", "lessons": "Encrypt"}),
             422, "measures_taken")
    changed = api.patch(path, json={"measures_taken": "Passwords reset", "severity": "high"})
    assert changed.status_code == 200 and changed.json()["severity"] == "high"
    _problem(api.post(f"{path}/transitions", json={"move": "close"}), 422, "lessons")
    closed = api.post(f"{path}/transitions", json={"move": "close", "lessons": "Encrypt"})
    assert closed.json()["state"] == "closed" and closed.json()["allowed"] == []

    shown = api.get(path).json()
    assert [e["kind"] for e in shown["timeline"]] == ["open", "notify", "contain", "update",
                                                      "close"]
    assert shown["timeline"][3]["details"]["fields"] == ["severity", "measures_taken"]
    listed = api.get("/v1/incidents", params={"operator": OPERATOR, "state": "closed"})
    assert [i["id"] for i in listed.json()] == [incident["id"]]
    assert api.get("/v1/incidents", params={"state": "open"}).json() == []


def test_bad_input_is_a_problem_naming_its_field_and_nothing_is_stored(world: World) -> None:
    api = world.client()
    _problem(api.post("/v1/incidents", json={**BODY, "detected_at": "2026-02-01T00:00+05:00"}),
             422, "detected_at")
    _problem(api.post("/v1/incidents", json={**BODY, "detected_at": "2026-01-05T08:00"}),
             422, "detected_at")
    _problem(api.post("/v1/incidents", json={**BODY, "source": "rumour"}), 422, "source")
    _problem(api.post("/v1/incidents", json={**BODY, "subject_ids": ["no-such"]}),
             422, "subject_ids")
    _problem(api.post("/v1/incidents", json={**BODY, "operator": "nobody"}), 404, "operator")
    _problem(api.post("/v1/incidents", json={k: v for k, v in BODY.items()
                                             if k != "summary"}), 422, "summary")
    assert api.get("/v1/incidents").json() == []
    _problem(api.get("/v1/incidents/0123"), 404, "incident_id")
    opened = api.post("/v1/incidents", json=BODY).json()
    _problem(api.post(f"/v1/incidents/{opened['id']}/transitions",
                      json={"move": "dismiss", "reason": "planned"}), 409, "state")
    _problem(api.patch(f"/v1/incidents/{opened['id']}", json={}), 422, "changes")
    assert api.get(f"/v1/incidents/{opened['id']}").json()["state"] == "open"


def test_a_staff_key_acts_with_its_persons_roles_and_a_bound_key_sees_its_operator(
        world: World) -> None:
    officer = add(world, "sec@express.kz", (OPERATOR, "security_officer"), enrol=False)
    handler = add(world, "req@express.kz", (OPERATOR, "request_handler"), enrol=False)
    as_officer = _client(world, _key(world, ["write", "read"], f"staff:{officer.id}"))
    as_handler = _client(world, _key(world, ["admin"], f"staff:{handler.id}"))
    opened = as_officer.post("/v1/incidents", json=BODY)
    assert opened.status_code == 201, opened.text
    assert opened.json()["created_by"] == f"staff:{officer.id}"
    path = f"/v1/incidents/{opened.json()['id']}"
    # An admin-scoped key of a person without incidents.* at the operator is refused.
    _problem(as_handler.get(path), 403, "operator")
    _problem(as_handler.post("/v1/incidents", json=BODY), 403, "operator")
    # A read-only key cannot change, whoever owns it.
    reader = _client(world, _key(world, ["read"], f"staff:{officer.id}"))
    assert reader.get(path).status_code == 200
    assert reader.post(f"{path}/transitions", json={"move": "notify"}).status_code == 403
    # A service key without admin carries no incidents permission.
    service = _client(world, _key(world, ["read", "write"]))
    _problem(service.get(path), 403, "operator")
    # A key bound to another operator does not see it at all.
    other = _client(world, _key(world, ["admin"], operator="kassa24"))
    _problem(other.get(path), 404, "incident_id")
    assert other.get("/v1/incidents").json() == []
    _problem(other.get("/v1/incidents", params={"operator": OPERATOR}), 404, "operator")
    with world.container.uow() as uow:
        denied = [e for e in uow.audit.entries() if e.action == "staff.denied"]
    assert {e.actor for e in denied} >= {f"staff:{handler.id}"}


def test_the_notice_to_the_body_says_every_fact_and_invents_none(world: World) -> None:
    api = world.client()
    opened = api.post("/v1/incidents", json={**BODY, "measures_taken": "Passwords reset"})
    path = f"/v1/incidents/{opened.json()['id']}/notice"
    ru = api.get(path, params={"lang": "ru"})
    assert ru.status_code == 200 and ru.headers["content-type"] == "application/json"
    data = ru.json()
    assert data["detected_at"] == "2026-01-05 08:00" and data["subjects"] == 40
    # Express Аванс's policy states no BIN and no responsible person: not stated, not made up.
    assert data["operator"] and data["bin"] is None and data["responsible"] is None
    assert data["contact"] is None
    assert data["measures_taken"] == "Passwords reset" and data["planned_measures"] is None
    assert "Art. 25" in data["basis"]
    kk = api.get(path, params={"lang": "kk", "format": "html"}).text
    assert "көрсетілмеген" in kk and "Дербес деректер қауіпсіздігінің" in kk
    pdf = api.get(path, params={"lang": "kk", "format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    _problem(api.get(path, params={"lang": "de"}), 422, "lang")
    _problem(api.get("/v1/incidents/nope/notice"), 404, "incident_id")


def test_the_notice_takes_bin_and_responsible_person_from_the_register(world: World) -> None:
    api = world.client()
    opened = api.post("/v1/incidents", json={**BODY, "operator": "kassa24"})
    data = api.get(f"/v1/incidents/{opened.json()['id']}/notice",
                   params={"lang": "kk"}).json()
    assert data["bin"] == "130940014692"
    assert data["responsible"].startswith("Дербес деректерді қорғауды ұйымдастыруға")
    assert data["contact"] is None  # the policy names no e-mail or phone of that person

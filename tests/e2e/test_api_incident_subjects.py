"""``/v1/incidents/{id}/lists`` and ``/subject-notifications`` over HTTP: only a person
with incidents.export opens the sealed list, each subject is notified once in their
language, bad input is a problem naming its field, and no problem carries a subject's
value. Also the "done when" clock: Friday evening before Nauryz, over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from derbes.access import service as apikeys
from derbes.delivery.ports import Couriers
from derbes.platform.clock import FixedClock
from derbes.testing.delivery import RecordingMailer, RecordingSms
from tests.api_world import World, make_world
from tests.load_support import OPERATOR, adult_iin, subject_body
from tests.staff_support import add


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = make_world(tmp_path)
    yield built
    built.close()


def _as(world: World, person_id: str) -> TestClient:
    c = world.container
    token = apikeys.create(c.uow(), c.clock, name=f"key {person_id}", scopes=["read", "write"],
                           owner=f"staff:{person_id}").token
    return TestClient(world.app, raise_server_exceptions=False,
                      headers={"Authorization": f"Bearer {token}"})


def _problem(answer: Any, status: int, field: str, seen: list[str]) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert field in str(answer.json()["field"]), answer.json()
    seen.append(answer.text)


def test_the_list_opens_for_export_only_and_subjects_are_notified_once(world: World) -> None:
    sms = RecordingSms()
    world.container.__dict__["couriers"] = Couriers(sms, RecordingMailer())
    admin = world.client()
    subjects = []
    for n in (1, 2):
        created = admin.post("/v1/subjects", json=subject_body(n))
        assert created.status_code == 201, created.text
        subjects.append(created.json()["subject_id"])
    # The first subject wrote to the operator in Kazakh: that is their language.
    filed = admin.post("/v1/requests", json={"operator": OPERATOR, "type": "access",
                                             "language": "kk",
                                             "identifiers": {"iin": adult_iin(1)}})
    assert filed.status_code == 201, filed.text
    dpo = _as(world, add(world, "dpo@express.kz", (OPERATOR, "dpo")).id)
    officer = _as(world, add(world, "sec@express.kz", (OPERATOR, "security_officer")).id)
    opened = officer.post("/v1/incidents", json={
        "operator": OPERATOR, "detected_at": "2026-01-05T08:00:00+05:00",
        "source": "processor_report", "summary": "A backup bucket was public",
        "categories": ["identity.iin"], "subject_ids": subjects,
        "measures_taken": "Bucket closed"})
    assert opened.status_code == 201, opened.text
    path = f"/v1/incidents/{opened.json()['id']}"
    problems: list[str] = []

    # The security officer manages incidents but may not see the list.
    _problem(officer.post(f"{path}/lists"), 403, "operator", problems)
    sealed = dpo.post(f"{path}/lists")
    assert sealed.status_code == 201, sealed.text
    list_id = sealed.json()["id"]
    assert sealed.json()["subjects"] == 2
    assert [x["id"] for x in officer.get(f"{path}/lists").json()] == [list_id]
    _problem(officer.get(f"{path}/lists/{list_id}"), 403, "operator", problems)
    _problem(dpo.get(f"{path}/lists/nope"), 404, "export_id", problems)
    got = dpo.get(f"{path}/lists/{list_id}")
    assert got.status_code == 200 and got.headers["cache-control"] == "no-store"
    rows = {r["subject_id"]: r for r in got.json()}
    assert rows[subjects[0]]["iin"] == adult_iin(1)
    assert rows[subjects[1]]["name"] == "Тестов Сәкен №2"

    _problem(officer.post(f"{path}/subject-notifications",
                          json={"subject_ids": [subjects[0], "nope"]}), 422, "subject_ids",
             problems)
    _problem(officer.post(f"{path}/subject-notifications", json={"language": "de"}), 422,
             "language", problems)
    done = officer.post(f"{path}/subject-notifications", json={"language": "ru"})
    assert done.status_code == 200, done.text
    languages = {n["subject_id"]: (n["language"], n["channel"], n["outcome"])
                 for n in done.json()["notified"]}
    assert languages == {subjects[0]: ("kk", "sms", "sent"), subjects[1]: ("ru", "sms", "sent")}
    texts = {s.phone: s.text for s in sms.sent}
    assert "Сіздің дербес деректеріңізді" in texts["+77010000001"]
    assert "нарушение защиты ваших персональных данных" in texts["+77010000002"]
    _problem(officer.post(f"{path}/subject-notifications", json={}), 409, "subject_ids",
             problems)
    assert len(sms.sent) == 2
    listed = officer.get(f"{path}/subject-notifications").json()
    assert sorted(n["subject_id"] for n in listed) == sorted(subjects)
    assert all(n["delivery_id"] for n in listed)

    # Problems, incident rows and the timeline carry no subject's value.
    shown = officer.get(path).text
    for n in (1, 2):
        for value in (adult_iin(n), f"Тестов Сәкен №{n}", f"+7701{n:07d}", f"7701{n:07d}"):
            assert all(value not in p for p in problems) and value not in shown
    with world.container.uow() as uow:
        opened_lists = [e for e in uow.audit.entries() if e.action == "incident.list_opened"]
        dump = json.dumps([dict(e.details) for e in uow.audit.entries()], ensure_ascii=False)
    assert len(opened_lists) == 1 and sorted(opened_lists[0].subject_ids) == sorted(subjects)
    assert adult_iin(1) not in dump and "Тестов" not in dump


def test_friday_evening_before_nauryz_is_due_after_the_holidays_over_http(
        world: World) -> None:
    clock = world.container.clock
    assert isinstance(clock, FixedClock)
    clock.current = datetime(2026, 3, 20, 14, 30, tzinfo=UTC)  # Fri 19:30 in Almaty
    opened = world.client().post("/v1/incidents", json={
        "operator": OPERATOR, "detected_at": "2026-03-20T19:00:00+05:00",
        "source": "staff_report", "summary": "A laptop with an export was stolen"})
    assert opened.status_code == 201, opened.text
    due = opened.json()["clock"]
    # 21-23 March Nauryz, 24-25 March days off by decree: the one working day is Thu 26.
    assert datetime.fromisoformat(due["due_at"]) == datetime.fromisoformat(
        "2026-03-27T00:00:00+05:00")
    assert due["state"] == "running" and "Art. 25 p.2 sp.8" in due["citation"]
    for bad, field in (({"detected_at": None}, "detected_at"),
                       ({"detected_at": "2026-03-21T10:00:00+05:00"}, "detected_at")):
        body = {"operator": OPERATOR, "source": "staff_report", "summary": "x", **bad}
        if body["detected_at"] is None:
            del body["detected_at"]
        answer = world.client().post("/v1/incidents", json=body)
        assert answer.status_code == 422, answer.text
        assert field in str(answer.json()["field"])
    assert len(world.client().get("/v1/incidents").json()) == 1


def test_evidence_is_attached_listed_and_opened_over_http(world: World) -> None:
    officer = _as(world, add(world, "sec@express.kz", (OPERATOR, "security_officer")).id)
    opened = officer.post("/v1/incidents", json={
        "operator": OPERATOR, "detected_at": "2026-01-05T08:00:00+05:00",
        "source": "staff_report", "summary": "An export was mailed outside"})
    path = f"/v1/incidents/{opened.json()['id']}/evidence"
    content = f"iin;phone\n{adult_iin(3)};+77010000003\n".encode()
    problems: list[str] = []
    _problem(officer.post(path, params={"name": "x.exe"}, content=content,
                          headers={"Content-Type": "application/x-msdownload"}),
             422, "media_type", problems)
    _problem(officer.post(path, params={"name": "empty.csv"}, content=b"",
                          headers={"Content-Type": "text/csv"}), 422, "file", problems)
    _problem(officer.post(path, content=content, headers={"Content-Type": "text/csv"}),
             422, "name", problems)
    added = officer.post(path, params={"name": "leak sample.csv"}, content=content,
                         headers={"Content-Type": "text/csv; charset=utf-8"})
    assert added.status_code == 201, added.text
    item = added.json()
    assert item["name"] == "evidence-1.csv" and item["size"] == len(content)
    assert [e["id"] for e in officer.get(path).json()] == [item["id"]]
    got = officer.get(f"{path}/{item['id']}")
    assert got.status_code == 200 and got.content == content
    assert got.headers["cache-control"] == "no-store"
    assert got.headers["content-disposition"] == 'attachment; filename="evidence-1.csv"'
    _problem(officer.get(f"{path}/nope"), 404, "evidence_id", problems)
    assert all(adult_iin(3) not in p for p in problems)
    timeline = officer.get(f"/v1/incidents/{opened.json()['id']}").json()["timeline"]
    assert [e["kind"] for e in timeline][-2:] == ["evidence", "evidence_opened"]

"""The incident pages of the console: a form with mistakes comes back with each next to
its field and nothing stored; open → notice (ru/kk PDF and JSON) → notified → closed; a
candidate confirmed or dismissed with a reason; the Today page shows the clock and its
citation; each refusal changes nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from derbes.incidents import service as incidents
from derbes.incidents.model import Source, State
from tests.api_world import World, make_world
from tests.console_support import OPERATOR, console_sign_in, csrf_of
from tests.staff_support import add


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = make_world(tmp_path_factory.mktemp("console-incidents"))
    yield built
    built.close()


def _stored(world: World) -> list[str]:
    ctx = world.container.context("test:reader")
    return [i.id for i in incidents.listing(ctx, OPERATOR, (), 500)]


def _local(world: World, hours_ago: float) -> str:
    """A detection time as the form's datetime-local field sends it (Almaty time)."""
    from zoneinfo import ZoneInfo

    at = world.container.clock.now() - timedelta(hours=hours_ago)
    return at.astimezone(ZoneInfo("Asia/Almaty")).strftime("%Y-%m-%dT%H:%M")


def test_a_form_with_mistakes_shows_each_next_to_its_field_and_stores_nothing(
        world: World) -> None:
    dpo = add(world, "dpo.incident.form@kassa24.kz", (OPERATOR, "dpo"))
    browser = console_sign_in(world, dpo, lang="en")
    page = browser.get(f"/console/{OPERATOR}/incidents")
    assert page.status_code == 200
    before = _stored(world)
    answer = browser.post(f"/console/{OPERATOR}/incidents", data={
        "csrf_token": csrf_of(page.text), "detected_at": "2999-01-01T10:00",
        "source": "staff_report", "severity": "high", "summary": "   ",
        "subject_count": "many", "measures_taken": "Server isolated"})
    assert answer.status_code == 422
    for field in ("detected_at", "summary", "subject_count"):
        assert f'id="{field}-error"' in answer.text, field
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', answer.text), field
    assert 'id="source-error"' not in answer.text
    assert "Say what happened. (" in answer.text  # the hint, then the service's own words
    assert "Server isolated" in answer.text  # what was typed is kept
    assert _stored(world) == before
    ancient = browser.post(f"/console/{OPERATOR}/incidents", data={
        "csrf_token": csrf_of(page.text), "detected_at": "0001-01-01T00:00",
        "source": "alert", "severity": "low", "summary": "x"})
    assert ancient.status_code == 422 and 'id="detected_at-error"' in ancient.text
    # No text (NUL: PostgreSQL refuses it) is refused before anything is stored.
    nul = browser.post(f"/console/{OPERATOR}/incidents", data={
        "csrf_token": csrf_of(page.text), "detected_at": _local(world, 1),
        "source": "alert", "severity": "low", "summary": "a\x00b"})
    assert nul.status_code == 422, nul.text[:300]
    assert _stored(world) == before


def test_open_notify_close_with_the_notice_in_russian_and_kazakh(world: World) -> None:
    dpo = add(world, "dpo.incident.flow@kassa24.kz", (OPERATOR, "dpo"))
    browser = console_sign_in(world, dpo, lang="kk")
    csrf = csrf_of(browser.get(f"/console/{OPERATOR}/incidents").text)
    opened = browser.post(f"/console/{OPERATOR}/incidents", data={
        "csrf_token": csrf, "detected_at": _local(world, 2), "source": "processor_report",
        "severity": "critical", "summary": "Процессор сообщил о выгрузке базы клиентов",
        "categories": "identity.iin, contact.phone", "systems": "CRM",
        "subject_count": "1200"}, follow_redirects=False)
    assert opened.status_code == 303, opened.text[:500]
    path = opened.headers["location"].split("?")[0]
    incident_id = path.rsplit("/", 1)[1]
    page = browser.get(path)
    assert page.status_code == 200
    assert "Law No. 94-V Art. 25" in page.text  # the term's citation
    today = browser.get(f"/console/{OPERATOR}/today")
    assert incident_id[:8] in today.text and "Law No. 94-V Art. 25" in today.text
    form = {"csrf_token": csrf, "severity": "critical",
            "summary": "Процессор сообщил о выгрузке базы клиентов",
            "categories": "identity.iin, contact.phone", "systems": "CRM, backup",
            "subject_count": "1200"}
    same = browser.post(f"{path}/update", data={**form, "systems": "CRM"})
    assert same.status_code == 422 and 'id="changes-error"' in same.text
    changed = browser.post(f"{path}/update", data=form, follow_redirects=False)
    assert changed.status_code == 303
    ctx = world.container.context("test:reader")
    assert incidents.show(ctx, incident_id).events[-1].details["fields"] == ["systems"]
    for lang in ("ru", "kk"):
        pdf = browser.get(f"{path}/notice?format=pdf&lang={lang}")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert "attachment" in pdf.headers["content-disposition"]
        notice = json.loads(browser.get(f"{path}/notice?format=json&lang={lang}").content)
        assert notice["subjects"] == 1200 and notice["lang"] == lang
    done = browser.post(f"{path}/move", data={"csrf_token": csrf, "move": "notify"},
                        follow_redirects=False)
    assert done.status_code == 303
    again = browser.post(f"{path}/move", data={"csrf_token": csrf, "move": "notify"})
    assert again.status_code == 409
    contained = browser.post(f"{path}/move", data={"csrf_token": csrf, "move": "contain"},
                             follow_redirects=False)
    assert contained.status_code == 303
    refused = browser.post(f"{path}/move", data={
        "csrf_token": csrf, "move": "close", "measures_taken": "Доступ процессора закрыт",
        "lessons": " "})
    assert refused.status_code == 422
    assert 'id="lessons-error"' in refused.text
    assert "Доступ процессора закрыт" in refused.text
    kept = incidents.get(ctx, incident_id)
    assert kept.state is State.CONTAINED and kept.measures_taken == "Доступ процессора закрыт"
    closed = browser.post(f"{path}/move", data={
        "csrf_token": csrf, "move": "close", "measures_taken": "Доступ процессора закрыт",
        "lessons": "Проверять выгрузки процессора еженедельно"}, follow_redirects=False)
    assert closed.status_code == 303
    assert incidents.get(ctx, incident_id).state is State.CLOSED
    kinds = [e.kind for e in incidents.show(ctx, incident_id).events]
    assert kinds[0] == "open" and "notify" in kinds and kinds[-1] == "close"


def test_a_candidate_is_dismissed_only_with_a_reason(world: World) -> None:
    dpo = add(world, "dpo.incident.candidate@kassa24.kz", (OPERATOR, "dpo"))
    ctx = world.container.context("test:detector")
    candidate = incidents.open_incident(ctx, incidents.NewIncident(
        OPERATOR, world.container.clock.now() - timedelta(hours=1), Source.ALERT,
        "Bulk read by api:probe", state=State.CANDIDATE))
    browser = console_sign_in(world, dpo, lang="ru")
    path = f"/console/{OPERATOR}/incidents/{candidate.id}"
    csrf = csrf_of(browser.get(path).text)
    empty = browser.post(f"{path}/move", data={"csrf_token": csrf, "move": "dismiss",
                                               "reason": ""})
    assert empty.status_code == 422 and 'id="reason-error"' in empty.text
    assert incidents.get(ctx, candidate.id).state is State.CANDIDATE
    done = browser.post(f"{path}/move", data={"csrf_token": csrf, "move": "dismiss",
                                              "reason": "Плановая выгрузка для отчёта"},
                        follow_redirects=False)
    assert done.status_code == 303
    assert incidents.get(ctx, candidate.id).dismiss_reason == "Плановая выгрузка для отчёта"


def test_a_request_handler_sees_no_incident(world: World) -> None:
    handler = add(world, "handler.incident@kassa24.kz", (OPERATOR, "request_handler"),
                  enrol=False)
    browser = console_sign_in(world, handler, lang="en")
    assert browser.get(f"/console/{OPERATOR}/incidents").status_code == 403
    today = browser.get(f"/console/{OPERATOR}/today")
    assert today.status_code == 200 and "open-incidents" not in today.text


def test_a_candidate_is_confirmed_and_another_operators_incident_is_not_there(
        world: World) -> None:
    dpo = add(world, "dpo.two.operators@kassa24.kz", (OPERATOR, "dpo"), ("qiwi-kz", "dpo"))
    ctx = world.container.context("test:detector")
    mine = incidents.open_incident(ctx, incidents.NewIncident(
        OPERATOR, world.container.clock.now() - timedelta(hours=2), Source.ALERT,
        "Refused access by a revoked person", state=State.CANDIDATE))
    theirs = incidents.open_incident(ctx, incidents.NewIncident(
        "qiwi-kz", world.container.clock.now() - timedelta(hours=2), Source.STAFF_REPORT,
        "Lost laptop"))
    browser = console_sign_in(world, dpo, lang="en")
    csrf = csrf_of(browser.get(f"/console/{OPERATOR}/incidents").text)
    confirmed = browser.post(f"/console/{OPERATOR}/incidents/{mine.id}/move",
                             data={"csrf_token": csrf, "move": "confirm"},
                             follow_redirects=False)
    assert confirmed.status_code == 303
    assert incidents.get(ctx, mine.id).state is State.OPEN
    # The path names kassa24: qiwi-kz's incident is not found there, and stays as it was.
    base = f"/console/{OPERATOR}/incidents/{theirs.id}"
    assert browser.get(base).status_code == 404
    assert browser.get(f"{base}/notice?format=json").status_code == 404
    moved = browser.post(f"{base}/move", data={"csrf_token": csrf, "move": "notify"})
    assert moved.status_code == 404
    assert incidents.get(ctx, theirs.id).notified_at is None

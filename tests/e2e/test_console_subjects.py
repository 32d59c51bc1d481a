"""The Subjects, Consents, Audit, Registers and Retention pages through a browser without
JavaScript (TestClient): look-up by a posted identifier, masked values, a reveal with a
reason (and without one), consents with the withdrawal answer previewed, the audit log
filtered and paged with its chains verified, the register's lint and notice, the plan's
chart and acts; and no identifier in clear in a URL, a log or a page that reveals nothing."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator

import pytest
from pypdf import PdfReader

from tests.api_world import World, make_world
from tests.console_support import audit_actions, console_sign_in, csrf_of, save_page
from tests.load_support import OPERATOR, adult_iin, consent_body, subject_body
from tests.staff_support import add

N = 7
IIN = adult_iin(N)
PHONE = f"+7701{N:07d}"
MADE: dict[str, str] = {}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = make_world(tmp_path_factory.mktemp("console-subjects"))
    api = built.client()
    made = api.post("/v1/subjects", json=subject_body(N))
    assert made.status_code == 201, made.text
    MADE["subject"] = made.json()["subject_id"]
    given = api.post("/v1/consents", json=consent_body(MADE["subject"], N))
    assert given.status_code in (200, 201), given.text
    yield built
    built.close()



def _subject_id(world: World) -> str:
    return MADE["subject"]


def test_look_up_reveal_with_a_reason_and_consents(world: World,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    handler = add(world, "handler.subjects@express-avans.kz", (OPERATOR, "request_handler"))
    browser = console_sign_in(world, handler, lang="ru")
    form = browser.get(f"/console/{OPERATOR}/subjects")
    assert form.status_code == 200 and "Найти субъекта" in form.text
    token = csrf_of(form.text)
    pages = [form.text]
    urls: list[str] = []
    browser.event_hooks["request"].append(lambda r: urls.append(str(r.url)))

    found = browser.post(f"/console/{OPERATOR}/subjects/find",
                         data={"csrf_token": token, "kind": "iin", "value": IIN})
    assert found.status_code == 200
    subject_id = _subject_id(world)
    assert f"/subjects/{subject_id}" in found.text
    by_phone = browser.post(f"/console/{OPERATOR}/subjects/find",
                            data={"csrf_token": token, "kind": "phone", "value": PHONE})
    assert f"/subjects/{subject_id}" in by_phone.text
    bad = browser.post(f"/console/{OPERATOR}/subjects/find",
                       data={"csrf_token": token, "kind": "iin", "value": "123"})
    assert bad.status_code == 422 and "12" in bad.text
    pages += [found.text, by_phone.text, bad.text]

    page = browser.get(f"/console/{OPERATOR}/subjects/{subject_id}")
    assert page.status_code == 200
    assert "identity.iin" in page.text and "••••••" in page.text
    assert "Раскрыть" in page.text
    pages.append(page.text)
    save_page("subject.html", page.text)

    # An empty reason: refused, and nothing is read.
    reads = sum(1 for _, a, _ in audit_actions(world) if a == "subject.read")
    empty = browser.post(f"/console/{OPERATOR}/subjects/{subject_id}/reveal",
                         data={"csrf_token": token, "category": "identity.iin", "seq": "0",
                               "purpose": "subject_access_request", "reason": "   "})
    assert empty.status_code == 422
    assert "Укажите причину" in empty.text
    assert IIN not in empty.text
    assert sum(1 for _, a, _ in audit_actions(world) if a == "subject.read") == reads
    [refused] = [d for _, a, d in audit_actions(world) if a == "console.subject.reveal.refused"]
    assert refused["field"] == "reason" and refused["category"] == "identity.iin"
    pages.append(empty.text)

    seq = _seq(world, subject_id, "identity.iin")
    shown = browser.post(f"/console/{OPERATOR}/subjects/{subject_id}/reveal",
                         data={"csrf_token": token, "category": "identity.iin", "seq": str(seq),
                               "purpose": "subject_access_request",
                               "reason": "Субъект позвонил, сверка ИИН по обращению"})
    assert shown.status_code == 200, shown.text[:500]
    assert IIN in shown.text
    assert shown.headers["cache-control"] == "no-store"
    read = [d for actor, a, d in audit_actions(world)
            if a == "subject.read" and actor == f"staff:{handler.id}"]
    assert read and read[-1]["reason"] == "Субъект позвонил, сверка ИИН по обращению"

    consents = browser.get(f"/console/{OPERATOR}/subjects/{subject_id}/consents")
    assert consents.status_code == 200
    assert "Действует" in consents.text  # in force
    assert "ст. 8" in consents.text or "Art. 8" in consents.text
    assert "✓" in consents.text
    pages.append(consents.text)
    save_page("consents.html", consents.text)
    pdf = browser.get(f"/console/{OPERATOR}/subjects/{subject_id}/consents/certificate?lang=kk")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert PdfReader(io.BytesIO(pdf.content)).pages

    for url in urls:
        assert IIN not in url and PHONE not in url and PHONE[1:] not in url
    for html in pages:
        assert IIN not in html and PHONE not in html and PHONE[1:] not in html
    logged = caplog.text
    assert IIN not in logged and PHONE[1:] not in logged


def _seq(world: World, subject_id: str, category: str) -> int:
    with world.container.uow() as uow:
        return next(v.seq for v in uow.vault.values(subject_id) if v.category == category)


def test_a_role_without_reveal_sees_no_reveal_and_is_refused(world: World) -> None:
    dpo_elsewhere = add(world, "dpo.reveal.other@kassa24.kz", ("kassa24", "dpo"))
    browser = console_sign_in(world, dpo_elsewhere, lang="en")
    token = csrf_of(browser.get("/console/kassa24/today").text)
    subject_id = _subject_id(world)
    before = sum(1 for _, a, _ in audit_actions(world) if a == "staff.denied")
    answer = browser.post(f"/console/{OPERATOR}/subjects/{subject_id}/reveal",
                          data={"csrf_token": token, "category": "identity.iin", "seq": "0",
                                "reason": "curious"})
    assert answer.status_code == 403
    assert IIN not in answer.text
    assert sum(1 for _, a, _ in audit_actions(world) if a == "staff.denied") == before + 1
    # Their own operator does not hold this subject: it does not exist there.
    own = browser.get(f"/console/kassa24/subjects/{subject_id}")
    assert own.status_code == 404


def test_audit_registers_and_retention(world: World) -> None:
    dpo = add(world, "dpo.oversight@express-avans.kz", (OPERATOR, "dpo"))
    browser = console_sign_in(world, dpo, lang="kk")
    audit = browser.get(f"/console/{OPERATOR}/audit")
    assert audit.status_code == 200
    assert "Аудит" in audit.text
    token = csrf_of(audit.text)
    filtered = browser.get(f"/console/{OPERATOR}/audit?action=subject.find&since=2000-01-01")
    assert filtered.status_code == 200 and "subject.find" in filtered.text
    # The filter form as a browser sends it, dates left blank.
    blank = browser.get(f"/console/{OPERATOR}/audit?actor=&action=subject.find&since=&until=")
    assert blank.status_code == 200 and "subject.find" in blank.text
    wrong = browser.get(f"/console/{OPERATOR}/audit?since=2026-02-01&until=2026-01-01")
    assert wrong.status_code == 422
    checked = browser.post(f"/console/{OPERATOR}/audit/verify", data={"csrf_token": token})
    assert checked.status_code == 200
    assert checked.text.count('class="notice ok"') >= 2, checked.text[:2000]
    assert any(a == "console.audit.verify" for _, a, _ in audit_actions(world))
    save_page("audit.html", checked.text)

    registers = browser.get(f"/console/{OPERATOR}/registers")
    assert registers.status_code == 200
    assert "DRB" in registers.text or "ереж" in registers.text
    for code in ("ru", "kk", "en"):
        notice = browser.get(f"/console/{OPERATOR}/registers/notice?lang={code}")
        assert notice.status_code == 200 and "sandbox" in notice.headers[
            "content-security-policy"]
    save_page("registers.html", registers.text)

    retention = browser.get(f"/console/{OPERATOR}/retention")
    assert retention.status_code == 200
    assert "<svg" in retention.text and "<script" not in retention.text
    # The chart's bars, each labelled with its month (MM.YYYY).
    assert re.search(r'text-anchor="end"[^>]*>\d{2}\.\d{4}</text>', retention.text), \
        retention.text[:3000]
    save_page("retention.html", retention.text)


def test_a_forged_csrf_token_reveals_nothing(world: World) -> None:
    dpo = add(world, "dpo.forged@express-avans.kz", (OPERATOR, "dpo"))
    browser = console_sign_in(world, dpo)
    subject_id = _subject_id(world)
    reads = sum(1 for _, a, _ in audit_actions(world) if a == "subject.read")
    for token in ("0" * 64, ""):
        answer = browser.post(f"/console/{OPERATOR}/subjects/{subject_id}/reveal",
                              data={"csrf_token": token, "category": "identity.iin",
                                    "seq": str(_seq(world, subject_id, "identity.iin")),
                                    "reason": "forged"})
        assert answer.status_code == 403
        assert IIN not in answer.text
    assert sum(1 for _, a, _ in audit_actions(world) if a == "subject.read") == reads
    assert any(a == "staff.csrf" for _, a, _ in audit_actions(world))

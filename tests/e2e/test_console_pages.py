"""The console's pages through a browser without JavaScript (TestClient): Today, the
inbox and its filters, one request from verification to its letter in Kazakh, people and
keys; nothing personal in a URL."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from pypdf import PdfReader

from tests.api_world import World, make_world
from tests.console_support import (
    OPERATOR,
    audit_actions,
    console_sign_in,
    csrf_of,
    file_request,
    save_page,
)
from tests.staff_support import add


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = make_world(tmp_path_factory.mktemp("console"))
    yield built
    built.close()



def test_a_dpo_answers_a_request_and_downloads_its_letter_in_kazakh(world: World) -> None:
    request_id = file_request(world, "access", language="kk")
    dpo = add(world, "dpo.pages@kassa24.kz", (OPERATOR, "dpo"))
    browser = console_sign_in(world, dpo, lang="kk")

    today = browser.get(f"/console/{OPERATOR}/today")
    assert today.status_code == 200
    assert request_id[:8] in today.text
    assert "Қалған жұмыс күндері" in today.text
    assert "Шешім күтіп тұрған бұғатталған субъектілер" in today.text
    assert "Қол жеткізу аудитінің журналы" in today.text
    save_page("today.html", today.text)

    inbox = browser.get(f"/console/{OPERATOR}/requests?state=received&type=access")
    assert request_id[:8] in inbox.text
    other = browser.get(f"/console/{OPERATOR}/requests?type=complaint")
    assert request_id[:8] not in other.text
    late = browser.get(f"/console/{OPERATOR}/requests?overdue=1")
    assert request_id[:8] not in late.text  # filed today: not late

    page = browser.get(f"/console/{OPERATOR}/requests/{request_id}")
    assert page.status_code == 200
    assert "Law" in page.text or "Закон" in page.text  # the deadline's citation
    token = csrf_of(page.text)
    empty = browser.post(f"/console/{OPERATOR}/requests/{request_id}/verify",
                         data={"csrf_token": token, "document_ref": "ID 123456789",
                               "reason": "   "})
    assert empty.status_code == 422
    assert "Себебін көрсетіңіз" in empty.text
    assert "Қабылданды" in browser.get(f"/console/{OPERATOR}/requests/{request_id}").text

    done = browser.post(f"/console/{OPERATOR}/requests/{request_id}/verify",
                        data={"csrf_token": token, "document_ref": "ID 123456789",
                              "reason": "Жеке куәлік ұсынылды, фотосы сәйкес келеді"},
                        follow_redirects=False)
    assert done.status_code == 303
    assert "123456789" not in done.headers["location"]
    answered = browser.post(f"/console/{OPERATOR}/requests/{request_id}/answer",
                            data={"csrf_token": token})
    assert answered.status_code == 200
    assert "Жауап берілді" in answered.text
    save_page("request.html", answered.text)

    letter = browser.get(f"/console/{OPERATOR}/requests/{request_id}/letter?format=pdf")
    assert letter.status_code == 200
    assert letter.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(letter.content)).pages)
    assert "өтініш" in text.lower()
    actors = {(actor, action) for actor, action, _ in audit_actions(world)}
    assert (f"staff:{dpo.id}", "console.letter") in actors
    assert any(a == f"staff:{dpo.id}" and act.startswith("request") for a, act in actors)


def test_people_and_keys(world: World) -> None:
    admin = add(world, "admin.pages@kassa24.kz", (OPERATOR, "admin"))
    newcomer = add(world, "newcomer@kassa24.kz", enrol=False)
    browser = console_sign_in(world, admin, lang="ru")
    page = browser.get(f"/console/{OPERATOR}/people")
    assert page.status_code == 200
    assert "Лица, имеющие доступ к персональным данным" in page.text
    assert f"/staff/operators/{OPERATOR}/access?format=csv" in page.text
    token = csrf_of(page.text)
    granted = browser.post(f"/console/{OPERATOR}/people/grant",
                           data={"csrf_token": token, "person": newcomer.login,
                                 "role": "request_handler"})
    assert granted.status_code == 200
    assert "Роль назначена" in granted.text and newcomer.login in granted.text
    no_expiry = browser.post(f"/console/{OPERATOR}/keys",
                             data={"csrf_token": token, "name": "crm", "scopes": ["read"],
                                   "expires": ""})
    assert no_expiry.status_code == 422
    made = browser.post(f"/console/{OPERATOR}/keys",
                        data={"csrf_token": token, "name": "crm", "scopes": ["read"],
                              "expires": "30d"})
    assert made.status_code == 201
    assert "dbk_" in made.text
    csv = browser.get(f"/staff/operators/{OPERATOR}/access?format=csv")
    assert csv.status_code == 200 and newcomer.login in csv.text
    keys = [a for _, a, _ in audit_actions(world) if a == "console.key.create"]
    assert keys

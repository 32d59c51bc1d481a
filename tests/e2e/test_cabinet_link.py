"""Signing in to the cabinet by e-mail through a browser without JavaScript (TestClient):
the sign-in page offers the address form in the page's language, the mail carries one
link to the configured public address (a forged Host header changes nothing), opening
it signs nobody in until its button is pressed, and then the subject's pages open."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from derbes.testing.delivery import RecordingMailer
from tests.api_world import World, make_world
from tests.cabinet_support import (
    OPERATOR,
    ask_link,
    borrower,
    browser,
    follow,
    link_in,
    recording_both,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = make_world(tmp_path_factory.mktemp("cabinet-link"))
    yield built
    built.close()


@pytest.fixture(scope="module")
def mail(world: World) -> RecordingMailer:
    return recording_both(world)[1]


def test_a_borrower_signs_in_in_kazakh_with_the_mailed_link(
        world: World, mail: RecordingMailer) -> None:
    who = borrower(world, 701)
    client = browser(world)
    page = client.get(f"/my/{OPERATOR}/sign-in?lang=kk")
    assert page.status_code == 200
    assert 'action="/my/express-avans/sign-in/email"' in page.text
    assert "бір реттік сілтеме" in page.text and "Сілтеме алу" in page.text
    asked = client.post(f"/my/{OPERATOR}/sign-in/email", data={"email": who.email},
                        headers={"Host": "evil.example"}, follow_redirects=False)
    assert asked.status_code == 303 and who.email not in asked.headers["location"]
    sent = client.get(asked.headers["location"])
    assert sent.status_code == 200 and "Электрондық поштаңызды тексеріңіз" in sent.text
    body = mail.sent[-1].body
    assert "evil.example" not in body and "http://127.0.0.1:8000/my/express-avans/link/" in body
    path = link_in(mail, who.email)
    assert path is not None
    opened = client.get(path)
    assert "Кіру үшін батырманы басыңыз" in opened.text
    assert client.get(f"/my/{OPERATOR}/data", follow_redirects=False).status_code == 303
    answer = follow(client, path)
    assert answer.status_code == 303 and answer.headers["location"] == f"/my/{OPERATOR}/data"
    set_cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie and "secure" in set_cookie
    data = client.get(f"/my/{OPERATOR}/data")
    assert data.status_code == 200 and f'action="/my/{OPERATOR}/sign-out"' in data.text
    used = follow(browser(world), path)
    assert used.status_code == 422 and "Ссылка неверна, уже использована" in used.text


def test_an_unknown_address_reads_exactly_like_a_known_one(
        world: World, mail: RecordingMailer) -> None:
    who = borrower(world, 702, loan=False)
    before = len(mail.sent)
    known = ask_link(browser(world), who.email, "en")
    unknown = ask_link(browser(world), "stranger.702@example.kz", "en")
    assert (known.status_code, known.headers["location"]) == \
        (unknown.status_code, unknown.headers["location"])
    assert len(mail.sent) == before + 1

"""Signing in and out of the console with the form (no JavaScript), in three languages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api_world import World, make_world
from tests.console_support import OPERATOR, audit_actions, console_sign_in, csrf_of
from tests.staff_support import PASSWORD, add, client, code


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = make_world(tmp_path)
    yield built
    built.close()


def test_the_sign_in_page_speaks_three_languages(world: World) -> None:
    browser = client(world)
    kk = browser.get("/console/sign-in?lang=kk")
    assert kk.status_code == 200
    assert '<html lang="kk">' in kk.text
    assert "Кіру" in kk.text and "Құпиясөз" in kk.text
    ru = browser.get("/console/sign-in", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert '<html lang="ru">' in ru.text and "Пароль" in ru.text
    en = browser.get("/console/sign-in", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="en">' in en.text and "Password" in en.text
    for page in (kk, ru, en):
        assert '<label for="login">' in page.text and '<main id="content">' in page.text
        assert page.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'self'" in page.headers["content-security-policy"]


def test_a_dpo_signs_in_with_totp_and_lands_on_today(world: World) -> None:
    dpo = add(world, "dpo@kassa24.kz", (OPERATOR, "dpo"))
    browser = console_sign_in(world, dpo, lang="kk")
    cookie = browser.cookies.get("__Host-derbes-session")
    assert cookie
    front = browser.get("/console", follow_redirects=False)
    assert front.status_code == 303
    assert front.headers["location"] == f"/console/{OPERATOR}/today"
    today = browser.get(front.headers["location"])
    assert today.status_code == 200
    assert '<html lang="kk">' in today.text  # chosen at sign-in, remembered
    assert "Бүгін" in today.text


def test_wrong_password_and_wrong_code_get_one_clear_message_and_are_audited(
        world: World) -> None:
    dpo = add(world, "dpo@kassa24.kz", (OPERATOR, "dpo"))
    browser = client(world)
    wrong = browser.post("/console/sign-in", data={"login": dpo.login, "password": "nope",
                                                   "totp": code(world, dpo), "lang": "en"})
    assert wrong.status_code == 401
    assert "Wrong login, password or one-time code" in wrong.text
    assert 'value="dpo@kassa24.kz"' in wrong.text  # the login stays typed, never the password
    no_code = browser.post("/console/sign-in", data={"login": dpo.login, "password": PASSWORD,
                                                     "totp": "000000", "lang": "ru"})
    assert no_code.status_code == 401
    assert "Неверный логин, пароль или одноразовый код" in no_code.text
    assert "__Host-derbes-session" not in browser.cookies
    reasons = [d.get("reason") for _, action, d in audit_actions(world)
               if action == "staff.signin" and d.get("event") == "failed"]
    assert "wrong password" in reasons
    assert "wrong or reused one-time code" in reasons


def test_lock_out_is_said_with_its_end(world: World) -> None:
    dpo = add(world, "dpo@kassa24.kz", (OPERATOR, "dpo"))
    browser = client(world)
    limit = world.container.rules.staff.policy.signin
    answer = None
    for _ in range(limit.lockout_after_failures + 1):
        answer = browser.post("/console/sign-in", data={"login": dpo.login, "password": "x",
                                                        "lang": "kk"})
    assert answer is not None and answer.status_code == 429
    assert "бұғатталды" in answer.text


def test_sign_out_needs_the_form_token_and_ends_the_session(world: World) -> None:
    dpo = add(world, "dpo@kassa24.kz", (OPERATOR, "dpo"))
    browser = console_sign_in(world, dpo)
    page = browser.get(f"/console/{OPERATOR}/today")
    forged = browser.post("/console/sign-out", data={"csrf_token": "0" * 64},
                          follow_redirects=False)
    assert forged.status_code == 403
    assert any(a == "staff.csrf" for _, a, _ in audit_actions(world))
    out = browser.post("/console/sign-out", data={"csrf_token": csrf_of(page.text)},
                       follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"].startswith("/console/sign-in?done=out")
    again = browser.get(f"/console/{OPERATOR}/today", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"].startswith("/console/sign-in")


def test_after_sign_in_only_a_console_path_is_followed(world: World) -> None:
    dpo = add(world, "dpo@kassa24.kz", (OPERATOR, "dpo"))
    browser = client(world)
    answer = browser.post("/console/sign-in", data={
        "login": dpo.login, "password": PASSWORD, "totp": code(world, dpo),
        "next": "//evil.example/console/x"}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console"

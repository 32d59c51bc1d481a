"""The console in tests: a signed-in browser (TestClient over https), the CSRF token of
its pages, requests filed through the API, the audit entries of an action."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from derbes.platform.clock import FixedClock
from tests.api_world import World
from tests.staff_support import PASSWORD, Staffer, client, code

OPERATOR = "kassa24"
PAGES_OUT = Path("/tmp/derbes-console-pages")
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def console_sign_in(world: World, staffer: Staffer, *, lang: str | None = None
                    ) -> TestClient:
    """A browser signed in through the console's own form (no JavaScript)."""
    browser = client(world)
    form = {"login": staffer.login, "password": PASSWORD, "totp": code(world, staffer) or "",
            "next": ""}
    if lang:
        form["lang"] = lang
    answer = browser.post("/console/sign-in", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    clock = world.container.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(seconds=world.container.rules.staff.policy.totp.step_seconds))
    return browser


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def file_request(world: World, kind: str = "access", operator: str = OPERATOR,
                 language: str = "kk") -> str:
    answer = world.client().post("/v1/requests", json={
        "operator": operator, "type": kind, "language": language,
        "identifiers": {"phone": "+77015550199"}})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def audit_actions(world: World) -> list[tuple[str, str, dict[str, object]]]:
    with world.container.uow() as uow:
        return [(e.actor, e.action, dict(e.details)) for e in uow.audit.entries()]


def save_page(name: str, html: str) -> None:
    """Keep a page for a look (the browser tests make the screenshots)."""
    PAGES_OUT.mkdir(exist_ok=True)
    (PAGES_OUT / name).write_text(html.replace('href="/console/static/', 'href="static/'),
                                  "utf-8")

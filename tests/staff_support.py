"""Staff people for API tests: add, grant, enrol, sign in through the API."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta

from fastapi.testclient import TestClient

from derbes.platform.clock import FixedClock
from derbes.staff import service
from derbes.staff.model.totp import totp
from tests.api_world import World

PASSWORD = "Жазғы-таң-2026!"


@dataclass
class Staffer:
    id: str
    login: str
    secret: bytes | None


def add(world: World, login: str, *grants: tuple[str, str], enrol: bool = True) -> Staffer:
    container = world.container
    person = service.add_person(container.context("cli:test"), container.password_hasher,
                                login, f"Person {login}", PASSWORD)
    for operator, role in grants:
        service.grant(container.context("cli:test"), person.id, operator, role)
    secret = None
    if enrol:
        b32 = service.enrol_totp(container.context("cli:test"), person.id).secret_b32
        secret = base64.b32decode(b32 + "=" * (-len(b32) % 8))
    return Staffer(person.id, person.login, secret)


def code(world: World, staffer: Staffer) -> str | None:
    if staffer.secret is None:
        return None
    return totp(staffer.secret, world.container.clock.now(),
                world.container.rules.staff.policy.totp)


def client(world: World) -> TestClient:
    """A client without a key, over https (the session cookie is Secure)."""
    return TestClient(world.app, base_url="https://testserver", raise_server_exceptions=False)


def sign_in(world: World, staffer: Staffer) -> tuple[TestClient, str]:
    """A client signed in as ``staffer``, and its CSRF token."""
    clock = world.container.clock
    assert isinstance(clock, FixedClock)
    browser = client(world)
    answer = browser.post("/staff/session", json={"login": staffer.login, "password": PASSWORD,
                                                  "totp": code(world, staffer)})
    assert answer.status_code == 201, answer.text
    # The next sign-in of the same person needs a code of a later step.
    clock.advance(timedelta(seconds=world.container.rules.staff.policy.totp.step_seconds))
    return browser, answer.json()["csrf_token"]


def denials(world: World) -> int:
    """How many refusals (``staff.denied``) the access audit log holds."""
    with world.container.uow() as uow:
        return sum(1 for e in uow.audit.entries() if e.action == "staff.denied")

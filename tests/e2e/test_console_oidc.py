"""Signing in to the console through an OpenID Connect provider started on loopback:
roles mapped from a claim and synced at each sign-in, and every way the answer can be
wrong refused with a clear message, audited, and with nothing changed."""

from __future__ import annotations

import http.client
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from derbes.staff import service
from tests.api_world import World, make_world
from tests.console_support import OPERATOR, audit_actions
from tests.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT,
    Provider,
    new_key,
    running_provider,
)
from tests.staff_support import client

MAPPING = """\
version: 1
claim_values:
  kassa24-dpo:
    - {operator: kassa24, role: dpo}
  kassa24-handlers:
    - {operator: kassa24, role: request_handler}
  qiwi-audit:
    - {operator: qiwi-kz, role: auditor}
  elsewhere:
    - {operator: no-such-operator, role: auditor}
"""
SUB = "user-7f3a"


@pytest.fixture
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


@pytest.fixture
def world(tmp_path: Path, provider: Provider) -> Iterator[World]:
    built = make_world(tmp_path)
    mapping = tmp_path / "oidc_roles.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    built.container.settings = built.container.settings.model_copy(update={
        "oidc_issuer": provider.issuer, "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": SecretStr(CLIENT_SECRET), "oidc_redirect_url": REDIRECT,
        "oidc_provider_name": "Kassa24 SSO", "oidc_roles_file": mapping})
    provider.clock = built.container.clock.now().timestamp()
    provider.claims = {"sub": SUB, "email": "a.nurlanova@kassa24.kz", "email_verified": True,
                       "name": "Айгерім Нұрланова", "roles": ["kassa24-handlers", "elsewhere"]}
    yield built
    built.close()


def _follow_provider(location: str) -> str:
    """The browser at the provider: its authorize endpoint answers with a redirect back."""
    url = urllib.parse.urlsplit(location)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        connection.request("GET", f"{url.path}?{url.query}")
        answer = connection.getresponse()
        assert answer.status == 302, answer.read()
        return answer.getheader("Location") or ""
    finally:
        connection.close()


def oidc_sign_in(world: World, browser: TestClient | None = None,
                 tamper: dict[str, str] | None = None) -> tuple[TestClient, Any]:
    """Click "Sign in with …", sign in at the provider, come back (redirects followed)."""
    browser = browser or client(world)
    start = browser.get("/console/sign-in/oidc?lang=en", follow_redirects=False)
    assert start.status_code == 303, start.text
    back = urllib.parse.urlsplit(_follow_provider(start.headers["location"]))
    assert f"https://{back.netloc}{back.path}" == REDIRECT
    query = dict(urllib.parse.parse_qsl(back.query)) | (tamper or {})
    answer = browser.get(f"{back.path}?{urllib.parse.urlencode(query)}",
                         follow_redirects=False)
    return browser, answer


def _state(world: World) -> tuple[int, list[tuple[str, str, str, str]], int]:
    with world.container.uow() as uow:
        people = len(uow.staff.people())
        grants = [(g.person_id, g.operator_id, g.role, g.granted_by)
                  for g in uow.staff.grants(active_only=True)]
    sessions = sum(1 for _, action, details in audit_actions(world)
                   if action == "staff.signin" and details.get("event") == "ok")
    return people, grants, sessions


def _held(world: World) -> dict[tuple[str, str], str]:
    with world.container.uow() as uow:
        person = uow.staff.by_subject(world.container.settings.oidc_issuer or "", SUB)
        assert person is not None
        return {(g.operator_id, g.role): g.granted_by
                for g in uow.staff.grants(person_id=person.id, active_only=True)}


def test_the_sign_in_page_offers_the_provider_as_a_plain_link(world: World) -> None:
    page = client(world).get("/console/sign-in?lang=kk")
    assert 'href="/console/sign-in/oidc?lang=kk"' in page.text
    assert "Kassa24 SSO арқылы кіру" in page.text


def test_first_sign_in_creates_the_person_and_maps_the_claim_to_roles(
        world: World, provider: Provider) -> None:
    browser, answer = oidc_sign_in(world)
    assert answer.status_code == 200, answer.text
    assert 'http-equiv="refresh" content="0; url=/console"' in answer.text
    assert browser.cookies.get("__Host-derbes-session")
    assert not browser.cookies.get("__Host-derbes-oidc")
    source = f"oidc:{provider.issuer}"
    assert _held(world) == {(OPERATOR, "request_handler"): source}
    front = browser.get("/console", follow_redirects=False)
    assert front.headers["location"] == f"/console/{OPERATOR}/today"
    with world.container.uow() as uow:
        person = uow.staff.by_login("a.nurlanova@kassa24.kz")
    assert person is not None and person.name == "Айгерім Нұрланова"
    assert person.password_hash is None and person.created_by == source
    signed = [d for a, act, d in audit_actions(world) if act == "staff.signin"]
    assert signed[-1]["event"] == "ok" and signed[-1]["method"] == "oidc"
    assert signed[-1]["skipped_operators"] == ["no-such-operator"]
    # The next sign-in finds the same person by (iss, sub), whatever the e-mail says now.
    provider.claims["email"] = "other@kassa24.kz"
    _, again = oidc_sign_in(world)
    assert again.status_code == 200
    assert _state(world)[0] == 1


def test_a_role_gone_from_the_claim_is_revoked_at_the_next_sign_in(
        world: World, provider: Provider) -> None:
    provider.claims["roles"] = ["kassa24-handlers", "qiwi-audit"]
    oidc_sign_in(world)
    assert set(_held(world)) == {(OPERATOR, "request_handler"), ("qiwi-kz", "auditor")}
    with world.container.uow() as uow:
        person = uow.staff.by_subject(provider.issuer, SUB)
    assert person is not None
    # A role granted in derbes by a person is not the provider's to take away.
    service.grant(world.container.context("cli:test"), person.id, "altyncoin", "auditor")
    provider.claims["roles"] = ["kassa24-handlers"]
    _, answer = oidc_sign_in(world)
    assert answer.status_code == 200
    assert set(_held(world)) == {(OPERATOR, "request_handler"), ("altyncoin", "auditor")}
    revoked = [(actor, d) for actor, act, d in audit_actions(world) if act == "staff.revoke"]
    assert revoked[-1][0] == f"oidc:{provider.issuer}"
    assert revoked[-1][1]["operator_id"] == "qiwi-kz" and revoked[-1][1]["role"] == "auditor"
    access = service.access_list(world.container.context("cli:test"), "qiwi-kz", history=True)
    row = next(r for r in access if r.person_id == person.id)
    assert row.revoked_by == f"oidc:{provider.issuer}"


def test_a_role_that_needs_a_second_factor_needs_the_providers_amr(
        world: World, provider: Provider) -> None:
    provider.claims["roles"] = ["kassa24-dpo"]
    before = _state(world)
    _, refused = oidc_sign_in(world)
    assert refused.status_code == 401
    assert "needs a second factor" in refused.text
    assert _state(world) == before
    provider.claims["amr"] = ["pwd", "otp"]
    _, answer = oidc_sign_in(world)
    assert answer.status_code == 200
    assert _held(world) == {(OPERATOR, "dpo"): f"oidc:{provider.issuer}"}


def test_a_revoked_person_cannot_come_back_through_the_provider(
        world: World, provider: Provider) -> None:
    browser, _ = oidc_sign_in(world)
    with world.container.uow() as uow:
        person = uow.staff.by_subject(provider.issuer, SUB)
    assert person is not None
    service.revoke(world.container.context("cli:test"), person.id)
    before = _state(world)
    _, refused = oidc_sign_in(world)
    assert refused.status_code == 401
    assert "access to derbes was revoked" in refused.text
    assert _state(world) == before
    assert browser.get("/console", follow_redirects=False).headers["location"].startswith(
        "/console/sign-in")


def _wrong(provider: Provider, case: str) -> dict[str, str] | None:
    """Make the provider (or the way back) wrong in one way; the query to tamper with."""
    if case == "state":
        return {"state": "forged-state-of-another-browser"}
    if case == "nonce":
        provider.nonce = "a-nonce-this-sign-in-never-sent"
    elif case == "expired":
        provider.expires_in = -120  # beyond the minute of leeway in data/staff.yaml
    elif case == "audience":
        provider.audience = "another-client"
    elif case == "signature":
        provider.signing_key = new_key()  # same kid, a key the provider does not publish
    elif case == "kid":
        provider.token_kid = "k-unknown"
    elif case == "code":
        return {"code": "a-code-the-provider-never-gave"}
    return None


@pytest.mark.parametrize(("case", "reason"), [
    ("state", "state sent back by the provider"),
    ("nonce", "nonce is not the one this sign-in sent"),
    ("expired", "has expired (exp)"),
    ("audience", "meant for another client (aud)"),
    ("signature", "signature does not verify"),
    ("kid", "unknown kid"),
    ("code", "refused the token request"),
])
def test_a_wrong_answer_is_refused_clearly_audited_and_changes_nothing(
        world: World, provider: Provider, case: str, reason: str) -> None:
    oidc_sign_in(world)  # the person exists with a role from the claim
    provider.claims["roles"] = ["qiwi-audit"]  # what a forged answer would sync
    before = _state(world)
    browser, refused = oidc_sign_in(world, tamper=_wrong(provider, case))
    assert refused.status_code in (401, 503), refused.text
    assert reason in refused.text
    assert not browser.cookies.get("__Host-derbes-session")
    assert _state(world) == before
    failed = [d for _, act, d in audit_actions(world)
              if act == "staff.signin" and d.get("event") == "failed"]
    assert failed and reason in str(failed[-1]["reason"])
    assert failed[-1]["method"] == "oidc"


def test_a_callback_without_the_flow_cookie_is_refused(world: World) -> None:
    before = _state(world)
    answer = client(world).get("/console/sign-in/oidc/callback?state=x&code=y",
                               headers={"Accept-Language": "en"})
    assert answer.status_code == 401
    assert "not started in this browser" in answer.text
    assert _state(world) == before
    assert audit_actions(world)[-1][2]["event"] == "failed"


def test_without_configuration_there_is_no_provider_link_nor_route(tmp_path: Path) -> None:
    plain = make_world(tmp_path)
    try:
        browser = client(plain)
        assert "/console/sign-in/oidc" not in browser.get("/console/sign-in").text
        assert browser.get("/console/sign-in/oidc", follow_redirects=False).status_code == 404
    finally:
        plain.close()



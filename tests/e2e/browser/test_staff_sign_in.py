"""Staff sign-in from inside Chromium: the cookie as the browser keeps it, and what it allows.

The calls are the page's own ``fetch``: Chromium, not a test client, decides whether
the ``__Host-`` cookie is stored, hidden from scripts and sent back.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import BrowserContext, Page

from derbes.staff.api import COOKIE, CSRF_HEADER
from tests.browser_support import OfflineGuard, Site
from tests.staff_support import PASSWORD

CALL = """async ([method, path, body, headers]) => {
    const init = {method, headers: {...headers}};
    if (body !== null) { init.body = JSON.stringify(body);
                         init.headers['content-type'] = 'application/json'; }
    const answer = await fetch(path, init);
    const text = await answer.text();
    return {status: answer.status, body: text ? JSON.parse(text) : null};
}"""


def _call(page: Page, method: str, path: str, body: dict[str, Any] | None = None,
          headers: dict[str, str] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = page.evaluate(CALL, [method, path, body, headers or {}])
    return answer


def _sign_in(page: Page, site: Site, totp: str) -> dict[str, Any]:
    return _call(page, "POST", "/staff/session",
                 {"login": site.dpo.login, "password": PASSWORD, "totp": totp})


def test_sign_in_with_totp_keeps_a_strict_host_only_cookie_scripts_cannot_read(
        page: Page, context: BrowserContext, site: Site, offline: OfflineGuard) -> None:
    page.goto(site.url("/health"))

    signed_in = _sign_in(page, site, site.totp())

    assert signed_in["status"] == 201, signed_in
    assert signed_in["body"]["login"] == site.dpo.login
    assert signed_in["body"]["roles"] == {site.operator: ["dpo"]}
    [cookie] = context.cookies()
    assert cookie["name"] == COOKIE
    assert cookie["httpOnly"] is True
    assert cookie["secure"] is True
    assert cookie["sameSite"] == "Strict"
    # __Host-: bound to this host and the whole path, never shared with a parent domain.
    assert (cookie["domain"], cookie["path"]) == ("127.0.0.1", "/")
    assert COOKIE not in page.evaluate("document.cookie")
    me = _call(page, "GET", "/staff/session")
    assert me["status"] == 200
    assert me["body"]["actor"] == f"staff:{site.dpo.id}"
    assert offline.attempted == []


def test_sign_out_needs_the_csrf_token_and_ends_the_session(page: Page, context: BrowserContext,
                                                            site: Site) -> None:
    page.goto(site.url("/health"))
    csrf = _sign_in(page, site, site.totp())["body"]["csrf_token"]

    forged = _call(page, "DELETE", "/staff/session", headers={CSRF_HEADER: "not-the-token"})
    still = _call(page, "GET", "/staff/session")
    signed_out = _call(page, "DELETE", "/staff/session", headers={CSRF_HEADER: csrf})
    after = _call(page, "GET", "/staff/session")

    assert forged["status"] == 403
    assert still["status"] == 200
    assert signed_out["status"] == 204
    assert after["status"] == 401
    assert context.cookies() == []


def test_a_wrong_totp_sets_no_cookie(page: Page, context: BrowserContext, site: Site) -> None:
    page.goto(site.url("/health"))
    good = site.totp()
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"

    refused = _sign_in(page, site, wrong)

    assert refused["status"] == 401
    assert refused["body"]["status"] == 401
    assert context.cookies() == []


def test_the_cookie_stays_home_when_another_site_links_in(page: Page, site: Site) -> None:
    # localhost and 127.0.0.1 are different sites to the browser: a link from one to
    # the other is a cross-site navigation, on which SameSite=Strict withholds the cookie.
    page.goto(site.url("/health"))
    assert _sign_in(page, site, site.totp())["status"] == 201
    other_site = site.url("/health").replace("127.0.0.1", "localhost")
    page.goto(other_site)
    page.set_content(f'<a href="{site.url("/staff/session")}">derbes</a>')

    with page.expect_navigation() as followed:
        page.click("a")
    typed = page.goto(site.url("/staff/session"))

    response = followed.value
    assert response is not None and response.status == 401
    assert typed is not None and typed.status == 200

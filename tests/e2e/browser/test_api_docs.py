"""Swagger UI and ReDoc in a real browser with no way out: they render from derbes alone.

Every request that would leave loopback is refused and recorded; a page that needs a
CDN (a script, a font, a logo, a validator badge) shows up in ``offline.attempted``
even when it still renders. axe-core then checks the rendered page.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import ConsoleMessage, Page

from tests.browser_support import VIEWPORT, OfflineGuard, Site, axe, png_size, screenshot


@dataclass(frozen=True)
class DocsPage:
    path: str
    # What the page shows once its bundle has read /openapi.json and rendered it.
    rendered: str
    shot: str


SWAGGER = DocsPage("/docs", ".opblock-summary-path[data-path='/staff/session']", "api-docs")
REDOC = DocsPage("/redoc", "[id='operation/sign_in_staff_session_post'] h2", "api-redoc")


def _open(page: Page, site: Site, docs: DocsPage) -> list[str]:
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    answer = page.goto(site.url(docs.path))
    assert answer is not None and answer.status == 200
    page.locator(docs.rendered).first.wait_for(state="visible")
    page.wait_for_load_state("networkidle")
    return errors


@pytest.mark.parametrize("docs", [SWAGGER, REDOC], ids=["swagger-ui", "redoc"])
def test_docs_render_offline_and_pass_axe(page: Page, site: Site, offline: OfflineGuard,
                                          docs: DocsPage) -> None:
    errors = _open(page, site, docs)

    assert offline.attempted == []
    # A script refused by the Content-Security-Policy, or one that threw, is an error here.
    assert errors == []
    axe(page)


@pytest.mark.parametrize("docs", [SWAGGER, REDOC], ids=["swagger-ui", "redoc"])
def test_docs_screenshot_shows_the_api(page: Page, site: Site, docs: DocsPage) -> None:
    _open(page, site, docs)

    shot = screenshot(page, docs.shot)

    assert png_size(shot) == (VIEWPORT["width"], VIEWPORT["height"])
    assert page.get_by_text("derbes", exact=False).first.is_visible()


def test_a_cdn_address_is_refused_and_recorded(page: Page, site: Site,
                                               offline: OfflineGuard) -> None:
    # The guard itself: a page asking for an outside file is seen, and gets nothing.
    page.goto(site.url("/health"))
    loaded = page.evaluate("""async () => {
        try { await fetch('https://cdn.jsdelivr.net/npm/swagger-ui-dist/swagger-ui.css');
              return true; } catch (e) { return false; } }""")

    assert loaded is False
    assert offline.attempted == ["https://cdn.jsdelivr.net/npm/swagger-ui-dist/swagger-ui.css"]

"""Signing in to the cabinet by e-mail in Chromium, on a phone (360 px wide) in Kazakh:
the address typed on the sign-in page, the "check your e-mail" page, the mailed link
opened (a button, nothing spent yet), and the subject's pages after it. axe-core finds no
serious or critical violation on these pages; none is wider than the screen; nothing
leaves the machine. The pages are photographed (``make screenshots``: docs/console/)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from derbes.delivery.ports import Couriers
from derbes.platform.i18n import gettext
from derbes.platform.labels import Lang
from derbes.testing.delivery import RecordingMailer, RecordingSms
from tests.api_world import make_world
from tests.browser_support import OfflineGuard, Site, axe, live_site, png_size, screenshot
from tests.cabinet_support import OPERATOR, Borrower, borrower, link_in

PHONE = {"width": 360, "height": 740}


@dataclass
class Mailed:
    site: Site
    mail: RecordingMailer
    who: Borrower


@pytest.fixture(scope="module")
def mailed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mailed]:
    world = make_world(tmp_path_factory.mktemp("cabinet-link-browser"))
    try:
        mail = RecordingMailer()
        world.container.__dict__["couriers"] = Couriers(RecordingSms(), mail)
        with live_site(world, "dpo@express-avans.kz", OPERATOR) as site:
            yield Mailed(site, mail, borrower(world, 8901, loan=False))
    finally:
        world.close()


@pytest.fixture
def phone(browser: Browser, offline: OfflineGuard) -> Iterator[BrowserContext]:
    created = browser.new_context(viewport=PHONE, locale="kk-KZ", is_mobile=True,
                                  has_touch=True, device_scale_factor=1)
    offline.install(created)
    try:
        yield created
    finally:
        created.close()


def _kk(message: str) -> str:
    return gettext(Lang.KK, message)


def _seen(page: Page, name: str) -> None:
    assert page.locator("html").get_attribute("lang") == "kk"
    axe(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    assert png_size(screenshot(page, f"cabinet-{name}")) == (PHONE["width"], PHONE["height"])


def test_a_borrower_signs_in_with_the_mailed_link(phone: BrowserContext,
                                                  mailed: Mailed) -> None:
    page = phone.new_page()
    page.goto(mailed.site.url(f"/my/{OPERATOR}/sign-in?lang=kk"))
    page.get_by_label(_kk("E-mail")).fill(mailed.who.email)
    with page.expect_navigation():
        page.get_by_role("button", name=_kk("Get a link"), exact=True).click()
    assert page.url.endswith(f"/my/{OPERATOR}/link-sent")
    assert mailed.who.email not in page.url
    _seen(page, "link-sent")
    path = link_in(mailed.mail, mailed.who.email)
    assert path is not None
    page.goto(mailed.site.url(path))
    _seen(page, "link")
    with page.expect_navigation():
        page.get_by_role("button", name=_kk("Sign in"), exact=True).click()
    assert page.url.endswith(f"/my/{OPERATOR}/data")
    assert page.get_by_role("button", name=_kk("Sign out")).count() == 1

"""The subject's cabinet in Chromium, as an Express Аванс borrower on a phone (360 px
wide) reading Kazakh: sign in with the SMS code that the Mobizon adapter delivered to a
local stand-in of Mobizon's API, see what is held, withdraw marketing while a loan is open
and read why the loan's processing continues, file a rectification with a scan, and,
once staff have answered it, download the answer letter. axe-core finds no serious or
critical violation on any page; no page is wider than the screen; nothing leaves the
machine. The pages are photographed (``make screenshots`` writes them into docs/console/,
which docs/cabinet.md shows).

Before signing in, the borrower answers the operator's cookie banner on its sample site:
once signed in, that answer is linked to them in the consent ledger, which verifies.

The installation is its own: its SMS go through the real adapter, over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from derbes.consent.model.consent import LedgerEvent
from derbes.consent.service import consent as consents
from derbes.delivery.adapters.mobizon import MobizonGateway
from derbes.delivery.ports import Couriers
from derbes.platform.i18n import gettext
from derbes.platform.labels import Lang
from derbes.testing.delivery import RecordingMailer
from tests.api_world import make_world
from tests.browser_support import OfflineGuard, Site, axe, live_site, png_size, screenshot
from tests.cabinet_support import OPERATOR, Borrower, borrower
from tests.fake_mobizon import FakeMobizon, running

PHONE = {"width": 360, "height": 740}
# The smallest PNG a scanner could send: a header, one 1×1 grey pixel, the end.
SCAN = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
    "3a7e9b550000000a49444154789c63680000008200815f8d1d300000000049454e44ae426082")
CORRECT_NAME = "Сәрсенбаева Әлия Нұрланқызы"
REJECT_ALL_KK = "Барлығынан бас тарту"


@dataclass
class Cabinet:
    site: Site
    gateway: FakeMobizon
    who: Borrower


@pytest.fixture(scope="module")
def cabinet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cabinet]:
    world = make_world(tmp_path_factory.mktemp("cabinet-browser"))
    try:
        with running() as gateway:
            world.container.__dict__["couriers"] = Couriers(
                MobizonGateway(gateway.api_key, base_url=gateway.url, sender="EXPRESS"),
                RecordingMailer())
            with live_site(world, "dpo@express-avans.kz", OPERATOR) as site:
                yield Cabinet(site, gateway, borrower(world, 8801))
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
    """The page in Kazakh passes axe-core, fits the phone, and is photographed."""
    assert page.locator("html").get_attribute("lang") == "kk"
    axe(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    assert png_size(screenshot(page, f"cabinet-{name}")) == (PHONE["width"], PHONE["height"])


def _submit(page: Page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


def _sign_in(page: Page, cabinet: Cabinet) -> None:
    page.goto(cabinet.site.url(f"/my/{OPERATOR}/sign-in?lang=kk"))
    _seen(page, "sign-in")
    page.get_by_label(_kk("Mobile phone")).fill(cabinet.who.phone)
    before = len(cabinet.gateway.received)
    _submit(page, _kk("Get a code"))
    page.wait_for_url(f"**/my/{OPERATOR}/code")
    (sms,) = cabinet.gateway.received[before:]
    assert sms.recipient == cabinet.who.phone.lstrip("+") and sms.sender == "EXPRESS"
    code = cabinet.gateway.last_code()
    assert code is not None and code in sms.text
    _seen(page, "code")
    page.get_by_label(_kk("Code from the SMS")).fill(code)
    _submit(page, _kk("Sign in"))
    page.wait_for_url(f"**/my/{OPERATOR}/data")


def _withdraw_marketing(page: Page) -> None:
    page.get_by_role("link", name=_kk("Consents"), exact=True).click()
    page.wait_for_url("**/consents")
    marketing = page.locator("section.card").filter(
        has=page.get_by_role("heading", name=_kk("Marketing messages"), exact=True))
    assert marketing.count() == 1
    marketing.scroll_into_view_if_needed()
    _seen(page, "consents")
    marketing.get_by_role("link", name=_kk("Withdraw…")).click()
    page.wait_for_url("**/withdraw")
    # Before confirming: what stops, and what goes on (the open loan) with its grounds.
    continuing = page.locator("section#goes-on, section[aria-labelledby=goes-on]")
    assert continuing.get_by_role("heading").inner_text() == \
        _kk("What continues whatever you withdraw")
    assert _kk("continues") in continuing.inner_text() and "8" in continuing.inner_text()
    _seen(page, "withdraw-preview")
    continuing.evaluate("s => s.scrollIntoView()")
    _seen(page, "withdraw-continues")
    _submit(page, _kk("Withdraw this consent"))
    assert page.get_by_role("status").inner_text().startswith(
        _kk("Your consent is withdrawn. This is what it means (Law 94-V Art. 8 p.2):")[:20])
    assert page.get_by_role("heading", name=_kk("What continues whatever you withdraw"),
                            exact=True).is_visible()
    _seen(page, "withdrawn")
    page.get_by_role("link", name=_kk("Back to your consents")).click()
    assert page.locator("section.card").filter(
        has=page.get_by_role("heading", name=_kk("Marketing messages"), exact=True)
    ).get_by_role("link", name=_kk("Withdraw…")).count() == 0


def _file_rectification(page: Page, tmp_path: Path) -> None:
    page.get_by_role("link", name=_kk("Requests"), exact=True).click()
    page.wait_for_url("**/requests")
    page.get_by_label(_kk("Correct my data"), exact=True).check()
    page.get_by_label(_kk("For a correction: what is wrong")).select_option(
        "identity.full_name")
    page.get_by_label(_kk("For a correction: the correct value")).fill(CORRECT_NAME)
    scan = tmp_path / "passport.png"
    scan.write_bytes(SCAN)
    page.get_by_label(_kk("For a correction: a document that confirms it")).set_input_files(
        str(scan))
    _submit(page, _kk("Send the request"))
    page.wait_for_url("**/requests")
    filed = page.locator("div.request").filter(has_text=_kk("Correct my data"))
    assert filed.count() == 1 and _kk("Answer due by") in filed.inner_text()
    page.locator("#mine").scroll_into_view_if_needed()
    _seen(page, "requests")


def _staff_answer(cabinet: Cabinet) -> None:
    """The operator answers the rectification (over the API, as a clerk's system would)."""
    api = cabinet.site.world.client()
    listed = api.get("/v1/requests", params={"operator": OPERATOR})
    assert listed.status_code == 200, listed.text
    (mine,) = [r for r in listed.json()["requests"] if r["type"] == "rectification"]
    answered = api.post(f"/v1/requests/{mine['id']}/answer")
    assert answered.status_code == 200, answered.text


def _answer_the_banner(page: Page, cabinet: Cabinet) -> str:
    """On the operator's sample site, in Kazakh: Reject all. The choice's id."""
    page.goto(cabinet.site.url(f"/banner/{OPERATOR}/demo?lang=kk"))
    page.wait_for_function("() => window.derbesBanner !== undefined")
    with page.expect_response(lambda r: r.url.endswith(f"/banner/{OPERATOR}/choices")) as got:
        page.get_by_role("button", name=REJECT_ALL_KK, exact=True).click()
    assert got.value.status == 201, got.value.text()
    choice_id: str = got.value.json()["choice_id"]
    return choice_id


def _linked_and_verified(cabinet: Cabinet, choice_id: str) -> None:
    container = cabinet.site.world.container
    with container.uow() as uow:
        linked = [e for e in uow.consent_ledger.for_subject(cabinet.who.subject_id)
                  if e.event == LedgerEvent.COOKIE_CHOICE_LINKED.value]
    assert [e.payload["choices"] for e in linked] == [[choice_id]]
    chain = consents.verify(container.uow(), container.ledger_key)
    assert chain.ok, chain.breaks


def test_a_borrower_in_kazakh_on_a_phone(cabinet: Cabinet, phone: BrowserContext,
                                        offline: OfflineGuard, tmp_path: Path) -> None:
    page = phone.new_page()
    # Before signing in, the borrower answered the cookie banner on the operator's site.
    choice_id = _answer_the_banner(page, cabinet)
    _sign_in(page, cabinet)
    _linked_and_verified(cabinet, choice_id)
    # What is held: asked for, answered at once, shown in the page.
    _submit(page, _kk("Ask what is held about me now"))
    page.get_by_role("link", name=_kk("My data"), exact=True).click()
    page.wait_for_url("**/data")
    letter = page.frame_locator("iframe.letter")
    assert letter.locator("body").inner_text().strip()
    # Its own style applies (the page's policy does not strip it): nothing wider than its frame.
    assert letter.locator("body").evaluate(
        "b => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    _seen(page, "data")
    _withdraw_marketing(page)
    _file_rectification(page, tmp_path)

    _staff_answer(cabinet)
    page.reload()
    answered = page.locator("div.request").filter(has_text=_kk("Correct my data"))
    answered.scroll_into_view_if_needed()
    _seen(page, "requests-answered")
    with page.expect_download() as got:
        answered.get_by_role("link", name=_kk("Download the letter (PDF)")).click()
    pdf = Path(got.value.path())
    assert pdf.read_bytes().startswith(b"%PDF")
    assert got.value.suggested_filename == "letter-kk.pdf"
    assert offline.attempted == []


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_every_page_passes_axe_in_russian_and_english(cabinet: Cabinet, page: Page,
                                                      offline: OfflineGuard,
                                                      lang: str) -> None:
    """The same pages at a desktop's width in the two other languages (Kazakh is the
    phone journey above): no serious or critical axe-core finding on any."""
    who = borrower(cabinet.site.world, 8810 if lang == "ru" else 8811)
    page.goto(cabinet.site.url(f"/my/{OPERATOR}/sign-in?lang={lang}"))
    axe(page)
    page.locator("#phone").fill(who.phone)
    with page.expect_navigation():
        page.locator("form[action$='/sign-in'] button[type=submit]").click()
    axe(page)
    page.locator("#code").fill(cabinet.gateway.last_code() or "")
    with page.expect_navigation():
        page.locator("form[action$='/code'] button[type=submit]").click()
    page.wait_for_url("**/data")
    with page.expect_navigation():
        page.locator("form[action$='/requests'] button[type=submit]").click()
    for path in ("/data", "/consents", "/requests"):
        page.goto(cabinet.site.url(f"/my/{OPERATOR}{path}"))
        assert page.locator("html").get_attribute("lang") == lang
        axe(page)
    page.goto(cabinet.site.url(f"/my/{OPERATOR}/consents"))
    page.locator("a.button[href$='/withdraw']").first.click()
    page.wait_for_url("**/withdraw")
    axe(page)
    with page.expect_navigation():
        page.locator("button.danger").click()
    axe(page)
    # A refused form is a page in the language too (an upload of the wrong type).
    page.goto(cabinet.site.url(f"/my/{OPERATOR}/requests"))
    page.locator("#type-rectification").check()
    page.locator("#category").select_option("identity.full_name")
    page.locator("#value").fill("X")
    with page.expect_navigation():
        page.locator("form[action$='/requests'] button[type=submit]").click()
    assert page.get_by_role("alert").is_visible()
    axe(page)
    assert offline.attempted == []

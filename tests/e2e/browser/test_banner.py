"""The cookie banner in Chromium on the demo page of a sample site (qiwi-kz, the seed
whose register lists cookies): what runs and what leaves the page after each answer,
Global Privacy Control, content added later, withdrawal, keyboard and axe-core."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import BrowserContext, Page, Request

from derbes.consent.model.consent import LedgerEvent
from tests.browser_support import OfflineGuard, Site, _is_loopback, axe

OPERATOR = "qiwi-kz"
BUTTONS = {"en": ("Accept all", "Reject all", "Choose"),
           "ru": ("Принять все", "Отклонить все", "Выбрать"),
           "kk": ("Барлығын қабылдау", "Барлығынан бас тарту", "Таңдау")}


@pytest.fixture
def sent(page: Page) -> list[str]:
    """Every request the page made (the browser's network log)."""
    log: list[str] = []

    def seen(request: Request) -> None:
        log.append(request.url)

    page.on("request", seen)
    return log


def _demo(site: Site, page: Page, lang: str = "en") -> None:
    page.goto(site.url(f"/banner/{OPERATOR}/demo?lang={lang}"))
    page.wait_for_function("() => window.derbesBanner !== undefined")


def _ran(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate("() => window.derbesDemo || {}")
    return found


def _answer(page: Page, click: Any) -> dict[str, Any]:
    with page.expect_response(lambda r: r.url.endswith(f"/banner/{OPERATOR}/choices")) as got:
        click()
    answer = got.value
    assert answer.status == 201, answer.text()
    body: dict[str, Any] = answer.json()
    return body


def _recorded(site: Site, choice_id: str) -> dict[str, Any]:
    with site.world.container.uow() as uow:
        entries = [e for e in uow.consent_ledger.entries()
                   if e.event == LedgerEvent.COOKIE_CHOICE.value and e.consent_id == choice_id]
    assert len(entries) == 1
    evidence: dict[str, Any] = dict(entries[0].payload["evidence"])
    return evidence


def _third_party(sent: list[str], offline: OfflineGuard) -> list[str]:
    return [u for u in sent if not _is_loopback(u)] + offline.attempted


def test_reject_all_runs_nothing_and_nothing_leaves_the_page(
        site: Site, page: Page, sent: list[str], offline: OfflineGuard) -> None:
    _demo(site, page)
    dialog = page.get_by_role("dialog", name="Cookies on this site")
    assert dialog.is_visible()
    boxes = [dialog.get_by_role("button", name=n, exact=True) for n in BUTTONS["en"]]
    looks = [b.evaluate("b => { const s = getComputedStyle(b); return [s.backgroundColor, "
                        "s.color, s.fontSize, s.fontWeight, s.borderWidth, "
                        "Math.round(b.getBoundingClientRect().height)]; }") for b in boxes]
    assert looks[0] == looks[1] == looks[2]  # equal weight: no answer is pushed
    done = _answer(page, boxes[1].click)
    assert not dialog.is_visible()
    page.get_by_role("button", name="Add an analytics script").click()
    page.wait_for_timeout(300)
    assert _ran(page) == {}
    assert page.locator("iframe[data-category=marketing]").get_attribute("src") is None
    assert _third_party(sent, offline) == []
    evidence = _recorded(site, done["choice_id"])
    assert evidence["action"] == "reject_all" and evidence["allowed"] == []
    # The answer is remembered: no prompt on the next page.
    page.reload()
    page.wait_for_function("() => window.derbesBanner !== undefined")
    assert page.get_by_role("dialog").count() == 0
    assert _ran(page) == {}


def test_accepting_analytics_runs_it_and_a_late_script_then_withdrawal_stops_it(
        site: Site, page: Page, sent: list[str], offline: OfflineGuard) -> None:
    _demo(site, page)
    page.get_by_role("button", name="Choose", exact=True).click()
    page.get_by_label("Analytics").check()
    done = _answer(page, page.get_by_role("button", name="Save my choice").click)
    page.wait_for_function("() => window.derbesDemo && window.derbesDemo.analytics === 1")
    page.get_by_role("button", name="Add an analytics script").click()
    page.wait_for_function("() => window.derbesDemo.late === 1")
    # Marketing stays refused: the partner's frame is never fetched.
    assert _third_party(sent, offline) == []
    assert _recorded(site, done["choice_id"])["allowed"] == ["analytics"]
    # Withdrawal through "Cookie settings": the page reloads without the analytics.
    page.get_by_role("button", name="Cookie settings").click()
    page.get_by_role("button", name="Choose", exact=True).click()
    page.get_by_label("Analytics").uncheck()
    visitor = page.evaluate("() => document.cookie.match(/derbes_vid=([0-9a-f-]+)/)[1]")
    with page.expect_navigation(), page.expect_request(
            lambda r: r.url.endswith("/choices")) as withdrawn:
        page.get_by_role("button", name="Save my choice").click()
    # The script reloads at once (a script that ran cannot be unloaded otherwise);
    # keepalive carries the withdrawal to the server all the same.
    assert '"categories":[]' in (withdrawn.value.post_data or "")
    page.wait_for_function("() => window.derbesBanner !== undefined")
    assert _ran(page) == {}
    assert page.locator("script[data-derbes-ran]").count() == 0
    assert page.get_by_role("dialog").count() == 0
    page.wait_for_timeout(300)
    with site.world.container.uow() as uow:
        answers = [e.payload["evidence"]["allowed"]
                   for e in uow.consent_ledger.for_subject(visitor)]
    assert answers == [["analytics"], []]


def test_accept_all_releases_the_third_party_frame(
        site: Site, page: Page, offline: OfflineGuard) -> None:
    _demo(site, page)
    _answer(page, page.get_by_role("button", name="Accept all").click)
    page.wait_for_function("() => window.derbesDemo && window.derbesDemo.analytics === 1")
    page.wait_for_timeout(300)
    assert any("ads.example.net" in u for u in offline.attempted)


def test_global_privacy_control_answers_without_a_prompt(
        site: Site, context: BrowserContext, offline: OfflineGuard) -> None:
    context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', "
        "{get: () => true})")
    page = context.new_page()
    with page.expect_response(lambda r: r.url.endswith("/choices")) as got:
        page.goto(site.url(f"/banner/{OPERATOR}/demo?lang=kk"))
    assert got.value.status == 201
    assert page.get_by_role("dialog").count() == 0
    page.get_by_role("button", name="Аналитикалық скрипт қосу").click()
    page.wait_for_timeout(300)
    assert _ran(page) == {}
    assert offline.attempted == []
    evidence = _recorded(site, got.value.json()["choice_id"])
    assert evidence["action"] == "gpc" and evidence["gpc"] is True
    assert "analytics" in evidence["refused"] and "marketing" in evidence["refused"]


def test_keyboard_only(site: Site, page: Page) -> None:
    _demo(site, page)
    focused = "() => document.activeElement && document.activeElement.textContent"
    assert page.evaluate(focused) == "Accept all"
    page.keyboard.press("Tab")
    assert page.evaluate(focused) == "Reject all"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Choose
    assert page.evaluate("() => document.activeElement.type") == "checkbox"
    page.keyboard.press("Escape")  # back to the three answers
    assert page.evaluate(focused) == "Accept all"
    page.keyboard.press("Tab")
    _answer(page, lambda: page.keyboard.press("Enter"))
    assert page.evaluate(focused) == "Cookie settings"


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_axe_finds_no_serious_violation(site: Site, page: Page, lang: str) -> None:
    _demo(site, page, lang)
    accept, _, choose = BUTTONS[lang]
    assert page.get_by_role("button", name=accept).is_visible()
    axe(page)
    page.get_by_role("button", name=choose, exact=True).click()
    axe(page)


KEYS = ["strictly_necessary:strictly_necessary", "functional:functional",
        "analytics:analytics_first_party", "analytics:analytics_third_party",
        "marketing:marketing_third_party"]


@pytest.mark.parametrize(("age_days", "seen", "asks"), [
    (10, KEYS, False),
    (366, KEYS, True),  # older than the register's limit (seed 002 p.8.1: one year)
    (10, KEYS[:-1], True),  # the cookie list widened since
])
def test_asks_again_when_the_answer_is_old_or_the_list_widened(
        site: Site, context: BrowserContext, age_days: int, seen: list[str],
        asks: bool) -> None:
    page = context.new_page()
    _demo(site, page)  # the origin, to set its cookie
    at = page.evaluate(f"() => Date.now() - {age_days} * 864e5")
    stored = {"v": "old", "seen": seen, "cats": ["analytics"], "at": at, "id": "x"}
    context.add_cookies([{"name": f"derbes_consent_{OPERATOR}", "url": site.url("/"),
                          "value": quote(json.dumps(stored))}])
    _demo(site, page)
    assert (page.get_by_role("dialog").count() == 1) is asks
    assert (_ran(page).get("analytics") == 1) is not asks

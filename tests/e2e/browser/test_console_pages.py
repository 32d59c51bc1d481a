"""Every page of the console in Chromium, as a DPO of express-avans reading Russian:
axe-core finds no serious or critical violation on any (WCAG 2.1 AA barriers: contrast,
names and labels, landmarks, headings, table headers, languages), and the main pages are
photographed at 1280×900, one also at a phone's width (``make screenshots`` writes them
into docs/console/, which docs/console.md shows).

The installation here is its own (not the shared ``site``): its clock starts five weeks
before "today", so that some requests are overdue when the pages are seen, as on a real
Monday morning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from derbes.platform.clock import FixedClock
from tests.api_world import make_world
from tests.browser_support import (
    VIEWPORT,
    OfflineGuard,
    Site,
    axe,
    console_sign_in,
    live_site,
    png_size,
    screenshot,
)
from tests.console_support import file_request
from tests.load_support import OPERATOR, adult_iin, consent_body, subject_body
from tests.staff_support import Staffer, add

PHONE = {"width": 390, "height": 844}
FIRST = 7001  # the subjects' numbers (tests.load_support), distinct from other tests'


@dataclass
class Shown:
    """The installation the pages show, and what was made in it."""

    site: Site
    officer: Staffer
    subject: str
    received: str  # an access request not yet verified
    answered: str  # an access request answered, its letter ready
    destruction: str  # a destruction request (its dry run)


def _make(site: Site) -> Shown:
    api = site.world.client()
    subjects = []
    for n in range(FIRST, FIRST + 3):
        made = api.post("/v1/subjects", json=subject_body(n))
        assert made.status_code == 201, made.text
        subjects.append(made.json()["subject_id"])
        given = api.post("/v1/consents", json=consent_body(subjects[-1], n))
        assert given.status_code in (200, 201), given.text
    for kind, lang in (("access", "kk"), ("blocking", "ru"), ("complaint", "en")):
        file_request(site.world, kind, operator=OPERATOR, language=lang)
    clock = site.world.container.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(days=35))  # the first requests are now overdue
    detected = clock.now() - timedelta(days=2)  # not notified yet: past its term
    incident = api.post("/v1/incidents", json={
        "operator": OPERATOR, "detected_at": detected.isoformat(), "source": "staff_report",
        "summary": "Ноутбук с выгрузкой клиентской базы утерян", "subject_count": 120,
        "categories": ["identity.iin", "contact.phone"]})
    assert incident.status_code == 201, incident.text
    answered = file_request(site.world, "access", operator=OPERATOR, language="kk")
    received = file_request(site.world, "access", operator=OPERATOR, language="ru")
    destruction = file_request(site.world, "destruction", operator=OPERATOR, language="ru")
    officer = add(site.world, "security.pages@express-avans.kz", (OPERATOR, "security_officer"))
    return Shown(site, officer, subjects[0], received, answered, destruction)


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shown]:
    world = make_world(tmp_path_factory.mktemp("console-pages"))
    clock = world.container.clock
    assert isinstance(clock, FixedClock)
    clock.set(clock.now() - timedelta(days=35))
    try:
        with live_site(world, "dpo.pages@express-avans.kz", OPERATOR) as site:
            yield _make(site)
    finally:
        world.close()


@pytest.fixture(scope="module")
def guard() -> OfflineGuard:
    return OfflineGuard()


@pytest.fixture(scope="module")
def dpo_context(browser: Browser, shown: Shown, guard: OfflineGuard
                ) -> Iterator[BrowserContext]:
    """One DPO session, in Russian, for every page; the answered request answered in it."""
    created = browser.new_context(viewport=VIEWPORT, locale="ru-RU")
    guard.install(created)
    page = created.new_page()
    console_sign_in(page, shown.site, lang="ru")
    page.goto(shown.site.url(f"/console/{OPERATOR}/requests/{shown.answered}"))
    page.fill("#document_ref", "ID 045678912")
    page.fill("#verify-reason", "Удостоверение личности предъявлено, фото совпадает")
    page.locator("form[action$='/verify'] button").click()
    page.locator("form[action$='/answer'] button").click()
    page.wait_for_url("**done=answered")
    page.close()
    try:
        yield created
    finally:
        created.close()


def _url(shown: Shown, path: str) -> str:
    return shown.site.url(f"/console/{OPERATOR}/{path}")


def _find(page: Page, shown: Shown) -> None:
    page.goto(_url(shown, "subjects"))
    page.fill("#lookup-value", adult_iin(FIRST))
    page.locator("form[action$='/subjects/find'] button").click()
    page.wait_for_url("**/subjects/find")


def _reveal(page: Page, shown: Shown) -> None:
    page.goto(_url(shown, f"subjects/{shown.subject}"))
    row = page.locator("tr", has=page.get_by_role("cell", name="identity.full_name", exact=True))
    row.locator("summary").click()
    row.locator("textarea").fill("Сверка ФИО по обращению субъекта")
    row.locator("button[type=submit]").click()
    page.wait_for_url("**/reveal")


def _verify_chains(page: Page, shown: Shown) -> None:
    page.goto(_url(shown, "audit"))
    page.locator("form[action$='/audit/verify'] button").click()
    page.wait_for_url("**/audit/verify")


def _go(path: Callable[[Shown], str]) -> Callable[[Page, Shown], None]:
    return lambda page, shown: page.goto(_url(shown, path(shown)))


def _framed(path: Callable[[Shown], str]) -> Callable[[Page, Shown], None]:
    """A document the console frames under ``sandbox`` (letter, notice): Chromium runs no
    script in it, not even axe, so its markup is checked as the page's own content."""
    def load(page: Page, shown: Shown) -> None:
        answer = page.request.get(_url(shown, path(shown)))
        assert answer.ok and "sandbox" in answer.headers["content-security-policy"]
        page.set_content(answer.text())
    return load


# name → how to reach the page; the name is also its screenshot's, for the main pages.
PAGES: dict[str, Callable[[Page, Shown], None]] = {
    "today": _go(lambda s: "today"),
    "requests": _go(lambda s: "requests"),
    "requests-filtered": _go(lambda s: "requests?state=received&type=access&overdue=1"),
    "request": _go(lambda s: f"requests/{s.received}"),
    "request-answered": _go(lambda s: f"requests/{s.answered}"),
    "letter-preview": _framed(lambda s: f"requests/{s.answered}/letter?format=html&lang=kk"),
    "dry-run": _go(lambda s: f"requests/{s.destruction}/dry-run"),
    "subjects": _go(lambda s: "subjects"),
    "subjects-found": _find,
    "subject": _go(lambda s: f"subjects/{s.subject}"),
    "subject-revealed": _reveal,
    "consents": _go(lambda s: f"subjects/{s.subject}/consents"),
    "audit": _go(lambda s: "audit"),
    "audit-verified": _verify_chains,
    "registers": _go(lambda s: "registers"),
    "notice": _framed(lambda s: "registers/notice?lang=kk"),
    "retention": _go(lambda s: "retention"),
    "people": _go(lambda s: "people"),
    "not-found": _go(lambda s: "requests/00000000-0000-0000-0000-000000000000"),
}
SHOTS = {"today", "requests", "request", "request-answered", "subjects", "subject",
         "audit", "retention", "people"}


def _clean(page: Page) -> None:
    """Not even a moderate or minor finding (landmarks, heading order) on these pages."""
    assert [(v["id"], v["impact"]) for v in axe(page)] == []


@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_passes_axe(dpo_context: BrowserContext, shown: Shown, guard: OfflineGuard,
                              name: str) -> None:
    page = dpo_context.new_page()
    try:
        PAGES[name](page, shown)
        page.wait_for_load_state("load")
        _clean(page)
        if name in SHOTS:
            assert png_size(screenshot(page, f"console-{name}")) == (
                VIEWPORT["width"], VIEWPORT["height"])
    finally:
        page.close()
    assert guard.attempted == []


def test_the_pages_a_person_sees_before_and_without_a_session(page: Page, shown: Shown,
                                                              offline: OfflineGuard) -> None:
    page.goto(shown.site.url("/console/sign-in?lang=ru"))
    _clean(page)
    screenshot(page, "console-sign-in")
    page.goto(shown.site.url("/console/sign-in?lang=kk&done=out"))
    _clean(page)
    assert offline.attempted == []


def test_people_and_keys_as_the_security_officer(page: Page, shown: Shown) -> None:
    """The officer's People page carries the forms the DPO's does not: grant, revoke,
    API keys (and a created key's token, shown once)."""
    console_sign_in(page, shown.site, shown.officer, "kk")
    page.goto(_url(shown, "people"))
    _clean(page)
    page.fill("#key-name", "crm-sync")
    page.locator("#scope-read").check()
    page.fill("#key-expires", "2027-01-01")
    page.locator("form[action$='/keys'] button[type=submit]").click()
    assert page.locator(".notice.warn .token").is_visible()
    _clean(page)


def test_today_at_a_phone_width(browser: Browser, shown: Shown) -> None:
    phone = browser.new_context(viewport=PHONE, locale="kk-KZ", is_mobile=True,
                                has_touch=True, device_scale_factor=1)
    try:
        page = phone.new_page()
        # A DPO of their own: the site's DPO keeps the Russian they chose for the other pages.
        reader = shown.site.staffer("dpo.phone@express-avans.kz", operator=OPERATOR)
        console_sign_in(page, shown.site, reader, lang="kk")
        _clean(page)
        shot = screenshot(page, "console-today-phone")
        assert png_size(shot) == (PHONE["width"], PHONE["height"])
        # Nothing wider than the screen: no sideways scrolling to read the page.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        phone.close()

"""An incident from the console in Chromium, as the DPO of kassa24 reading Kazakh: a form
with a mistake comes back with it next to the field; the incident is opened, the notice
downloaded in Russian (PDF) and Kazakh (JSON), its sending recorded, the breach
contained, the incident closed with measures and lessons; the Today page shows its
clock meanwhile; the compliance pack is downloaded from its page in one click. axe-core
finds nothing serious on any of these pages, and nothing leaves the machine."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests.browser_support import (
    OfflineGuard,
    Site,
    axe,
    console_sign_in,
    screenshot,
    screenshot_dir,
)

OPERATOR = "kassa24"


def _clean(page: Page) -> None:
    assert [(v["id"], v["impact"]) for v in axe(page)] == []


def _download(page: Page, link: str) -> bytes:
    with page.expect_download() as started:
        page.locator(link).first.click()
    assert started.value.suggested_filename.endswith((".pdf", ".json"))
    return started.value.path().read_bytes()


def test_open_notify_contain_close_and_the_compliance_pack(page: Page, site: Site,
                                                           offline: OfflineGuard) -> None:
    console_sign_in(page, site, lang="kk")
    page.goto(site.url(f"/console/{OPERATOR}/incidents"))
    _clean(page)
    detected = (site.world.container.clock.now() - timedelta(hours=3)).astimezone(
        ZoneInfo("Asia/Almaty")).strftime("%Y-%m-%dT%H:%M")
    page.fill("#detected_at", detected)
    page.select_option("#source", "processor_report")
    page.select_option("#severity", "high")
    page.fill("#categories", "identity.iin, contact.phone")
    page.fill("#subject_count", "көп")
    page.locator("form[action$='/incidents'] button[type=submit]").click()
    expect(page.locator("#summary-error")).to_be_visible()
    expect(page.locator("#subject_count-error")).to_be_visible()
    expect(page.locator("#categories")).to_have_value("identity.iin, contact.phone")
    _clean(page)
    page.locator("#detected_at").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, document.querySelector('#open').getBoundingClientRect().top - 20)")
    screenshot(page, "console-incident-form-errors")

    page.fill("#summary", "Өңдеуші клиенттер базасының үзіндісі ашық қалғанын хабарлады")
    page.fill("#subject_count", "1200")
    page.fill("#measures_taken", "Өңдеушінің қол жеткізуі жабылды")
    page.locator("form[action$='/incidents'] button[type=submit]").click()
    page.wait_for_url("**done=opened")
    incident = page.url.split("/incidents/")[1].split("?")[0]
    _clean(page)
    screenshot(page, "console-incident")

    page.goto(site.url(f"/console/{OPERATOR}/today"))
    expect(page.locator("#open-incidents")).to_be_visible()
    expect(page.get_by_text(incident[:8])).to_be_visible()
    expect(page.get_by_text("Law No. 94-V Art. 25 p.2 sp.8", exact=False).first).to_be_visible()
    _clean(page)
    screenshot(page, "console-today-incidents")
    page.goto(site.url(f"/console/{OPERATOR}/incidents"))
    screenshot(page, "console-incidents")

    page.goto(site.url(f"/console/{OPERATOR}/incidents/{incident}"))
    pdf = _download(page, "a[href*='format=pdf'][lang=ru]")
    assert pdf.startswith(b"%PDF")
    notice = json.loads(_download(page, "a[href*='format=json'][lang=kk]"))
    assert notice["lang"] == "kk" and notice["subjects"] == 1200
    page.locator("form:has(input[name=move][value=notify]) button").click()
    page.wait_for_url("**done=notify")
    page.locator("form:has(input[name=move][value=contain]) button").click()
    page.wait_for_url("**done=contain")
    page.fill("#close-lessons", "Өңдеушілердің үзінділерін апта сайын тексеру")
    page.locator("form:has(input[name=move][value=close]) button").click()
    page.wait_for_url("**done=close")
    expect(page.locator("ol.timeline li")).to_have_count(4)
    _clean(page)
    screenshot(page, "console-incident-closed")

    page.goto(site.url(f"/console/{OPERATOR}/compliance"))
    page.fill("#rp-name", "Айгерім Сәдуақасова")
    page.fill("#rp-position", "Комплаенс қызметінің басшысы")
    page.fill("#rp-email", "dpo@kassa24.kz")
    page.fill("#rp-appointed_on", "2025-09-01")
    page.fill("#rp-document", "Бұйрық № 12-к")
    page.locator("form[action$='/compliance/responsible'] button").click()
    page.wait_for_url("**done=appointed")
    _clean(page)
    screenshot(page, "console-compliance")
    pack = _download(page, "form[action$='/compliance/pack'] button")
    assert pack.startswith(b"%PDF")
    # Kept beside the screenshots, to be looked at as pages (pdftoppm).
    (screenshot_dir() / "compliance-pack-kk.pdf").write_bytes(pack)
    assert offline.attempted == []

"""Revealing a subject's value in Chromium, in ru, kk and en: found by IIN, masked on its page,
refused without a reason (by the browser when empty, by derbes when only blanks), then
shown for a reason that the access audit log keeps and the Audit page lists."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from derbes.platform.i18n import gettext
from tests.browser_support import OfflineGuard, Site, axe, console_sign_in
from tests.console_support import audit_actions
from tests.load_support import OPERATOR, adult_iin, subject_body

NUMBER = {"ru": 4242, "kk": 4243, "en": 4244}  # each language's subject (tests.load_support)
REASONS = {"ru": "Субъект позвонил на горячую линию, сверка ИИН по обращению",
           "kk": "Субъект қоңырау шалды, өтініш бойынша ЖСН-ді салыстыру",
           "en": "The subject called the hotline: checking the IIN of their request"}


def _reads(site: Site, actor: str) -> list[dict[str, object]]:
    return [details for who, action, details in audit_actions(site.world)
            if action == "subject.read" and who == actor]


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_a_value_is_revealed_only_for_a_reason_and_the_read_is_audited(
        page: Page, site: Site, offline: OfflineGuard, lang: str) -> None:
    iin, reason_given = adult_iin(NUMBER[lang]), REASONS[lang]
    made = site.world.client().post("/v1/subjects", json=subject_body(NUMBER[lang]))
    assert made.status_code == 201, made.text
    subject_id = made.json()["subject_id"]
    person = site.staffer(f"dpo.reveal.{lang}@express-avans.kz", operator=OPERATOR)
    actor = f"staff:{person.id}"
    console_sign_in(page, site, person, lang)

    page.get_by_role("link", name=gettext(lang, "Data subjects")).click()
    page.select_option("#lookup-kind", "iin")
    page.fill("#lookup-value", iin)
    page.get_by_role("button", name=gettext(lang, "Find")).click()
    assert iin not in page.url
    page.locator(f'a[href$="/subjects/{subject_id}"]').click()
    page.wait_for_url(f"**/subjects/{subject_id}")
    assert iin not in page.content()

    row = page.locator("tr", has=page.get_by_role("cell", name="identity.iin", exact=True))
    row.get_by_text(gettext(lang, "Reveal"), exact=True).first.click()  # the <summary>
    reason = row.get_by_label(gettext(lang, "Reason"))
    reveal = row.get_by_role("button", name=gettext(lang, "Reveal"))

    # Empty: the browser keeps the form (the field is required), nothing is sent.
    reveal.click()
    assert reason.evaluate("field => field.validity.valueMissing") is True
    assert page.url.endswith(f"/subjects/{subject_id}")
    # Blanks pass the browser; derbes refuses them before anything is read.
    reason.fill("   ")
    reveal.click()
    page.wait_for_url(f"**/subjects/{subject_id}/reveal")
    assert gettext(lang, "State the reason: it is kept with the change.") in page.content()
    assert iin not in page.content()
    assert _reads(site, actor) == []

    page.go_back()
    row = page.locator("tr", has=page.get_by_role("cell", name="identity.iin", exact=True))
    row.get_by_text(gettext(lang, "Reveal"), exact=True).first.click()
    row.get_by_label(gettext(lang, "Reason")).fill(reason_given)
    row.get_by_role("button", name=gettext(lang, "Reveal")).click()

    assert page.locator("#revealed").inner_text() == iin
    assert iin not in page.url
    axe(page)
    [read] = _reads(site, actor)
    assert read["reason"] == reason_given

    # The Audit page lists the read, by its actor and action.
    page.get_by_role("link", name=gettext(lang, "Audit")).click()
    page.fill("#f-actor", actor)
    page.fill("#f-action", "subject.read")
    page.get_by_role("button", name=gettext(lang, "Show")).click()
    log = page.get_by_role("region", name=gettext(lang, "Access audit log"))
    rows = log.locator("tbody tr")
    assert rows.count() == 1
    assert "subject.read" in rows.first.inner_text()
    assert actor in rows.first.inner_text()
    assert iin not in page.content()
    assert offline.attempted == []

"""Publishing a register change in Chromium, in ru, kk and en: the DPO uploads a version
that adds a data category to a consent purpose, reads the change with its line and
citation and how many consents it asks again, is stopped by the browser until the
confirmation is ticked, publishes, and sees the count on the Registers page; a broken
file answers with its line and field. axe-core finds nothing on any of these pages; the
comparison and the errors are photographed (Russian, as the other console screenshots).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from derbes.console.service.registers import PUBLISH_ACTION
from derbes.platform.i18n import gettext
from tests.api_world import make_world
from tests.browser_support import (
    OfflineGuard,
    Site,
    axe,
    console_sign_in,
    live_site,
    screenshot,
    screenshot_dir,
)
from tests.console_support import audit_actions
from tests.load_support import OPERATOR, consent_body, subject_body

# One consent purpose per language: the changes touch distinct lines, so the tests
# may run in any order, each on the version the one before it published.
WIDENED = {
    "ru": ("categories: [identity.full_name, identity.iin, financial.credit_history]",
           "contact.phone"),
    "kk": ("categories: [identity.full_name, identity.iin, financial.pension_contributions]",
           "contact.email"),
    "en": ("categories: [identity.full_name, identity.iin, financial.credit_history]",
           "contact.email"),
}
FIRST = {"ru": 8201, "kk": 8202, "en": 8203}  # each test's subject (tests.load_support)


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    world = make_world(tmp_path_factory.mktemp("console-register"))
    try:
        with live_site(world, "dpo.register@express-avans.kz", OPERATOR) as site:
            yield site
    finally:
        world.close()


def _in_force(site: Site) -> str:
    with site.world.container.uow() as uow:
        found = uow.registers.latest(OPERATOR)
        assert found is not None
        return found.source_text


def _consenting_subject(site: Site, n: int) -> None:
    api = site.world.client()
    made = api.post("/v1/subjects", json=subject_body(n))
    assert made.status_code == 201, made.text
    given = api.post("/v1/consents", json=consent_body(made.json()["subject_id"], n))
    assert given.status_code in (200, 201), given.text


def _clean(page: Page) -> None:
    assert [(v["id"], v["impact"]) for v in axe(page)] == []


def _open_change(page: Page, site: Site, lang: str) -> None:
    page.get_by_role("link", name=gettext(lang, "Registers")).click()
    page.get_by_role("link", name=gettext(lang, "Publish a new version")).click()
    page.wait_for_url("**/registers/change")
    _clean(page)


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_a_dpo_publishes_a_widening_version(page: Page, shown: Site, offline: OfflineGuard,
                                            lang: str) -> None:
    site = shown
    _consenting_subject(site, FIRST[lang])
    line, added = WIDENED[lang]
    text = _in_force(site)
    if f"{added}]" in text.split(line[:-1], 1)[1].split("\n", 1)[0]:
        pytest.fail("the change of this language is already published")
    wider = text.replace(line[:-1], f"{line[:-1]}, {added}", 1)
    assert wider != text
    person = site.staffer(f"dpo.register.{lang}@express-avans.kz")
    console_sign_in(page, site, person, lang)
    _open_change(page, site, lang)

    page.set_input_files("#register-file", files=[{
        "name": "express-avans.yaml", "mimeType": "application/yaml",
        "buffer": wider.encode("utf-8")}])
    page.get_by_role("button", name=gettext(lang, "Compare with the version in force")).click()
    page.wait_for_url("**/registers/diff")
    content = page.content()
    assert gettext(lang, "Data category added to a purpose") in content
    assert f"<code>{added}</code>" in content and "Law 94-V Art. 8" in content
    impact = page.get_by_role("region", name=gettext(lang, "Re-consent impact"))
    assert gettext(lang, "Consents that stop counting when you publish, until the subject "
                         "consents again: %(consents)s. Subjects who gave them: %(subjects)s."
                   ) % {"consents": 1, "subjects": 1} in impact.inner_text()
    _clean(page)
    if lang == "ru":  # the whole page: the impact, the change and the confirmation
        target = screenshot_dir() / "console-register-diff.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target), full_page=True)

    publish = page.get_by_role("button", name=gettext(lang, "Publish this version"))
    publish.click()  # not confirmed: the browser keeps the form
    assert page.locator("#confirm-publish").evaluate("box => box.validity.valueMissing")
    assert page.url.endswith("/registers/diff")
    assert _in_force(site) == text

    page.locator("#confirm-publish").check()
    publish.click()
    page.wait_for_url("**/registers?done=published&marked=1")
    status = page.get_by_role("status")
    assert status.inner_text() == gettext(
        lang, "The version is published. Consents now waiting for a re-consent: %(count)s."
    ) % {"count": 1}
    _clean(page)
    assert _in_force(site) == wider
    assert any(action == PUBLISH_ACTION and who == f"staff:{person.id}"
               for who, action, _ in audit_actions(site.world))
    assert offline.attempted == []


def test_a_broken_file_is_answered_with_its_line_and_field(page: Page, shown: Site,
                                                           offline: OfflineGuard) -> None:
    site = shown
    person = site.staffer("dpo.register.errors@express-avans.kz")
    console_sign_in(page, site, person, "kk")
    _open_change(page, site, "kk")
    before = _in_force(site)
    broken = before.replace("  - id: credit_bureau_inquiry", "  - id: 42", 1)
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if "- id: 42" in text)
    page.fill("#register-text", broken)
    page.get_by_role("button", name=gettext("kk", "Compare with the version in force")).click()
    page.wait_for_url("**/registers/diff")
    alert = page.get_by_role("alert")
    assert gettext("kk", "The register does not load: nothing was compared or published") in (
        alert.inner_text())
    row = alert.locator("tbody tr").first
    assert row.locator("td").nth(0).inner_text() == str(line)
    assert row.locator("td").nth(1).inner_text() == "purposes[7].id"
    # The text stays in the form, to be corrected there.
    assert "- id: 42" in page.locator("#register-text").input_value()
    _clean(page)
    screenshot(page, "console-register-errors")
    assert _in_force(site) == before
    assert offline.attempted == []

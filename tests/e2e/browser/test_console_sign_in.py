"""Signing in to the console in Chromium, in Russian, Kazakh and English: the form, a
wrong one-time code refused in the reader's language, the right one opening Today; and
the language a person picks kept across sign-out and a new browser.

Each test signs in a person of its own (the site is shared, a person's language is not).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from derbes.platform.i18n import gettext
from tests.browser_support import VIEWPORT, OfflineGuard, Site, axe, console_sign_in
from tests.staff_support import PASSWORD

LANGS = ["ru", "kk", "en"]
_WRONG = ("Wrong login, password or one-time code. Check them and try again; after several "
          "failed attempts the account is locked for a while.")
# A word of each language's own alphabet on the sign-in page, so that a page falling back
# to another language's text cannot pass by its lang attribute alone.
_SIGN_IN = {"ru": "Вход", "kk": "Кіру", "en": "Sign in"}


@pytest.mark.parametrize("lang", LANGS)
def test_a_wrong_code_is_refused_clearly_and_the_right_one_opens_today(
        page: Page, site: Site, offline: OfflineGuard, lang: str) -> None:
    person = site.staffer(f"dpo.signin.{lang}@kassa24.kz")
    page.goto(site.url(f"/console/{site.operator}/requests"))
    assert "/console/sign-in?next=" in page.url  # no session: the sign-in page first
    page.goto(site.url(f"/console/sign-in?lang={lang}"))
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("h1").inner_text() == _SIGN_IN[lang]

    page.fill("#login", person.login)
    page.fill("#password", PASSWORD)
    good = site.totp(person)
    page.fill("#totp", f"{(int(good) + 1) % 1_000_000:06d}")
    page.locator("main button[type=submit]").click()

    alert = page.get_by_role("alert")
    assert alert.inner_text() == gettext(lang, _WRONG)
    assert page.locator("html").get_attribute("lang") == lang
    # What was typed stays, except the secrets.
    assert page.input_value("#login") == person.login
    assert page.input_value("#password") == ""
    assert page.context.cookies() == []
    axe(page)

    page.fill("#password", PASSWORD)
    page.fill("#totp", site.totp(person))
    page.locator("main button[type=submit]").click()

    page.wait_for_url(f"**/console/{site.operator}/today")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("h1").inner_text().startswith(gettext(lang, "Today"))
    assert page.get_by_role("navigation", name=gettext(lang, "Pages")).is_visible()
    assert offline.attempted == []


def test_the_language_picked_is_kept_after_signing_out_and_in_elsewhere(
        page: Page, site: Site, browser: Browser) -> None:
    """English browser (Accept-Language en-US): the person switches to Kazakh, signs
    out, and a new browser profile, still asking for English, opens in Kazakh."""
    person = site.staffer("dpo.language@kassa24.kz")
    console_sign_in(page, site, person)
    assert page.locator("html").get_attribute("lang") == "en"

    page.select_option("#language-switch", "kk")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(f"**/console/{site.operator}/today")
    assert page.locator("html").get_attribute("lang") == "kk"
    assert page.locator("h1").inner_text().startswith(gettext("kk", "Today"))

    page.get_by_role("button", name=gettext("kk", "Sign out")).click()
    page.wait_for_url("**/console/sign-in**")
    assert page.get_by_role("status").inner_text() == gettext("kk", "You have signed out.")
    assert page.context.cookies() == []

    elsewhere = browser.new_context(viewport=VIEWPORT, locale="en-US")
    try:
        fresh = elsewhere.new_page()
        console_sign_in(fresh, site, person)
        assert fresh.locator("html").get_attribute("lang") == "kk"
        assert fresh.locator("h1").inner_text().startswith(gettext("kk", "Today"))
        fresh.goto(site.url(f"/console/{site.operator}/requests"))
        assert fresh.locator("h1").inner_text() == gettext("kk", "Requests")
    finally:
        elsewhere.close()

"""Revoking a person in Chromium, in ru, kk and en: a request handler works in one browser, the
security officer (the role that ends access; the DPO's roles do not hold staff.manage,
data/staff_roles.yaml) revokes the role on People and keys in another, and the handler's next page load
lands on the sign-in page (their session ended with the role; Order 179/НҚ and the
operators' policies ask for access to end at once on dismissal)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from derbes.platform.i18n import gettext
from tests.browser_support import VIEWPORT, OfflineGuard, Site, console_sign_in
from tests.console_support import audit_actions


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_a_revoked_person_is_sent_to_sign_in_on_their_next_page(
        page: Page, site: Site, browser: Browser, offline: OfflineGuard, lang: str) -> None:
    officer = site.staffer(f"security.people.{lang}@kassa24.kz", role="security_officer")
    handler = site.staffer(f"handler.leaving.{lang}@kassa24.kz", role="request_handler")
    theirs = browser.new_context(viewport=VIEWPORT, locale="en-US")
    try:
        other = theirs.new_page()
        console_sign_in(other, site, handler, lang)
        other.get_by_role("link", name=gettext(lang, "Requests")).click()
        other.wait_for_url(f"**/console/{site.operator}/requests")
        assert other.locator("h1").inner_text() == gettext(lang, "Requests")

        console_sign_in(page, site, officer, lang)
        page.get_by_role("link", name=gettext(lang, "People and keys")).click()
        page.get_by_role("button", name=gettext(lang, "Revoke the role of %(name)s") % {
            "name": f"Person {handler.login}"}).click()
        assert page.get_by_role("status").inner_text() == gettext(
            lang, "The role is revoked; the person's sessions and API keys have ended.")
        assert page.get_by_role("cell", name=handler.login).count() == 0

        other.reload()
        assert "/console/sign-in?done=ended&next=" in other.url
        assert other.locator("h1").inner_text() == gettext("en", "Sign in")
        assert gettext("en", "Your session has ended: sign in again.") in other.content()
        other.goto(site.url(f"/console/{site.operator}/requests"))
        assert "/console/sign-in?done=ended&next=" in other.url
    finally:
        theirs.close()
    revoked = [details for actor, action, details in audit_actions(site.world)
               if actor == f"staff:{officer.id}" and action == "staff.revoke"]
    assert [(d["person_id"], d["role"]) for d in revoked] == [(handler.id, "request_handler")]
    # Each use of the dead cookie is refused and recorded under the handler.
    assert [d["reason"] for actor, action, d in audit_actions(site.world)
            if actor == f"staff:{handler.id}" and d.get("event") == "session_refused"] == [
        "revoked", "revoked"]
    assert offline.attempted == []

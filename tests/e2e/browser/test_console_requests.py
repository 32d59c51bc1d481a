"""An access request handled in Chromium from the inbox to the downloaded letter, in
Russian, Kazakh and English: the request is filed through the API (as the operator's
site would), the person verifies the requester's identity in the page, answers, and
downloads the letter, a PDF in the language chosen."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import Page
from pypdf import PdfReader

from derbes.platform.i18n import gettext
from tests.browser_support import OfflineGuard, Site, console_sign_in
from tests.console_support import file_request

LANGS = ["ru", "kk", "en"]
_KAZAKH_LETTERS = re.compile("[әғқңөұүһі]", re.IGNORECASE)
_CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def _written_in(text: str, lang: str) -> bool:
    """Whether a letter's text is in ``lang``: Kazakh has its own letters, Russian is
    Cyrillic without them, English has no Cyrillic at all."""
    if lang == "kk":
        return len(_KAZAKH_LETTERS.findall(text)) >= 20
    if lang == "ru":
        return len(_CYRILLIC.findall(text)) >= 100 and not _KAZAKH_LETTERS.search(text)
    return not _CYRILLIC.search(text)


@pytest.mark.parametrize("lang", LANGS)
def test_an_access_request_from_the_inbox_to_its_letter(page: Page, site: Site,
                                                         offline: OfflineGuard,
                                                         lang: str) -> None:
    request_id = file_request(site.world, "access", operator=site.operator, language=lang)
    person = site.staffer(f"dpo.requests.{lang}@kassa24.kz")
    console_sign_in(page, site, person, lang)

    page.get_by_role("navigation", name=gettext(lang, "Pages")).get_by_role(
        "link", name=gettext(lang, "Requests")).click()
    page.select_option("#f-state", "received")
    page.get_by_role("button", name=gettext(lang, "Show")).click()
    page.get_by_role("link", name=request_id[:8], exact=True).click()
    page.wait_for_url(f"**/requests/{request_id}")
    assert request_id[:8] in page.locator("h1").inner_text()

    # Identity first: nothing is answered before the requester is identified.
    assert page.get_by_role("button", name=gettext(lang, "Execute and answer")).count() == 0
    page.fill("#document_ref", "ID card 045678912")
    page.fill("#verify-reason", "Document seen at the front desk, photo matches")
    page.get_by_role("button", name=gettext(lang, "Confirm identity")).click()
    assert page.get_by_role("status").inner_text() == gettext(
        lang, "The requester's identity is confirmed.")
    assert "045678912" not in page.url

    page.get_by_role("button", name=gettext(lang, "Execute and answer")).click()
    assert page.get_by_role("status").inner_text() == gettext(
        lang, "The request is answered: the letter is ready.")
    assert page.frame_locator("iframe.letter").locator("body").inner_text().strip()

    letters = page.get_by_role("region", name=gettext(lang, "The letter to the subject"))
    with page.expect_download() as downloading:
        letters.locator(f'a[lang="{lang}"]').click()
    download = downloading.value
    assert download.suggested_filename == f"letter-{request_id[:8]}-{lang}.pdf"
    pdf = download.path().read_bytes()
    assert pdf.startswith(b"%PDF-")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert [other for other in LANGS if _written_in(text, other)] == [lang], text[:400]
    assert offline.attempted == []

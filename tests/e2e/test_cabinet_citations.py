"""The legal citations under each outcome of a withdrawal are in the page's language:
on a Kazakh or Russian page no English citation is left (the rules', the register's
basis and retention, the term to stop), and the English page keeps the English."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from derbes.testing.delivery import RecordingSms
from tests.api_world import World, make_world
from tests.cabinet_support import OPERATOR, borrower, consent_ids, recording, signed_in

_CITE = re.compile(r'<span class="cite">([^<]*)</span>')
_ENGLISH = re.compile(r"\b(Law|Art\.|withdrawal|consent|Order|Rules|of)\b")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = make_world(tmp_path_factory.mktemp("cabinet-cite"))
    yield built
    built.close()


@pytest.fixture(scope="module")
def sms(world: World) -> RecordingSms:
    return recording(world)


def _citations(world: World, sms: RecordingSms, n: int, lang: str) -> list[str]:
    """Every citation on the withdrawal preview of each of the borrower's consents."""
    client = signed_in(world, sms, borrower(world, n), lang)
    found: list[str] = []
    for consent in consent_ids(client.get(f"/my/{OPERATOR}/consents?lang={lang}").text):
        page = client.get(f"/my/{OPERATOR}/consents/{consent}/withdraw?lang={lang}")
        assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
        found.extend(_CITE.findall(page.text))
    assert found, "no citation on the withdrawal previews"
    return found


@pytest.mark.parametrize(("lang", "n", "article"), [
    ("kk", 801, "8-баптың 2-тармағы"), ("ru", 802, "п. 2 ст. 8")])
def test_citations_follow_the_page_language(
        world: World, sms: RecordingSms, lang: str, n: int, article: str) -> None:
    citations = _citations(world, sms, n, lang)
    english = [c for c in citations if _ENGLISH.search(c)]
    assert english == []
    assert all(article in c for c in citations)
    assert any("келісімді кері қайтарып алу" in c for c in citations) or lang != "kk"


def test_the_english_page_keeps_the_english_citations(
        world: World, sms: RecordingSms) -> None:
    citations = _citations(world, sms, 803, "en")
    assert all("Law 94-V Art. 8 p.2" in c for c in citations)

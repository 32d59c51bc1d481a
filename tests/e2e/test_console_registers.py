"""Publishing a register version from the console: the comparison by purpose, category,
transfer and retention with citations, the consents it would ask again counted before
anything is written, the confirmation, the audit entry; and the attacks on it: bad YAML,
another operator's register, no confirmation, a stale comparison, a forged CSRF token, a
text swapped after the comparison. None of them changes the register or a consent."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from derbes.console.service.registers import PUBLISH_ACTION
from derbes.platform.i18n import gettext
from tests.api_world import World, make_world
from tests.console_support import audit_actions, console_sign_in, csrf_of
from tests.load_support import OPERATOR, consent_body, subject_body
from tests.staff_support import add

ROOT = Path(__file__).resolve().parents[2]
EXPRESS = (ROOT / "registers" / "express-avans.yaml").read_text("utf-8")
BEFORE = "categories: [identity.full_name, identity.iin, financial.credit_history]"
# A data category added to a consent purpose (credit_bureau_inquiry): widens processing.
WIDER = EXPRESS.replace(BEFORE, BEFORE[:-1] + ", contact.phone]")
FIRST = 8101  # the subjects' numbers (tests.load_support), distinct from other tests'
_HIDDEN = re.compile(r'name="(source|in_force|new_sha256)" value="([^"]*)"')


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    assert WIDER != EXPRESS and EXPRESS.count(BEFORE) == 1
    built = make_world(tmp_path)
    api = built.client()
    for n in range(FIRST, FIRST + 2):
        made = api.post("/v1/subjects", json=subject_body(n))
        assert made.status_code == 201, made.text
        given = api.post("/v1/consents", json=consent_body(made.json()["subject_id"], n))
        assert given.status_code in (200, 201), given.text
    yield built
    built.close()


def _dpo(world: World, lang: str = "en") -> tuple[TestClient, str]:
    dpo = add(world, f"dpo.registers.{lang}@express-avans.kz", (OPERATOR, "dpo"))
    browser = console_sign_in(world, dpo, lang=lang)
    return browser, csrf_of(browser.get(f"/console/{OPERATOR}/registers/change").text)


def _compare(browser: TestClient, csrf: str, text: str, *, lang_file: bool = True
             ) -> tuple[int, str]:
    if lang_file:
        answer = browser.post(f"/console/{OPERATOR}/registers/diff", data={"csrf_token": csrf},
                              files={"file": ("express-avans-2.yaml", text.encode("utf-8"))})
    else:
        # As a browser sends the form (multipart/form-data), with no file chosen.
        answer = browser.post(f"/console/{OPERATOR}/registers/diff",
                              data={"csrf_token": csrf, "text": text},
                              files={"file": ("", b"")})
    return answer.status_code, answer.text


def _confirmation(html: str) -> dict[str, str]:
    return dict(_HIDDEN.findall(html))


def _in_force(world: World) -> str:
    with world.container.uow() as uow:
        found = uow.registers.latest(OPERATOR)
        assert found is not None
        return found.sha256


def _marked(world: World) -> int:
    with world.container.uow() as uow:
        return sum(1 for c in uow.consents.for_operator(OPERATOR)
                   if c.needs_reconsent_since is not None)


def test_a_widening_version_is_compared_counted_confirmed_and_audited(world: World) -> None:
    browser, csrf = _dpo(world)
    before = _in_force(world)
    status, html = _compare(browser, csrf, WIDER)
    assert status == 200, html
    # The change, under its heading, with the line in the new file and its citation.
    line = next(n for n, text in enumerate(WIDER.splitlines(), 1) if "contact.phone]" in text
                and "financial.credit_history" in text)
    assert "Data category added to a purpose" in html and "<code>contact.phone</code>" in html
    assert f"new version, line {line}" in html
    assert "Law 94-V Art. 8" in html
    # Both subjects' consents name credit_bureau_inquiry: both would stop counting.
    assert ("Consents that stop counting when you publish, until the subject consents again: "
            "2. Subjects who gave them: 2.") in html
    assert "<code>credit_bureau_inquiry</code>" in html
    assert _marked(world) == 0 and _in_force(world) == before  # the comparison wrote nothing

    hidden = _confirmation(html)
    assert hidden["in_force"] == before
    unconfirmed = browser.post(f"/console/{OPERATOR}/registers/publish",
                               data={"csrf_token": csrf, **hidden})
    assert unconfirmed.status_code == 422
    assert "Tick the box" in unconfirmed.text
    assert _in_force(world) == before and _marked(world) == 0

    done = browser.post(f"/console/{OPERATOR}/registers/publish",
                        data={"csrf_token": csrf, **hidden, "confirm": "yes"},
                        follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == (
        f"/console/{OPERATOR}/registers?done=published&marked=2")
    assert "Consents now waiting for a re-consent: 2." in browser.get(done.headers["location"]).text
    assert _in_force(world) == hashlib.sha256(WIDER.encode()).hexdigest()
    assert _marked(world) == 2
    [(actor, details)] = [(a, d) for a, action, d in audit_actions(world)
                          if action == PUBLISH_ACTION]
    assert actor.startswith("staff:")
    assert details["operator_id"] == OPERATOR and details["consents_marked"] == 2
    assert details["register_sha256"] == {"old": before, "new": _in_force(world)}


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_comparison_reads_in_russian_and_kazakh(world: World, lang: str) -> None:
    browser, csrf = _dpo(world, lang)
    status, html = _compare(browser, csrf, WIDER)
    assert status == 200
    for text in ("Compare and publish", "Data category added to a purpose", "Publish this version",
                 "Re-consent impact"):
        assert gettext(lang, text) in html
        assert text not in html


def test_bad_yaml_names_the_line_and_the_field_and_publishes_nothing(world: World) -> None:
    browser, csrf = _dpo(world)
    before = _in_force(world)
    broken = WIDER.replace("  - id: credit_bureau_inquiry", "  - id: 42", 1)
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if "- id: 42" in text)
    status, html = _compare(browser, csrf, broken, lang_file=False)
    assert status == 422
    assert "The register does not load" in html
    assert f'<td class="num">{line}</td><td><code>purposes[7].id</code>' in html
    assert "must be text, not a number" in html
    unparsable = "operator: [unclosed\npurposes: {"
    status, html = _compare(browser, csrf, unparsable)
    assert status == 422 and '<td class="num">2</td>' in html and "malformed YAML" in html
    status, html = _compare(browser, csrf, "")
    assert status == 422
    assert _in_force(world) == before and _marked(world) == 0


def test_another_operators_register_is_refused(world: World) -> None:
    browser, csrf = _dpo(world)
    kassa = (ROOT / "registers" / "kassa24.yaml").read_text("utf-8")
    status, html = _compare(browser, csrf, kassa)
    assert status == 422
    assert "This register describes another operator" in html
    # Too large, as a file or as a pasted text: a page saying so, nothing read further.
    huge = "# filler\n" * 90_000  # 810 kB
    for as_file in (True, False):
        status, html = _compare(browser, csrf, huge, lang_file=as_file)
        assert status == 422 and "at most 750 KB" in html
    binary = browser.post(f"/console/{OPERATOR}/registers/diff", data={"csrf_token": csrf},
                          files={"file": ("x.yaml", b"\xff\xfe\x00 not text")})
    assert binary.status_code == 422 and "UTF-8" in binary.text


def test_a_stale_comparison_publishes_nothing(world: World) -> None:
    browser, csrf = _dpo(world)
    _, html = _compare(browser, csrf, WIDER)
    stale = _confirmation(html)
    # Meanwhile another version is published (here: a neutral one, through the same page).
    other = EXPRESS.replace("# Processing register", "# The processing register", 1)
    _, html2 = _compare(browser, csrf, other)
    assert "No consent is asked again" in html2
    assert browser.post(f"/console/{OPERATOR}/registers/publish", data={
        "csrf_token": csrf, **_confirmation(html2), "confirm": "yes"}).status_code == 200
    in_force = _in_force(world)
    late = browser.post(f"/console/{OPERATOR}/registers/publish",
                        data={"csrf_token": csrf, **stale, "confirm": "yes"})
    assert late.status_code == 409
    assert "Another version was published after this comparison" in late.text
    assert _in_force(world) == in_force and _marked(world) == 0


def test_a_text_swapped_after_the_comparison_is_refused(world: World) -> None:
    browser, csrf = _dpo(world)
    _, html = _compare(browser, csrf, EXPRESS.replace("# Processing register", "# Register", 1))
    shown = _confirmation(html)
    swapped = {**shown, "source": base64.urlsafe_b64encode(WIDER.encode()).decode()}
    before = _in_force(world)
    for form in (swapped, {**shown, "source": "not base64!"}):
        answer = browser.post(f"/console/{OPERATOR}/registers/publish",
                              data={"csrf_token": csrf, **form, "confirm": "yes"})
        assert answer.status_code == 422
        assert "not the one compared" in answer.text
    assert _in_force(world) == before and _marked(world) == 0


def test_a_forged_csrf_token_publishes_nothing(world: World) -> None:
    browser, csrf = _dpo(world)
    _, html = _compare(browser, csrf, WIDER)
    before = _in_force(world)
    for token in ("0" * 64, ""):
        answer = browser.post(f"/console/{OPERATOR}/registers/publish",
                              data={"csrf_token": token, **_confirmation(html), "confirm": "yes"})
        assert answer.status_code == 403
    assert _in_force(world) == before and _marked(world) == 0
    assert any(action == "staff.csrf" for _, action, _ in audit_actions(world))


def test_an_earlier_version_can_be_picked_again(world: World) -> None:
    browser, csrf = _dpo(world)
    _, html = _compare(browser, csrf, WIDER)
    browser.post(f"/console/{OPERATOR}/registers/publish",
                 data={"csrf_token": csrf, **_confirmation(html), "confirm": "yes"})
    form = browser.get(f"/console/{OPERATOR}/registers/change").text
    [version] = re.findall(r'<option value="(\d+)">', form)
    answer = browser.post(f"/console/{OPERATOR}/registers/diff",
                          data={"csrf_token": csrf, "version": version})
    assert answer.status_code == 200
    assert "Data category removed from a purpose" in answer.text
    assert "No consent is asked again" in answer.text


def test_a_register_near_the_size_limit_goes_through_both_forms(world: World) -> None:
    browser, csrf = _dpo(world)
    large = EXPRESS + "# " + "notes " * ((740_000 - len(EXPRESS.encode())) // 6) + "\n"
    assert 700_000 < len(large.encode()) < 750_000
    for as_file in (True, False):
        status, html = _compare(browser, csrf, large, lang_file=as_file)
        assert status == 200, html[:300]
    done = browser.post(f"/console/{OPERATOR}/registers/publish",
                        data={"csrf_token": csrf, **_confirmation(html), "confirm": "yes"},
                        follow_redirects=False)
    assert done.status_code == 303
    assert _in_force(world) == hashlib.sha256(large.encode()).hexdigest()

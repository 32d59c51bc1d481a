"""Every customer-facing string speaks the law's words (``data/glossary.yaml``).

Checked: the three Babel catalogues, and the notices, letters and destruction
acts rendered for every register in ``registers/`` in ru, kk and en. The Kazakh
documents carry no run of English words (citations exist in every language),
no internal note, and balanced «guillemets».
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import cache
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from derbes.deadlines.adapters.regime_yaml import load_regime
from derbes.deadlines.model.regime import apply_overrides
from derbes.platform import i18n
from derbes.platform.glossary import glossary, glossary_from_dict, violations
from derbes.register.adapters.notice import render_notice
from derbes.register.adapters.yaml import load_register
from derbes.register.model.loaded import LoadedRegister
from derbes.register.model.register import AfterRetention, Register
from derbes.requests.adapters.letters import render_letter
from derbes.requests.model import RequesterKind, RequestState, RequestType, SubjectRequest
from derbes.retention.adapters.acts import load_act_rules, render_act
from derbes.retention.model import acts

ROOT = Path(__file__).resolve().parents[2]
REGISTERS = sorted((ROOT / "registers").glob("*.yaml"))
FIXTURES = ROOT / "tests" / "fixtures" / "registers"
LANGS = ("ru", "kk", "en")
T = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
# A run of four or more English words (URLs and e-mail addresses aside).
ENGLISH_RUN = re.compile(r"\b[A-Za-z][A-Za-z'’-]*(?:[ ,]+[A-Za-z][A-Za-z'’-]*){3,}\b")
URL = re.compile(r"\S+@\S+|https?://\S+|www\.\S+")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("style", "title")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "title")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _text(html: bytes) -> str:
    parser = _Text()
    parser.feed(html.decode("utf-8"))
    return " ".join(" ".join(parser.parts).split())


def _ids(path: Path) -> str:
    return path.stem


@cache
def _loaded(path: Path) -> LoadedRegister:
    return load_register(path)


def _problems(text: str, lang: str) -> list[str]:
    found = [str(v) for v in violations(text, lang)]
    if lang == "kk":
        english = [m.group(0) for m in ENGLISH_RUN.finditer(URL.sub(" ", text))]
        found += [f"English in the Kazakh text: {run!r}" for run in english]
    return found


# ------------------------------------------------------------------ the glossary itself


def test_the_glossary_names_each_term_in_three_languages() -> None:
    g = glossary()
    assert g.preferred("consent_withdrawal", "kk") == "келісімді кері қайтарып алу"
    assert g.preferred("cross_border_transfer", "kk") == "трансшекаралық беру"
    assert g.preferred("legal_basis", "kk") == "құқықтық негіз"
    assert g.preferred("request", "kk") == "өтініш"
    assert len(g.forbidden) >= 15


@pytest.mark.parametrize(
    ("text", "lang", "term"),
    [
        ("Келісімді кері қайтару", "kk", "consent_withdrawal"),
        ("дербес деректерді шекарадан тыс беру", "kk", "cross_border_transfer"),
        ("дербес деректерді қорғау жөніндегі уәкілетті орган", "kk", "authorised_body"),
        ("Заңды негіз", "kk", "legal_basis"),
        ("Сіздің сұрауыңызға жауап", "kk", "request"),
        ("сіздің деректеріңіз", "kk", "formal_you"),
        ("«Kredit Seven (Кредит Севен)» микроқаржы ұйымы» ЖШС", "kk", "guillemets"),
        ("срок (article to check)", "ru", "internal_notes"),
        ("privacy policy of Kassa24 p.7.2 (seed 000)", "en", "internal_notes"),
    ],
)
def test_a_forbidden_variant_is_caught(text: str, lang: str, term: str) -> None:
    assert term in {v.term for v in violations(text, lang)}


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Сіздің келісіміңізді кері қайтарып алу туралы өтінішіңізге жауап", "kk"),
        ("Мемлекеттік органның уәжді сұрау салуы", "kk"),
        ("келісімсіз; бермегенсіз", "kk"),
        ("«Kredit Seven Kazakhstan (Кредит Севен Казахстан)» микроқаржы ұйымы» ЖШС", "ru"),
    ],
)
def test_the_law_s_own_words_pass(text: str, lang: str) -> None:
    found = [v for v in violations(text, lang) if v.term != "guillemets"]
    assert not found, found


def test_a_glossary_with_a_broken_pattern_is_refused() -> None:
    from derbes.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        glossary_from_dict({"terms": {"x": {"forbidden": {"kk": [{"pattern": "(", "why": "-"}]}}}})


# ------------------------------------------------------------------ the catalogues


@pytest.mark.parametrize("lang", LANGS)
def test_every_catalogue_string_follows_the_glossary(lang: str) -> None:
    source = resources.files("derbes").joinpath(i18n.po_path(lang))
    with source.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    bad = {str(m.id): _problems(str(m.string), lang) for m in catalog if m.id}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, bad


# ------------------------------------------------------------------ rendered documents


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", [*REGISTERS, FIXTURES / "complete.yaml"], ids=_ids)
def test_every_notice_follows_the_glossary(path: Path, lang: str) -> None:
    text = _text(render_notice(_loaded(path), lang, "html", draft=True))
    assert not _problems(text, lang)


def _request(register: Register, kind: RequestType, lang: str) -> SubjectRequest:
    return SubjectRequest(
        id="r-1", operator_id=register.operator.id, subject_id="s-1", type=kind,
        state=RequestState.ANSWERED, language=lang, received_at=T, due_date=date(2026, 3, 5),
        deadline_id=kind.value if kind is RequestType.AUTOMATED_OBJECTION else "access",
        deadline_citation="Law No. 94-V", requester=RequesterKind.SUBJECT, closed_at=T,
    )


def _full(register: Register, kind: RequestType) -> dict[str, Any]:
    purposes = list(register.purposes.values())[:3]
    recipients = list(register.recipients.values())[:3]
    return {
        "kind": kind.value, "held": True,
        "purposes": ([p.id for p in purposes] if kind is RequestType.AUTOMATED_OBJECTION else [{
            "id": p.id, "labels": p.labels.as_dict(), "basis": p.basis.kind.value,
            "basis_citation": p.basis.citation, "categories": list(p.categories),
            "recipients": list(p.recipients),
            "retention": None if p.retention is None else {
                "trigger": p.retention.trigger.value, "period": str(p.retention.period),
                "citation": p.retention.citation, "then": p.retention.then.value}}
            for p in purposes]),
        "categories": [], "sources": ["subject"], "methods": ["automated"],
        "recipients": [{"id": r.id, "names": r.names.as_dict(), "role": r.role.value,
                        "country": r.country or "KZ", "cross_border": r.cross_border}
                       for r in recipients],
        "transfers": [], "rights": ["to_be_told", "explanation", "human_review"],
        "explanation": "—", "response": "—", "outcomes": [],
    }


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", REGISTERS, ids=_ids)
def test_every_letter_follows_the_glossary(path: Path, lang: str) -> None:
    register = _loaded(path).register
    regime = apply_overrides(load_regime(), register.regime_overrides,
                             operator=register.operator.id)
    for kind in (RequestType.ACCESS, RequestType.AUTOMATED_OBJECTION, RequestType.COMPLAINT):
        html = render_letter(_request(register, kind, lang), _full(register, kind), register,
                             lang, "html", regime=regime)
        text = _text(html)
        assert not _problems(text, lang), (kind, _problems(text, lang))


def _act(register: Register) -> acts.Act:
    purpose = next((p for p in register.purposes.values() if p.retention is not None),
                   next(iter(register.purposes.values())))
    run = acts.RunRecord(
        run_id="run-g", operator_id=register.operator.id, as_of=T.date(), started_at=T,
        finished_at=T, actor="cli:dpo",
        groups=(acts.DestroyedGroup(purpose.id, AfterRetention.DESTROY, purpose.categories[:2],
                                    ("s-1", "s-2")),),
        totals=acts.VaultTotals(subjects_shredded=2, subjects_partial=0, values_deleted=4,
                                items_skipped=0),
    )
    issue = acts.ActIssue("a-g", acts.ActNumber(2026, 1, "АУ"), T.date(), T, b"k" * 32)
    return acts.build_act(run, register, load_act_rules(), issue)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", REGISTERS, ids=_ids)
def test_every_destruction_act_follows_the_glossary(path: Path, lang: str) -> None:
    text = _text(render_act(_act(_loaded(path).register), lang, "html"))
    assert not _problems(text, lang)

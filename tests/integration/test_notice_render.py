"""The privacy notice rendered from real registers in ru, kk and en, as HTML, MD and PDF.

Every purpose, every recipient and every retention period of the register must
appear in every language and format: the notice is the register, published.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import re
import unicodedata
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader

from derbes.deadlines.adapters.regime_yaml import load_regime
from derbes.deadlines.model.regime import apply_overrides
from derbes.deadlines.model.wording import format_deadline
from derbes.errors import InputError, NoticeRefusedError
from derbes.platform.i18n import format_period, gettext
from derbes.register.adapters.notice import render_notice
from derbes.register.adapters.yaml import load_register, parse_register
from derbes.register.model.loaded import LoadedRegister

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "registers"
MINIMAL = FIXTURES / "minimal.yaml"
COMPLETE = FIXTURES / "complete.yaml"
SILENT = FIXTURES / "silent.yaml"
REGISTERS = [MINIMAL, COMPLETE, *sorted((ROOT / "registers").glob("*.yaml"))]
LANGS = ("ru", "kk", "en")
KAZAKH_LETTERS = set("әғқңөұүһі")

# Headings and column names of the notice (English source messages).
HEADINGS = (
    "Personal data processing policy",
    "Purposes, legal basis and retention of processing",
    "Recipients of personal data",
    "Consent to the processing of personal data",
    "Rights of the personal data subject",
    "How to exercise your rights",
    "Deadlines for handling requests",
    "Version and changes of the policy",
    "Retention period",
    "Legal basis",
    "Categories of subjects",
    "Consent required",
    "Automated decision-making",
    "Location of the primary database",
)


@cache
def _loaded(path: Path) -> LoadedRegister:
    return load_register(path)


# Laying a notice out as PDF takes WeasyPrint seconds; several tests read the same
# PDF, and the two xdist workers share this run's directory: each PDF is rendered once
# per run, by whichever worker asks first, the other waiting for it.
_SHARED: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def _shared_pdfs(tmp_path_factory: pytest.TempPathFactory) -> None:
    run = tmp_path_factory.getbasetemp().parent  # the same for every worker of a run
    _SHARED[:] = [run / "notice-pdfs"]
    _SHARED[0].mkdir(exist_ok=True)


@cache
def _render(path: Path, lang: str, fmt: str) -> bytes:
    if fmt != "pdf" or not _SHARED:
        return render_notice(_loaded(path), lang, fmt)
    key = hashlib.sha256(f"{path.resolve()}|{lang}".encode()).hexdigest()[:20]
    target = _SHARED[0] / f"{key}.pdf"
    with open(_SHARED[0] / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():
            return target.read_bytes()
        data = render_notice(_loaded(path), lang, fmt)
        part = target.with_suffix(".part")
        part.write_bytes(data)
        os.replace(part, target)
        return data


def _squash(text: str) -> str:
    """Compare text regardless of line breaks, spacing and soft hyphens."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    return re.sub(r"\s+", "", text)


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


class _Html(HTMLParser):
    """Collects visible text and checks that elements nest and close properly."""

    VOID = frozenset({"meta", "br", "hr", "img", "link", "input", "col", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.lang: str | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag in ("style", "title"):
            self._skip += 1
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title"):
            self._skip -= 1
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else '-'}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def _parse_html(data: bytes) -> _Html:
    parser = _Html()
    parser.feed(data.decode("utf-8"))
    parser.close()
    return parser


def _expected(loaded: LoadedRegister, lang: str) -> list[str]:
    r = loaded.register
    # What the modeller assumed is not the operator's statement and is not shown.
    expected = [p.labels.get(lang) for p in r.purposes.values()]
    expected += [x.names.get(lang) for i, x in enumerate(r.recipients.values())
                 if r.assumed(f"recipients[{i}]") is None]
    expected += [
        format_period(p.retention.period, lang)
        for i, p in enumerate(r.purposes.values())
        if p.retention is not None and r.assumed(f"purposes[{i}].retention") is None
    ]
    if r.operator.bin is not None:
        expected.append(r.operator.bin)
    expected.append(loaded.sha256[:12])
    return expected


def _ids(path: Path) -> str:
    return path.stem


# The HTML and Markdown tests check every register in every language; the PDF is that
# HTML laid out by WeasyPrint, so it is checked in Kazakh for every register (the letters
# a font is likeliest to lack) and in all three languages for the largest policy.
PDF_CASES = [*((path, "kk") for path in REGISTERS),
             *((ROOT / "registers" / "kredit-seven.yaml", lang) for lang in ("ru", "en"))]


@pytest.mark.slow
@pytest.mark.parametrize(("path", "lang"), PDF_CASES,
                         ids=[f"{path.stem}-{lang}" for path, lang in PDF_CASES])
def test_pdf_names_every_purpose_recipient_and_period(path: Path, lang: str) -> None:
    data = _render(path, lang, "pdf")
    assert data.startswith(b"%PDF-")
    text = _squash(_pdf_text(data))
    missing = [e for e in _expected(_loaded(path), lang) if _squash(e) not in text]
    assert not missing, f"{path.name} [{lang}] PDF lacks: {missing}"
    assert _squash(gettext(lang, "Rights of the personal data subject")) in text


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", REGISTERS, ids=_ids)
def test_html_is_well_formed_and_complete(path: Path, lang: str) -> None:
    page = _parse_html(_render(path, lang, "html"))
    assert page.lang == lang
    assert not page.errors, page.errors[:5]
    assert page.stack == []
    text = _squash(" ".join(page.text))
    missing = [e for e in _expected(_loaded(path), lang) if _squash(e) not in text]
    assert not missing, f"{path.name} [{lang}] HTML lacks: {missing}"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", REGISTERS, ids=_ids)
def test_markdown_is_complete(path: Path, lang: str) -> None:
    text = _render(path, lang, "md").decode("utf-8")
    assert text.startswith("# " + gettext(lang, "Personal data processing policy"))
    squashed = _squash(text.replace("\\|", "|"))
    missing = [e for e in _expected(_loaded(path), lang) if _squash(e) not in squashed]
    assert not missing, f"{path.name} [{lang}] Markdown lacks: {missing}"
    # Every table row has the same number of cells as its header.
    for block in re.split(r"\n\s*\n", text):
        rows = [line for line in block.splitlines() if line.startswith("|")]
        if rows:
            widths = {len(re.split(r"(?<!\\)\|", row)) for row in rows}
            assert len(widths) == 1, block


@pytest.mark.parametrize("fmt", ["html", "md", "pdf"])
@pytest.mark.parametrize("path", REGISTERS, ids=_ids)
def test_kazakh_notice_is_kazakh(path: Path, fmt: str) -> None:
    data = _render(path, "kk", fmt)
    if fmt == "pdf":
        text = _pdf_text(data)
    elif fmt == "html":
        text = " ".join(_parse_html(data).text)
    else:
        text = data.decode("utf-8")
    assert len(KAZAKH_LETTERS & set(text.lower())) >= 6
    assert "Дербес деректерді өңдеу саясаты" in text
    untranslated = [h for h in HEADINGS if h in text]
    assert not untranslated, untranslated


@pytest.mark.parametrize("path", REGISTERS, ids=_ids)
def test_russian_notice_uses_legal_russian_headings(path: Path) -> None:
    text = " ".join(_parse_html(_render(path, "ru", "html")).text)
    for heading in (
        "Политика обработки персональных данных",
        "Права субъекта персональных данных",
        "Срок хранения",
        "Правовое основание",
    ):
        assert heading in text
    assert not [h for h in HEADINGS if h in text]


@pytest.mark.parametrize("path", REGISTERS, ids=_ids)
def test_cross_border_recipients_are_marked(path: Path) -> None:
    r = _loaded(path).register
    html = _render(path, "en", "html").decode("utf-8")
    marked = html.count('class="recipient cross-border"')
    # Only what the policy states: an assumed country or "abroad" is not marked.
    stated = [x for i, x in enumerate(r.recipients.values())
              if x.cross_border and not any(r.assumed(f"recipients[{i}]{f}")
                                            for f in ("", ".country", ".abroad"))]
    assert marked == len(stated)
    if marked:
        assert "Cross-border transfer" in html


@pytest.mark.parametrize("lang", LANGS)
def test_deadlines_come_from_the_regime_table(lang: str) -> None:
    regime = load_regime()
    text = _squash(" ".join(_parse_html(_render(MINIMAL, lang, "html")).text))
    for deadline in regime:
        if deadline.trigger == "detection":  # breach notice: the regulator's, not the subject's
            assert _squash(deadline.labels.get(lang)) not in text
            continue
        assert _squash(deadline.labels.get(lang)) in text
        assert _squash(format_deadline(deadline.term, lang)) in text
        assert deadline.cite is not None and _squash(deadline.cite.get(lang)) in text


def test_register_overrides_make_the_published_deadline_stricter() -> None:
    source = MINIMAL.read_text(encoding="utf-8") + (
        "regime_overrides:\n"
        "  - deadline: access\n"
        "    term: 2 working days\n"
        '    citation: "Operator\'s policy p.9.9 (stricter than the law)"\n'
        "    source: p.9.9\n"
    )
    loaded = parse_register(source, "override.yaml")
    assert apply_overrides(load_regime(), loaded.register.regime_overrides)["access"].term.value == 2
    html = render_notice(loaded, "ru", "html").decode("utf-8")
    access_label = load_regime()["access"].labels.get("ru")
    row = html[html.index(access_label):]
    row = row[: row.index("</tr>")]
    assert "2 рабочих дня" in row
    assert "Собственное обязательство оператора (его политика, п. 9.9)" in row
    assert "3 рабочих дня" not in row


def test_escapes_html_in_register_texts() -> None:
    source = MINIMAL.read_text(encoding="utf-8").replace(
        'en: "Sending offers"', 'en: "Sending <script>alert(1)</script> offers"'
    )
    html = render_notice(parse_register(source, "x.yaml"), "en", "html").decode("utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_unknown_language_or_format_is_an_input_error() -> None:
    loaded = _loaded(MINIMAL)
    with pytest.raises(InputError) as caught:
        render_notice(loaded, "de", "html")
    assert caught.value.field == "lang"
    with pytest.raises(InputError) as caught:
        render_notice(loaded, "ru", "docx")
    assert caught.value.field == "format"


# ------------------------------------------------------------------ stated, not stated

# What a notice said when a register was silent, before it could say "not stated".
PROMISES = {
    "en": ("does not process personal data of minors", "does not transfer personal data",
           "does not use cookies", "Performance of a contract", "Consent of the subject",
           "set only with your consent", "cookie banner"),
    "ru": ("не обрабатывает персональные данные несовершеннолетних", "не передаёт",
           "не использует файлы cookie", "Исполнение договора", "Согласие субъекта",
           "баннер"),
    "kk": ("кәмелетке толмағандардың дербес деректерін өңдемейді", "бермейді",
           "cookie файлдарын пайдаланбайды", "Шартты орындау", "Субъектінің келісімі",
           "баннер"),
}


def test_a_register_with_lint_errors_is_refused_unless_draft() -> None:
    loaded = _loaded(SILENT)
    with pytest.raises(NoticeRefusedError) as caught:
        render_notice(loaded, "en", "html")
    codes = {p.code for p in caught.value.problems}
    assert codes == {"DRB001", "DRB020"}
    assert all(p.line for p in caught.value.problems)
    assert render_notice(loaded, "en", "html", draft=True)


@pytest.mark.parametrize("lang", LANGS)
def test_a_silent_policy_gives_a_notice_that_says_not_stated(lang: str) -> None:
    """Every optional field absent: the notice says "not stated", never a promise."""
    page = _parse_html(render_notice(_loaded(SILENT), lang, "html", draft=True))
    text = " ".join(" ".join(page.text).split())
    not_stated = gettext(lang, "Not stated in the policy")
    assert text.count(not_stated) >= 9  # BIN, address, person, 6 purpose rows, version…
    for message in (
        "The policy does not state to whom personal data are passed.",
        "The policy does not state whether the site uses cookies.",
        "The policy does not state how consent is given.",
        "The policy does not state how to withdraw consent.",
        "The policy does not state how to send a request to the operator.",
        "The policy does not state whether personal data of minors are processed.",
        "The policy does not describe the measures that protect personal data.",
        "The policy does not state where the database with personal data is located.",
        "The policy does not state how long the data are kept.",
        "The policy does not state how its changes are announced.",
        "The policy states neither a version nor a date",
    ):
        assert gettext(lang, message) in text, message
    promised = [p for p in PROMISES[lang] if p in text]
    assert not promised, promised
    # No empty section: every heading is followed by text before the next one.
    html = render_notice(_loaded(SILENT), lang, "html", draft=True).decode("utf-8")
    assert not re.search(r"</h[34]>\s*<h[234]|</h2>\s*<h2|</h2>\s*</section>", html)
    assert "<ul>\n  </ul>" not in html and "<ul></ul>" not in html


@pytest.mark.parametrize("lang", LANGS)
def test_the_complete_register_shows_every_section(lang: str) -> None:
    text = " ".join(_parse_html(_render(COMPLETE, lang, "html")).text)
    for heading in ("In brief", "Protection of personal data", "Commitments of the operator",
                    "Other applicable law", "The operator as a processor", "Where to complain",
                    "Deleting your account yourself", "Language editions of the policy",
                    "Cookies before your consent"):
        assert gettext(lang, heading) in text, heading
    register = _loaded(COMPLETE).register
    for said in (register.disclosures.commitments[0].text,
                 register.disclosures.other_law[0].regulator,
                 register.disclosures.processor_roles[0].for_whom,
                 register.disclosures.account_deletion[0].condition,
                 register.policy.approval.document if register.policy.approval else None):
        assert said is not None and said.get(lang) in text
    assert gettext(lang, "Contract between the operator and the recipient") in text


# Words by which the seed operators are recognised in any language.
OPERATOR_WORDS = {
    "kassa24": ("Kassa24", "Личная касса", "Жеке касса"),
    "qiwi-kz": ("QIWI", "КИВИ"),
    "kredit-seven": ("Kredit Seven", "Кредит Севен", "creditplus"),
    "express-avans": ("Express Аванс", "Экспресс Аванс", "timezaim"),
    "altyncoin": ("Altyncoin", "PROcredit"),
    "creditline": ("CreditLine", "Кредитлайн"),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", REGISTERS, ids=_ids)
def test_a_notice_names_no_other_operator(path: Path, lang: str) -> None:
    own = _loaded(path).register.operator.id
    text = " ".join(_parse_html(_render(path, lang, "html")).text)
    others = [w for op, words in OPERATOR_WORDS.items() if op != own for w in words
              if w in text]
    assert not others, others


@pytest.mark.slow
def test_a_draft_is_marked_on_every_page_and_the_first_layer_is_one_page() -> None:
    reader = PdfReader(io.BytesIO(render_notice(_loaded(SILENT), "kk", "pdf", draft=True)))
    pages = [page.extract_text() or "" for page in reader.pages]
    assert len(pages) >= 3
    mark = gettext("kk", "DRAFT")
    assert all(mark in page for page in pages)
    assert gettext("kk", "In brief") in pages[0]
    assert gettext("kk", "Operator") not in pages[0].split(gettext("kk", "In brief"))[0]
    assert "1. " + gettext("kk", "Operator") in pages[1]


@pytest.mark.slow
@pytest.mark.parametrize("path", [COMPLETE, *sorted((ROOT / "registers").glob("*.yaml"))],
                         ids=_ids)
def test_the_first_layer_fits_on_the_first_page(path: Path) -> None:
    for lang in LANGS:
        reader = PdfReader(io.BytesIO(_render(path, lang, "pdf")))
        first, second = (reader.pages[i].extract_text() or "" for i in (0, 1))
        assert _squash(gettext(lang, "How to use them")) in _squash(first), (path.name, lang)
        assert _squash("1. " + gettext(lang, "Operator")) in _squash(second), (path.name, lang)

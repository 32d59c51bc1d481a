"""The ru/kk/en catalogues hold every fixed text derbes writes, translated.

Messages are extracted from the templates and the Python modules the way
``pybabel extract`` would, and compared with each ``.po`` file.
"""

from __future__ import annotations

import re
from enum import StrEnum
from importlib import resources
from pathlib import Path

import pytest
from babel.messages.extract import extract
from babel.messages.pofile import read_po

import derbes
from derbes.deadlines.model.periods import Period
from derbes.platform import enum_labels, i18n
from derbes.register.model import register as reg

PACKAGE = Path(derbes.__file__).parent
PYTHON_SOURCES = [PACKAGE / "platform" / "i18n.py", PACKAGE / "platform" / "enum_labels.py",
                  PACKAGE / "banner" / "model" / "config.py",
                  *sorted((PACKAGE / "register" / "adapters" / "notice").glob("*.py")),
                  PACKAGE / "requests" / "adapters" / "letters" / "view.py",
                  PACKAGE / "retention" / "adapters" / "acts" / "render.py",
                  PACKAGE / "retention" / "cli" / "acts.py",
                  PACKAGE / "consent" / "adapters" / "evidence" / "render.py",
                  PACKAGE / "identifiers" / "model" / "iin.py",
                  PACKAGE / "identifiers" / "model" / "bin.py",
                  PACKAGE / "staff" / "adapters" / "access_list.py",
                  PACKAGE / "incidents" / "adapters" / "notice.py",
                  PACKAGE / "staff" / "cli.py",
                  *sorted((PACKAGE / "console").rglob("*.py")),
                  *sorted((PACKAGE / "compliance").rglob("*.py")),
                  *sorted((PACKAGE / "cabinet").rglob("*.py"))]
TEMPLATES = sorted([*(PACKAGE / "register" / "adapters" / "notice" / "templates").glob("*.j2"),
                    *(PACKAGE / "requests" / "adapters" / "letters" / "templates").glob("*.j2"),
                    *(PACKAGE / "console" / "adapters" / "templates").glob("*.j2"),
                    *(PACKAGE / "compliance" / "adapters" / "templates").glob("*.j2"),
                    *(PACKAGE / "cabinet" / "adapters" / "templates").glob("*.j2")])
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}
KAZAKH_LETTERS = set("әғқңөұүһі")
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


def _extracted() -> dict[str, str]:
    """msgid -> the file it comes from."""
    found: dict[str, str] = {}
    for path in PYTHON_SOURCES:
        with path.open("rb") as fh:
            for _line, message, _comments, _context in extract("python", fh):
                found.setdefault(str(message), path.name)
    for path in TEMPLATES:
        with path.open("rb") as fh:
            for _line, message, _comments, _context in extract(
                "jinja2.ext:babel_extract", fh, options=JINJA_OPTIONS
            ):
                found.setdefault(str(message), path.name)
    return found


EXTRACTED = _extracted()


def _catalog(lang: str) -> dict[str, str]:
    source = resources.files("derbes").joinpath(i18n.po_path(lang))
    with source.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    return {str(m.id): str(m.string) for m in catalog if m.id and not m.fuzzy}


def test_templates_and_modules_have_messages() -> None:
    assert TEMPLATES
    assert "Personal data processing policy" in EXTRACTED
    assert len(EXTRACTED) > 100


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_every_message_is_translated_and_none_is_stale(lang: str) -> None:
    catalog = _catalog(lang)
    missing = sorted(m for m in EXTRACTED if not catalog.get(m, "").strip())
    assert not missing, f"{lang}: untranslated: {missing}"
    stale = sorted(set(catalog) - set(EXTRACTED))
    assert not stale, f"{lang}: no longer used: {stale}"


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_placeholders_survive_translation(lang: str) -> None:
    for msgid, msgstr in _catalog(lang).items():
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), msgid


# Latin words a Kazakh or Russian text may keep: names of technologies and of derbes.
ALLOWED_LATIN = {"cookie", "derbes", "egov", "secure", "sha256", "sms", "hmac", "sha", "json",
                 "null", "utc", "pdf", "otp", "api", "csv", "jpeg", "png", "yaml", "utf"}
# A derbes command quoted in a sentence («derbes audit verify») stays as typed.
COMMAND = re.compile(r"«derbes [^»]+»|derbes(?: (?:[a-z-]+|[А-ЯЁӘҒҚҢӨҰҮҺІ]+))+")


def _foreign_words(text: str) -> set[str]:
    words = re.findall(r"[A-Za-z][A-Za-z0-9]{2,}", COMMAND.sub("", PLACEHOLDER.sub("", text)))
    return {w for w in words if w.lower() not in ALLOWED_LATIN}


def test_russian_and_kazakh_are_not_english() -> None:
    ru, kk = _catalog("ru"), _catalog("kk")
    for msgid in EXTRACTED:
        assert not _foreign_words(ru[msgid]), (msgid, ru[msgid])
        assert not _foreign_words(kk[msgid]), (msgid, kk[msgid])
        if len(msgid.split()) >= 3:
            assert ru[msgid] != kk[msgid], msgid
    # Kazakh reads as Kazakh: the catalogue uses the letters Russian does not have
    # (һ is rare, in loanwords only), and no longer text goes without them.
    assert set("".join(kk.values()).lower()) >= KAZAKH_LETTERS - {"һ"}
    sentences = [kk[m] for m in EXTRACTED if len(m.split()) >= 10]
    assert sentences
    assert all(KAZAKH_LETTERS & set(text.lower()) for text in sentences)


def test_the_compiled_catalogue_translates() -> None:
    assert i18n.gettext("ru", "Personal data processing policy") == (
        "Политика обработки персональных данных"
    )
    assert i18n.gettext("kk", "Personal data processing policy") == "Дербес деректерді өңдеу саясаты"
    assert i18n.gettext("kk", "Rights of the personal data subject") == (
        "Дербес деректер субъектісінің құқықтары"
    )
    assert i18n.gettext("en", "Retention period") == "Retention period"
    assert i18n.translations("kk") is i18n.translations("kk")  # compiled once


ENUMS: list[type[StrEnum]] = [
    reg.OperatorKind,
    reg.BasisKind,
    reg.RetentionTrigger,
    reg.AfterRetention,
    reg.RecipientRole,
    reg.RecipientAction,
    reg.CrossBorderBasisKind,
    reg.CookieCategory,
    reg.CookieParty,
    reg.ChannelKind,
    reg.ConsentChannel,
    reg.SeparateScope,
]


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_every_register_choice_has_a_label_in_every_language(enum: type[StrEnum]) -> None:
    for member in enum:
        labels = {lang: i18n.enum_label(member, lang) for lang in ("ru", "kk", "en")}
        assert all(labels.values()), member
        assert labels["ru"] != labels["en"] or labels["en"] in {"Bank"}, member


def test_every_retention_trigger_has_a_phrase() -> None:
    assert set(enum_labels.RETENTION_PHRASES) == set(reg.RetentionTrigger)
    retention = reg.Retention(
        trigger=reg.RetentionTrigger.CONTRACT_CLOSED,
        period=Period.parse("5 years"),
        citation="AML Law Art. 11 p.4",
    )
    assert i18n.retention_phrase(retention, "ru") == "5 лет после прекращения договора"
    assert i18n.retention_phrase(retention, "kk") == "шарт тоқтатылғаннан кейін 5 жыл"
    assert i18n.retention_phrase(retention, "en") == "5 years after the contract ends"


def test_country_names_come_from_cldr() -> None:
    assert i18n.country_name("KZ", "ru") == "Казахстан"
    assert i18n.country_name("kz", "kk") == "Қазақстан"
    assert i18n.country_name("DE", "en") == "Germany"

"""Translations of derbes' fixed texts (ru, kk, en) from its Babel catalogues.

The catalogues are the ``.po`` files under ``derbes/locale/<lang>/LC_MESSAGES``;
source messages are English. They are compiled in memory the first time a
language is asked for, so no compiled ``.mo`` file can drift from its ``.po``.

Enum choices of the register (legal bases, recipient roles, retention triggers,
cookie categories, channels …) get their label here (the tables are in
:mod:`derbes.platform.enum_labels`), once, for every document derbes writes: the
notice, subject letters, destruction acts.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from importlib import resources
from io import BytesIO
from typing import TYPE_CHECKING

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from derbes.deadlines.model.wording import as_lang, format_date, format_period
from derbes.errors import ConfigurationError
from derbes.platform.labels import N_, Labels, Lang

if TYPE_CHECKING:
    from derbes.register.model import register as reg

DOMAIN = "derbes"

__all__ = [
    "DOMAIN",
    "N_",
    "Lang",
    "as_lang",
    "country_name",
    "enum_label",
    "format_date",
    "format_period",
    "gettext",
    "labels",
    "language_name",
    "po_path",
    "retention_phrase",
    "translations",
]


def po_path(lang: Lang | str) -> str:
    """Where the catalogue of ``lang`` lives, relative to the ``derbes`` package."""
    return f"locale/{as_lang(lang).value}/LC_MESSAGES/{DOMAIN}.po"


@cache
def translations(lang: Lang | str) -> Translations:
    """The compiled catalogue of ``lang`` (cached; compiled from the ``.po`` on first use)."""
    language = as_lang(lang)
    source = resources.files("derbes").joinpath(po_path(language))
    try:
        with source.open("rb") as po_file:
            catalog = read_po(po_file, locale=language.value, domain=DOMAIN)
    except OSError as exc:
        raise ConfigurationError(f"cannot read the {language.value} catalogue: {exc}") from exc
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


def gettext(lang: Lang | str, message: str) -> str:
    return str(translations(lang).ugettext(message))


def labels(message: str) -> Labels:
    """A fixed text in all three languages, from the catalogues."""
    return Labels(*(gettext(lang, message) for lang in (Lang.RU, Lang.KK, Lang.EN)))


def enum_label(member: StrEnum, lang: Lang | str) -> str:
    """The label of a register choice in ``lang`` (``BasisKind.CONSENT`` → «Согласие субъекта»)."""
    from derbes.platform.enum_labels import ENUM_LABELS

    labels = ENUM_LABELS.get(type(member))
    if labels is None or member.value not in labels:
        raise ConfigurationError(f"no label for {type(member).__name__}.{member.name}")
    return gettext(lang, labels[member.value])


def retention_phrase(retention: reg.Retention, lang: Lang | str) -> str:
    """«5 лет после прекращения договора» / «шарт тоқтатылғаннан кейін 5 жыл»."""
    from derbes.platform.enum_labels import RETENTION_PHRASES

    template = gettext(lang, RETENTION_PHRASES[retention.trigger])
    return template % {"period": format_period(retention.period, lang)}


def language_name(code: Lang | str, lang: Lang | str) -> str:
    """The name of language ``code`` in ``lang`` from CLDR (``kk`` → «казахский» / «қазақ»)."""
    languages = Locale.parse(as_lang(lang).value).languages
    name = str(languages.get(str(code), str(code)))
    return name[:1].upper() + name[1:]


def country_name(code: str, lang: Lang | str) -> str:
    """The country's name in ``lang`` from CLDR (``KZ`` → «Казахстан» / «Қазақстан»)."""
    territories = Locale.parse(as_lang(lang).value).territories
    name = str(territories.get(code.upper(), code))
    return name[:1].upper() + name[1:]  # CLDR writes "неизвестный регион" (ZZ) in lower case


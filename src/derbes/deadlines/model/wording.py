"""Periods, dates and policy clauses written out for people, with each language's grammar.

Russian nouns after a numeral take one of three forms (1 год, 2 года, 5 лет);
Kazakh nouns stay singular after a numeral (5 жыл, 30 жұмыс күні); English
has singular and plural. Dates follow each language's usual long form:
«15 января 2026 г.», «2026 жылғы 15 қаңтар», «15 January 2026».

Kazakh puts the case ending on the month, with vowel harmony and the
assimilation of the first consonant: «2026 жылғы 2 наурызда алынды» (locative),
«2026 жылғы 1 қыркүйекке дейін» (dative), «1 қыркүйектен бастап» (ablative),
«2025 жылғы 8 шілдедегі Саясат» (attributive). Russian and English dates do not
change: «до 1 сентября 2026 г.», "by 1 September 2026".

Pure: the notice, subject letters and destruction acts all write periods,
dates and clauses through these functions.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from derbes.deadlines.model.periods import Period, Unit
from derbes.errors import InputError
from derbes.platform.labels import Lang

# Russian: (one, few, many) — 1 год / 3 года / 5 лет.
_RU_FORMS: dict[Unit, tuple[str, str, str]] = {
    Unit.YEARS: ("год", "года", "лет"),
    Unit.MONTHS: ("месяц", "месяца", "месяцев"),
    Unit.DAYS: ("день", "дня", "дней"),
    Unit.WORKING_DAYS: ("рабочий день", "рабочих дня", "рабочих дней"),
}

# Kazakh: the noun does not change after a numeral.
_KK_FORMS: dict[Unit, str] = {
    Unit.YEARS: "жыл",
    Unit.MONTHS: "ай",
    Unit.DAYS: "күн",
    Unit.WORKING_DAYS: "жұмыс күні",
}

_EN_FORMS: dict[Unit, tuple[str, str]] = {
    Unit.YEARS: ("year", "years"),
    Unit.MONTHS: ("month", "months"),
    Unit.DAYS: ("day", "days"),
    Unit.WORKING_DAYS: ("working day", "working days"),
}

# Russian months in the genitive case, as in a date: «15 января».
_RU_MONTHS = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip

_KK_MONTHS = (
    "қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым",
    "шілде", "тамыз", "қыркүйек", "қазан", "қараша", "желтоқсан",
)  # fmt: skip

_EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def as_lang(lang: Lang | str) -> Lang:
    """The language, or an :class:`InputError` on ``field="lang"`` naming the choices."""
    try:
        return Lang(lang)
    except ValueError:
        choices = ", ".join(x.value for x in Lang)
        raise InputError(f"unknown language {lang!r}: use one of {choices}", field="lang") from None


def ru_plural_form(n: int) -> int:
    """Index of the Russian form for ``n``: 0 one (1, 21), 1 few (2–4, 22), 2 many (5, 11–14)."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return 0
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return 1
    return 2


def format_period(period: Period, lang: Lang | str, *, explicit_calendar: bool = False) -> str:
    """``Period(5, years)`` → «5 лет» / «5 жыл» / "5 years".

    ``explicit_calendar`` writes calendar days as such («15 календарных дней»),
    where a deadline must not be mistaken for working days.
    """
    language = as_lang(lang)
    n = period.value
    calendar = explicit_calendar and period.unit is Unit.DAYS
    if language is Lang.RU:
        noun = _RU_FORMS[period.unit][ru_plural_form(n)]
        adjective = ("календарный", "календарных", "календарных")[ru_plural_form(n)]
        return f"{n} {adjective} {noun}" if calendar else f"{n} {noun}"
    if language is Lang.KK:
        noun = _KK_FORMS[period.unit]
        return f"{n} күнтізбелік {noun}" if calendar else f"{n} {noun}"
    singular, plural = _EN_FORMS[period.unit]
    noun = singular if n == 1 else plural
    return f"{n} calendar {noun}" if calendar else f"{n} {noun}"


class DateCase(StrEnum):
    """The grammatical case a date stands in; only Kazakh marks it on the date."""

    NOMINATIVE = "nominative"  # «2026 жылғы 2 наурыз»
    LOCATIVE = "locative"  # on a day: «2 наурызда алынды»
    DATIVE = "dative"  # until a day, with «дейін»: «1 қыркүйекке дейін»
    ABLATIVE = "ablative"  # from a day, with «бастап»: «1 қыркүйектен бастап»
    ATTRIBUTIVE = "attributive"  # of a day: «8 шілдедегі Саясат»


_KK_VOWELS = frozenset("аәеёиоөуұүыіэюя")
_KK_FRONT_VOWELS = frozenset("әеиөүіэ")
_KK_VOICELESS = frozenset("кқпстфхцчшщ")
_KK_NASALS = frozenset("мнң")


def _kk_front(word: str) -> bool:
    """Vowel harmony: the last vowel of the word decides front (е) or back (а)."""
    for letter in reversed(word.lower()):
        if letter in _KK_VOWELS:
            return letter in _KK_FRONT_VOWELS
    return False


def kk_suffix(word: str, case: DateCase) -> str:
    """``word`` with the Kazakh case ending: наурыз → наурызда, қыркүйек → қыркүйекке."""
    if case is DateCase.NOMINATIVE or not word:
        return word
    last, front = word[-1].lower(), _kk_front(word)
    a = "е" if front else "а"
    voiceless = last in _KK_VOICELESS
    if case is DateCase.LOCATIVE:
        return f"{word}{'т' if voiceless else 'д'}{a}"
    if case is DateCase.ATTRIBUTIVE:
        return f"{word}{'т' if voiceless else 'д'}{a}{'гі' if front else 'ғы'}"
    if case is DateCase.DATIVE:
        if voiceless:
            return f"{word}{'ке' if front else 'қа'}"
        return f"{word}{'ге' if front else 'ға'}"
    # Ablative: -нан after a nasal, -тан after a voiceless consonant, else -дан.
    first = "н" if last in _KK_NASALS else "т" if voiceless else "д"
    return f"{word}{first}{a}н"


def format_date(day: date, lang: Lang | str, case: DateCase = DateCase.NOMINATIVE) -> str:
    """«15 января 2026 г.» / «2026 жылғы 15 қаңтар» / "15 January 2026".

    ``case`` puts the Kazakh date in the case its sentence needs
    («2026 жылғы 15 қаңтарда»); Russian and English dates do not change.
    """
    language = as_lang(lang)
    month = day.month - 1
    if language is Lang.RU:
        return f"{day.day} {_RU_MONTHS[month]} {day.year} г."
    if language is Lang.KK:
        return f"{day.year} жылғы {day.day} {kk_suffix(_KK_MONTHS[month], DateCase(case))}"
    return f"{day.day} {_EN_MONTHS[month]} {day.year}"


def format_deadline(period: Period, lang: Lang | str) -> str:
    """A deadline's term: calendar days said as such, so that «15 күн» is never read as
    working days and every document writes the same rule the same way."""
    return format_period(period, lang, explicit_calendar=True)


# Clauses of a policy as the register cites them ("p.3.5", "p.10.5; p.10.7",
# "preamble", "def. 11.7", "section 8"), written the way each language cites.
_CLAUSE = re.compile(r"\b(p|subp|def|section|sec|row|item)\.?\s*(\d+(?:[.-]\d+)*\)?)",
                     re.IGNORECASE)
_CLAUSE_FORMS: dict[str, dict[Lang, str]] = {
    "p": {Lang.RU: "п. {n}", Lang.KK: "{n}-т.", Lang.EN: "p. {n}"},
    "subp": {Lang.RU: "подп. {n}", Lang.KK: "{n} тармақша", Lang.EN: "subp. {n}"},
    "def": {Lang.RU: "определение {n}", Lang.KK: "{n}-анықтама", Lang.EN: "definition {n}"},
    "section": {Lang.RU: "раздел {n}", Lang.KK: "{n}-бөлім", Lang.EN: "section {n}"},
    "row": {Lang.RU: "строка {n}", Lang.KK: "{n}-жол", Lang.EN: "row {n}"},
    "item": {Lang.RU: "пункт {n}", Lang.KK: "{n}-тармақ", Lang.EN: "item {n}"},
}
_CLAUSE_WORDS: dict[str, dict[Lang, str]] = {
    "preamble": {Lang.RU: "преамбула", Lang.KK: "кіріспе", Lang.EN: "preamble"},
    "annex": {Lang.RU: "приложение", Lang.KK: "қосымша", Lang.EN: "annex"},
    "table": {Lang.RU: "таблица", Lang.KK: "кесте", Lang.EN: "table"},
    "and": {Lang.RU: "и", Lang.KK: "және", Lang.EN: "and"},
}


# A modeller's remark on a clause ("p.1.1 (settlements with the user)") is a note
# for whoever checks the register against the policy, not text for the reader.
_REMARK = re.compile(r"\s*\([^()]*\)")


def strip_remarks(clause: str) -> str:
    """The clause references without the modeller's parenthesised remarks."""
    previous = None
    while previous != clause:
        previous, clause = clause, _REMARK.sub("", clause)
    return clause.strip()


def format_clause(clause: str, lang: Lang | str) -> str:
    """«п. 3.5» / «3.5-т.» / "p. 3.5" for "p.3.5"; lists and words likewise.
    Remarks in parentheses are the modeller's and are left out."""
    language = as_lang(lang)
    clause = strip_remarks(clause)

    def one(match: re.Match[str]) -> str:
        kind = match.group(1).lower()
        kind = "section" if kind == "sec" else kind
        return _CLAUSE_FORMS[kind][language].format(n=match.group(2))

    text = _CLAUSE.sub(one, clause)
    for word, forms in _CLAUSE_WORDS.items():
        text = re.sub(rf"\b{word}\b", forms[language], text, flags=re.IGNORECASE)
    return text

"""Periods and dates written out for people, with each language's grammar.

Russian nouns after a numeral take one of three forms (1 год, 2 года, 5 лет);
Kazakh nouns stay singular after a numeral (5 жыл, 30 жұмыс күні); English
has singular and plural. Dates follow each language's usual long form:
«15 января 2026 г.», «2026 жылғы 15 қаңтар», «15 January 2026».

Pure: the notice, subject letters and destruction acts all write periods and
dates through these two functions.
"""

from __future__ import annotations

from datetime import date

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


def format_date(day: date, lang: Lang | str) -> str:
    """«15 января 2026 г.» / «2026 жылғы 15 қаңтар» / "15 January 2026"."""
    language = as_lang(lang)
    month = day.month - 1
    if language is Lang.RU:
        return f"{day.day} {_RU_MONTHS[month]} {day.year} г."
    if language is Lang.KK:
        return f"{day.year} жылғы {day.day} {_KK_MONTHS[month]}"
    return f"{day.day} {_EN_MONTHS[month]} {day.year}"

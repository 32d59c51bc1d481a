"""Periods and dates written out in ru, kk and en."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from derbes.deadlines.model.periods import Period, Unit
from derbes.deadlines.model.wording import as_lang, format_date, format_period, ru_plural_form
from derbes.errors import InputError


@pytest.mark.parametrize(
    ("text", "ru"),
    [
        ("1 year", "1 год"),
        ("2 years", "2 года"),
        ("5 years", "5 лет"),
        ("11 years", "11 лет"),
        ("21 years", "21 год"),
        ("1 month", "1 месяц"),
        ("3 months", "3 месяца"),
        ("6 months", "6 месяцев"),
        ("12 months", "12 месяцев"),
        ("1 day", "1 день"),
        ("3 days", "3 дня"),
        ("15 days", "15 дней"),
        ("1 working day", "1 рабочий день"),
        ("3 working days", "3 рабочих дня"),
        ("30 working days", "30 рабочих дней"),
        ("14 working days", "14 рабочих дней"),
        ("22 working days", "22 рабочих дня"),
        ("111 days", "111 дней"),
    ],
)
def test_russian_periods_agree_with_the_numeral(text: str, ru: str) -> None:
    assert format_period(Period.parse(text), "ru") == ru


@pytest.mark.parametrize(
    ("text", "kk"),
    [
        ("1 year", "1 жыл"),
        ("5 years", "5 жыл"),
        ("6 months", "6 ай"),
        ("15 days", "15 күн"),
        ("1 working day", "1 жұмыс күні"),
        ("30 working days", "30 жұмыс күні"),
    ],
)
def test_kazakh_nouns_stay_singular_after_a_numeral(text: str, kk: str) -> None:
    assert format_period(Period.parse(text), "kk") == kk


@pytest.mark.parametrize(
    ("text", "en"),
    [
        ("1 year", "1 year"),
        ("5 years", "5 years"),
        ("1 month", "1 month"),
        ("1 day", "1 day"),
        ("15 days", "15 days"),
        ("1 working day", "1 working day"),
        ("30 working days", "30 working days"),
    ],
)
def test_english_periods(text: str, en: str) -> None:
    assert format_period(Period.parse(text), "en") == en


@given(st.integers(min_value=0, max_value=10_000))
def test_russian_plural_form_follows_the_last_two_digits(n: int) -> None:
    form = ru_plural_form(n)
    if n % 100 in range(11, 15):
        assert form == 2
    elif n % 10 == 1:
        assert form == 0
    elif n % 10 in (2, 3, 4):
        assert form == 1
    else:
        assert form == 2
    assert ru_plural_form(n + 100) == form


@given(st.integers(min_value=1, max_value=9999), st.sampled_from(list(Unit)))
def test_every_period_starts_with_its_number_in_every_language(n: int, unit: Unit) -> None:
    for lang in ("ru", "kk", "en"):
        text = format_period(Period(n, unit), lang)
        assert text.split(" ", 1)[0] == str(n)
        assert len(text.split(" ", 1)[1]) > 1


@pytest.mark.parametrize(
    ("day", "lang", "expected"),
    [
        (date(2026, 1, 15), "ru", "15 января 2026 г."),
        (date(2026, 1, 15), "kk", "2026 жылғы 15 қаңтар"),
        (date(2026, 1, 15), "en", "15 January 2026"),
        (date(2025, 3, 1), "ru", "1 марта 2025 г."),
        (date(2025, 4, 30), "kk", "2025 жылғы 30 сәуір"),
        (date(2024, 9, 2), "kk", "2024 жылғы 2 қыркүйек"),
        (date(2024, 12, 31), "ru", "31 декабря 2024 г."),
        (date(2024, 5, 7), "en", "7 May 2024"),
    ],
)
def test_dates_in_the_usual_long_form(day: date, lang: str, expected: str) -> None:
    assert format_date(day, lang) == expected


def test_unknown_language_is_an_input_error_on_lang() -> None:
    with pytest.raises(InputError) as caught:
        as_lang("de")
    assert caught.value.field == "lang"
    with pytest.raises(InputError):
        format_period(Period.parse("1 year"), "fr")
    with pytest.raises(InputError):
        format_date(date(2026, 1, 1), "")

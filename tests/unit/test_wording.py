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


# ------------------------------------------------------------------ Kazakh case endings

from derbes.deadlines.model.wording import DateCase, format_clause, kk_suffix  # noqa: E402

KK_MONTH_CASES = [
    # nominative, locative, dative, ablative, attributive
    ("қаңтар", "қаңтарда", "қаңтарға", "қаңтардан", "қаңтардағы"),
    ("ақпан", "ақпанда", "ақпанға", "ақпаннан", "ақпандағы"),
    ("наурыз", "наурызда", "наурызға", "наурыздан", "наурыздағы"),
    ("сәуір", "сәуірде", "сәуірге", "сәуірден", "сәуірдегі"),
    ("мамыр", "мамырда", "мамырға", "мамырдан", "мамырдағы"),
    ("маусым", "маусымда", "маусымға", "маусымнан", "маусымдағы"),
    ("шілде", "шілдеде", "шілдеге", "шілдеден", "шілдедегі"),
    ("тамыз", "тамызда", "тамызға", "тамыздан", "тамыздағы"),
    ("қыркүйек", "қыркүйекте", "қыркүйекке", "қыркүйектен", "қыркүйектегі"),
    ("қазан", "қазанда", "қазанға", "қазаннан", "қазандағы"),
    ("қараша", "қарашада", "қарашаға", "қарашадан", "қарашадағы"),
    ("желтоқсан", "желтоқсанда", "желтоқсанға", "желтоқсаннан", "желтоқсандағы"),
]
CASES = (DateCase.NOMINATIVE, DateCase.LOCATIVE, DateCase.DATIVE, DateCase.ABLATIVE,
         DateCase.ATTRIBUTIVE)


@pytest.mark.parametrize("forms", KK_MONTH_CASES, ids=[f[0] for f in KK_MONTH_CASES])
def test_kazakh_months_take_their_case_endings(forms: tuple[str, ...]) -> None:
    month = KK_MONTH_CASES.index(forms) + 1
    for case, form in zip(CASES, forms, strict=True):
        assert kk_suffix(forms[0], case) == form
        assert format_date(date(2026, month, 2), "kk", case) == f"2026 жылғы 2 {form}"


def test_dates_read_as_a_kazakh_lawyer_writes_them() -> None:
    assert format_date(date(2026, 3, 2), "kk", DateCase.LOCATIVE) + " алынды" == (
        "2026 жылғы 2 наурызда алынды")
    assert format_date(date(2026, 9, 1), "kk", DateCase.DATIVE) + " дейін" == (
        "2026 жылғы 1 қыркүйекке дейін")
    assert format_date(date(2025, 7, 8), "kk", DateCase.ATTRIBUTIVE) + " Саясат" == (
        "2025 жылғы 8 шілдедегі Саясат")


@pytest.mark.parametrize("case", list(DateCase))
def test_russian_and_english_dates_do_not_change_with_the_case(case: DateCase) -> None:
    day = date(2026, 9, 1)
    assert format_date(day, "ru", case) == "1 сентября 2026 г."
    assert format_date(day, "en", case) == "1 September 2026"


@pytest.mark.parametrize(
    ("clause", "ru", "kk", "en"),
    [
        ("p.3.5", "п. 3.5", "3.5-т.", "p. 3.5"),
        ("p.10.5; p.10.7", "п. 10.5; п. 10.7", "10.5-т.; 10.7-т.", "p. 10.5; p. 10.7"),
        ("preamble; p.9.2", "преамбула; п. 9.2", "кіріспе; 9.2-т.", "preamble; p. 9.2"),
        ("p.3.4.2, row 1", "п. 3.4.2, строка 1", "3.4.2-т., 1-жол", "p. 3.4.2, row 1"),
        ("section 8", "раздел 8", "8-бөлім", "section 8"),
        # The modeller's remarks in parentheses are notes for the checker, not citations.
        ("p.1.1 (settlements with the user); p.2.1 (bank account (IBAN))",
         "п. 1.1; п. 2.1", "1.1-т.; 2.1-т.", "p. 1.1; p. 2.1"),
    ],
)
def test_policy_clauses_are_cited_in_each_language(clause: str, ru: str, kk: str,
                                                   en: str) -> None:
    assert (format_clause(clause, "ru"), format_clause(clause, "kk"),
            format_clause(clause, "en")) == (ru, kk, en)

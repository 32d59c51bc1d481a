import contextlib
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from derbes.deadlines.model.periods import Period, Unit
from derbes.errors import PeriodError


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("5 years", 5, Unit.YEARS),
        ("1 year", 1, Unit.YEARS),
        ("3y", 3, Unit.YEARS),
        ("6 months", 6, Unit.MONTHS),
        ("15 days", 15, Unit.DAYS),
        ("15 calendar days", 15, Unit.DAYS),
        ("30 working days", 30, Unit.WORKING_DAYS),
        ("30wd", 30, Unit.WORKING_DAYS),
        ("1 Working Day", 1, Unit.WORKING_DAYS),
    ],
)
def test_parse_accepts_the_usual_spellings(text: str, value: int, unit: Unit) -> None:
    assert Period.parse(text) == Period(value, unit)


@pytest.mark.parametrize("text", ["", "five years", "5", "years", "5 fortnights", "-1 year", "1.5 years"])
def test_parse_rejects_with_a_clear_message(text: str) -> None:
    with pytest.raises(PeriodError) as info:
        Period.parse(text)
    assert "period" in info.value.message or "unit" in info.value.message


@given(st.integers(min_value=1, max_value=9999), st.sampled_from(list(Unit)))
def test_str_round_trips(value: int, unit: Unit) -> None:
    period = Period(value, unit)
    assert Period.parse(str(period)) == period


@given(st.text(max_size=40))
def test_parse_never_raises_anything_else(text: str) -> None:
    with contextlib.suppress(PeriodError):
        Period.parse(text)


def test_years_end_on_the_last_day_of_a_short_month() -> None:
    assert Period.parse("1 year").add_to(date(2024, 2, 29)) == date(2025, 2, 28)
    assert Period.parse("1 month").add_to(date(2026, 1, 31)) == date(2026, 2, 28)
    assert Period.parse("5 years").add_to(date(2026, 3, 15)) == date(2031, 3, 15)


def test_working_days_need_a_calendar() -> None:
    with pytest.raises(PeriodError):
        Period.parse("3 working days").add_to(date(2026, 1, 5))


def test_comparison_across_units_is_conservative() -> None:
    assert Period.parse("2 years").is_longer_than(Period.parse("1 year"))
    assert not Period.parse("1 year").is_longer_than(Period.parse("12 months"))
    assert Period.parse("15 working days").is_longer_than(Period.parse("15 days"))

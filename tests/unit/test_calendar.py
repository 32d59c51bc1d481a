"""The working calendar and the counting of terms, on a fake holiday set."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from derbes.deadlines.model.calendar import (
    CalendarCoverageError,
    CountingRule,
    CountingRules,
    DueRule,
    WorkingCalendar,
    describe_term,
    due_date,
)
from derbes.deadlines.model.periods import Period
from derbes.errors import InputError

ALMATY = ZoneInfo("Asia/Almaty")

# A made-up year: a three-day holiday Wed-Fri 4-6 Mar 2026, a holiday on Monday
# 16 Mar, a decreed working Saturday 14 Mar, New Year 1-2 Jan.
HOLIDAYS = frozenset(
    {date(2026, 1, 1), date(2026, 1, 2), date(2026, 3, 4), date(2026, 3, 5), date(2026, 3, 6),
     date(2026, 3, 16)}
)
WORKING_SATURDAY = date(2026, 3, 14)
FAKE = WorkingCalendar(non_working=HOLIDAYS, extra_working=frozenset({WORKING_SATURDAY}))
COUNTING = CountingRules(
    timezone="Asia/Almaty",
    start_next_day=CountingRule("start rule"),
    end_on_non_working_day=CountingRule("move rule", check=True),
    working_days=CountingRule("working days rule"),
)

days = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))
counts = st.integers(min_value=0, max_value=80)


def test_weekdays_work_weekends_and_holidays_do_not() -> None:
    assert FAKE.is_working_day(date(2026, 3, 3))  # Tuesday
    assert not FAKE.is_working_day(date(2026, 3, 4))  # holiday
    assert not FAKE.is_working_day(date(2026, 3, 7))  # Saturday
    assert FAKE.is_working_day(WORKING_SATURDAY)


def test_extra_working_wins_over_non_working() -> None:
    cal = WorkingCalendar(
        non_working=frozenset({date(2026, 3, 3)}), extra_working=frozenset({date(2026, 3, 3)})
    )
    assert cal.is_working_day(date(2026, 3, 3))


def test_add_working_days_skips_holidays_and_weekends() -> None:
    # Tue 3 Mar + 1 -> Mon 9 Mar (4-6 holidays, 7-8 weekend).
    assert FAKE.add_working_days(date(2026, 3, 3), 1) == date(2026, 3, 9)
    # Fri 13 Mar + 1 -> the decreed working Saturday.
    assert FAKE.add_working_days(date(2026, 3, 13), 1) == WORKING_SATURDAY
    # Sat 14 + 1 -> Tue 17 (Sunday off, Monday 16 holiday).
    assert FAKE.add_working_days(WORKING_SATURDAY, 1) == date(2026, 3, 17)
    assert FAKE.add_working_days(date(2026, 3, 4), 0) == date(2026, 3, 4)


def test_next_working_day() -> None:
    assert FAKE.next_working_day(date(2026, 3, 3)) == date(2026, 3, 9)
    assert FAKE.next_working_day(date(2026, 3, 3), include_self=True) == date(2026, 3, 3)
    assert FAKE.next_working_day(date(2026, 3, 7), include_self=True) == date(2026, 3, 9)


def test_negative_working_days_are_refused() -> None:
    with pytest.raises(InputError):
        FAKE.add_working_days(date(2026, 3, 3), -1)


@given(days, st.integers(min_value=1, max_value=80))
def test_add_working_days_lands_on_a_working_day(start: date, n: int) -> None:
    assert FAKE.is_working_day(FAKE.add_working_days(start, n))


@given(days, counts, counts)
def test_add_working_days_is_monotonic(start: date, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert FAKE.add_working_days(start, low) <= FAKE.add_working_days(start, high)
    if low < high:
        assert FAKE.add_working_days(start, low) < FAKE.add_working_days(start, high)


@given(days, counts)
def test_working_days_between_inverts_add(start: date, n: int) -> None:
    assert FAKE.working_days_between(start, FAKE.add_working_days(start, n)) == n


@given(days, days)
def test_working_days_between_counts_what_a_walk_day_by_day_counts(a: date, b: date) -> None:
    first, last = sorted((a, b))
    walked = sum(1 for i in range(1, (last - first).days + 1)
                 if FAKE.is_working_day(first + timedelta(days=i)))
    assert FAKE.working_days_between(first, last) == walked


@given(days, days)
def test_working_days_between_is_antisymmetric(a: date, b: date) -> None:
    assert FAKE.working_days_between(a, b) == -FAKE.working_days_between(b, a)


def test_coverage_is_enforced() -> None:
    cal = WorkingCalendar(first_day=date(2026, 1, 1), last_day=date(2026, 12, 31))
    assert cal.is_working_day(date(2026, 12, 31))
    with pytest.raises(CalendarCoverageError, match="outside"):
        cal.add_working_days(date(2026, 12, 30), 5)


def test_due_date_counts_working_days_from_the_next_day() -> None:
    result = due_date(
        datetime(2026, 3, 3, 17, 0, tzinfo=ALMATY), Period.parse("3 working days"), FAKE,
        counting=COUNTING, citations=("the deadline's rule",),
    )
    assert result.received_on == date(2026, 3, 3)
    assert result.due == date(2026, 3, 11)  # 9, 10, 11 Mar
    assert result.rule is DueRule.WORKING_DAYS
    assert result.citations == ("the deadline's rule", "start rule", "working days rule")
    assert "2026-03-11" in result.explanation.en
    assert "3 рабочих дня" in result.explanation.ru
    assert "3 жұмыс күні" in result.explanation.kk
    assert result.ends_at == datetime(2026, 3, 12, tzinfo=ALMATY)


def test_calendar_term_ending_on_a_day_off_moves_to_the_next_working_day() -> None:
    # 20 Feb + 15 days = Sat 7 Mar -> Mon 9 Mar.
    result = due_date(
        datetime(2026, 2, 20, 9, tzinfo=ALMATY), Period.parse("15 days"), FAKE, counting=COUNTING
    )
    assert result.rule is DueRule.CALENDAR_MOVED
    assert result.unmoved_end == date(2026, 3, 7)
    assert result.due == date(2026, 3, 9)
    assert "move rule" in result.citations
    assert "нерабочий день" in result.explanation.ru
    assert "жұмыс емес күн" in result.explanation.kk


def test_calendar_term_ending_on_a_working_day_stays() -> None:
    result = due_date(
        datetime(2026, 2, 20, 9, tzinfo=ALMATY), Period.parse("10 days"), FAKE, counting=COUNTING
    )
    assert (result.due, result.rule) == (date(2026, 3, 2), DueRule.CALENDAR)
    assert result.unmoved_end is None
    assert "move rule" not in result.citations


def test_month_term_uses_the_end_of_month_rule() -> None:
    result = due_date(
        datetime(2026, 1, 31, 9, tzinfo=ALMATY), Period.parse("1 month"), FAKE, counting=COUNTING
    )
    # 28 Feb 2026 is a Saturday -> Monday 2 Mar.
    assert result.unmoved_end == date(2026, 2, 28)
    assert result.due == date(2026, 3, 2)


def test_receipt_day_is_the_almaty_date_of_the_instant() -> None:
    # 20:30 UTC on Monday 2 Mar is 01:30 on Tuesday 3 Mar in Almaty (UTC+5).
    result = due_date(
        datetime(2026, 3, 2, 20, 30, tzinfo=UTC), Period.parse("1 working day"), FAKE,
        counting=COUNTING,
    )
    assert result.received_on == date(2026, 3, 3)
    assert result.due == date(2026, 3, 9)


def test_almaty_was_utc_plus_6_before_march_2024() -> None:
    # 18:30 UTC on 1 Feb 2024 is already 2 Feb in Almaty (then UTC+6), not yet at UTC+5.
    result = due_date(
        datetime(2024, 2, 1, 18, 30, tzinfo=UTC), Period.parse("1 day"), WorkingCalendar(),
        counting=COUNTING,
    )
    assert result.received_on == date(2024, 2, 2)


def test_naive_receipt_time_is_refused() -> None:
    with pytest.raises(InputError, match="time zone"):
        due_date(datetime(2026, 3, 3, 9), Period.parse("1 day"), FAKE, counting=COUNTING)


@pytest.mark.parametrize(
    ("text", "ru", "kk", "en"),
    [
        ("1 working day", "1 рабочий день", "1 жұмыс күні", "1 working day"),
        ("3 working days", "3 рабочих дня", "3 жұмыс күні", "3 working days"),
        ("30 working days", "30 рабочих дней", "30 жұмыс күні", "30 working days"),
        ("21 days", "21 календарный день", "21 күнтізбелік күн", "21 calendar days"),
        ("11 days", "11 календарных дней", "11 күнтізбелік күн", "11 calendar days"),
        ("1 year", "1 год", "1 жыл", "1 year"),
        ("5 years", "5 лет", "5 жыл", "5 years"),
        ("2 months", "2 месяца", "2 ай", "2 months"),
    ],
)
def test_describe_term(text: str, ru: str, kk: str, en: str) -> None:
    term = Period.parse(text)
    assert (describe_term(term, "ru"), describe_term(term, "kk"), describe_term(term, "en")) == (
        ru, kk, en,
    )


def test_special_days_in_a_year_are_sorted() -> None:
    assert FAKE.special_days_in(2026) == []
    assert FAKE.working_days_in(date(2026, 3, 2), date(2026, 3, 8)) == [
        date(2026, 3, 2), date(2026, 3, 3),
    ]
    assert FAKE.working_days_between(date(2026, 3, 1), date(2026, 3, 1) + timedelta(days=7)) == 2

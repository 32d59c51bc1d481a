"""Pure retention rules: end dates, category clocks, holds, minimums, histogram."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from derbes.deadlines.adapters.kz_calendar import calendar_for
from derbes.deadlines.model.periods import Period
from derbes.errors import InputError, PeriodError
from derbes.register.adapters.yaml import load_register
from derbes.retention.model.clocks import History, purpose_clocks
from derbes.retention.model.retention import (
    HoldKind,
    LegalHold,
    LegalMinimum,
    category_clocks,
    check_minimums,
    due_histogram,
    end_date,
    is_due,
    new_hold,
)
from tests.retention_support import QIWI

REGISTER = load_register(QIWI).register
SET_AT = datetime(2023, 1, 1, tzinfo=UTC)
HELD = ("identity.full_name", "aml.activity_details", "online.cookies")


def _clocks(known: History) -> tuple:  # type: ignore[type-arg]
    # The subject consented to user requests and visitor analytics (QIWI p.3.4.2).
    return purpose_clocks(REGISTER.purposes.values(), known, held=HELD)


def _history(open_contracts: int = 0) -> History:
    return History(open_contracts=open_contracts,
                   last_contract_closed=None if open_contracts else date(2021, 3, 1),
                   events={"transaction": date(2020, 6, 1)},
                   ever=frozenset({"contract", "transaction"}),
                   consent_live=frozenset({"user_requests", "visitor_analytics"}))


def test_years_end_on_the_same_day_and_working_days_use_the_calendar() -> None:
    assert end_date(Period.parse("3 years"), date(2021, 3, 1)) == date(2024, 3, 1)
    assert end_date(Period.parse("5 years"), date(2020, 2, 29)) == date(2025, 2, 28)
    with pytest.raises(PeriodError):
        end_date(Period.parse("30 working days"), date(2025, 3, 1))
    # 30 working days from Friday 28 Feb 2025 skip weekends and the March holidays.
    end = end_date(Period.parse("30 working days"), date(2025, 2, 28), calendar_for)
    assert end > date(2025, 4, 10)


def test_the_latest_purpose_keeps_a_category_and_an_open_contract_keeps_all() -> None:
    closed = _history()
    by_category = {c.category: c for c in category_clocks(REGISTER, HELD, _clocks(closed))}
    assert by_category["online.cookies"].keep_until == date(2024, 3, 1)
    assert by_category["aml.activity_details"].keep_until == date(2025, 6, 1)
    assert by_category["aml.activity_details"].purpose == "aml_antifraud"
    assert by_category["identity.full_name"].keep_until == date(2025, 6, 1)
    assert not is_due(date(2024, 3, 1), date(2024, 3, 1))
    assert is_due(date(2024, 3, 1), date(2024, 3, 2))

    still_open = _history(open_contracts=1)
    kept = category_clocks(REGISTER, HELD, _clocks(still_open))
    assert all(c.keep_until is None for c in kept)


def test_holds_push_or_suspend_destruction_of_what_they_cover() -> None:
    closed = _history()
    until = LegalHold("h1", "s", HoldKind.COURT_DECISION, "ruling 1", "court", SET_AT,
                      until=date(2026, 1, 1), categories=frozenset({"online.cookies"}))
    open_ended = LegalHold("h2", "s", HoldKind.AML_INVESTIGATION, "case 2", "FMA", SET_AT)
    clocks = _clocks(closed)
    pushed = {c.category: c for c in category_clocks(REGISTER, HELD, clocks, [until])}
    assert pushed["online.cookies"].keep_until == date(2026, 1, 1)
    assert pushed["online.cookies"].held
    assert pushed["identity.full_name"].keep_until == date(2025, 6, 1)
    stopped = category_clocks(REGISTER, HELD, clocks, [open_ended])
    assert all(c.keep_until is None and c.held for c in stopped)
    released = LegalHold("h2", "s", HoldKind.AML_INVESTIGATION, "case 2", "FMA", SET_AT,
                         released_at=SET_AT)
    assert all(c.keep_until is not None for c in category_clocks(REGISTER, HELD, clocks,
                                                                 [released]))


def test_a_hold_needs_a_basis_and_its_author() -> None:
    known = set(REGISTER.categories)
    with pytest.raises(InputError, match="basis"):
        new_hold("h", "s", {"set_by": "court"}, SET_AT, known)
    with pytest.raises(InputError, match="set_by"):
        new_hold("h", "s", {"basis": "ruling"}, SET_AT, known)
    with pytest.raises(InputError, match="unknown categories"):
        new_hold("h", "s", {"basis": "r", "set_by": "c", "categories": ["x.y"]}, SET_AT, known)
    with pytest.raises(InputError, match="before"):
        new_hold("h", "s", {"basis": "r", "set_by": "c", "until": "2022-01-01"}, SET_AT, known)
    hold = new_hold("h", "s", {"basis": "r", "set_by": "c", "kind": "court_decision",
                               "until": "2024-01-01", "categories": ["online.cookies"]},
                    SET_AT, known)
    assert hold.covers("online.cookies") and not hold.covers("identity.full_name")


def test_a_retention_shorter_than_the_law_it_cites_is_refused() -> None:
    aml = LegalMinimum("191-IV", Period.parse("5 years"), "AML Law Art. 11 p.4")
    check_minimums(REGISTER, [aml])
    longer = LegalMinimum("191-IV", Period.parse("6 years"), "a stricter law")
    with pytest.raises(InputError, match="shorter than"):
        check_minimums(REGISTER, [longer])


def test_histogram_buckets_due_dates_by_month() -> None:
    rows = [(date(2026, 1, 15), 2), (date(2026, 3, 1), 5), (date(2030, 1, 1), 1),
            (date(2025, 12, 31), 9)]
    histogram = due_histogram(rows, date(2026, 1, 10), months=3)
    assert histogram == [(date(2026, 1, 1), 2), (date(2026, 2, 1), 0), (date(2026, 3, 1), 6)]

"""Real Kazakhstan dates: the `holidays` package plus the shipped override table.

No I/O besides reading data shipped with derbes and with the `holidays` package.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from derbes.deadlines.adapters.kz_calendar import (
    build_kz_calendar,
    calendar_for,
    load_override_table,
)
from derbes.deadlines.adapters.regime_yaml import load_regime
from derbes.deadlines.model.calendar import DayKind, DueRule, WorkingCalendar
from derbes.errors import InputError

ALMATY = ZoneInfo("Asia/Almaty")


@pytest.fixture(scope="module")
def kz() -> WorkingCalendar:
    return build_kz_calendar(2023, 2027)


def at(y: int, m: int, d: int, hour: int = 10) -> datetime:
    return datetime(y, m, d, hour, tzinfo=ALMATY)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 1), False),
        (date(2026, 1, 2), False),
        (date(2026, 1, 7), False),  # Orthodox Christmas
        (date(2026, 3, 9), False),  # Women's Day fell on Sunday 8 Mar
        (date(2026, 3, 23), False),
        (date(2026, 3, 24), False),  # Nauryz 21-22 Mar fell on the weekend
        (date(2026, 3, 25), False),
        (date(2026, 3, 26), True),
        (date(2026, 5, 11), False),  # Victory Day fell on Saturday 9 May
        (date(2026, 5, 27), False),  # Kurban Ait
        (date(2026, 8, 31), True),  # 30 Aug no longer a holiday from 2026
        (date(2026, 10, 26), False),  # Republic Day fell on Sunday 25 Oct
        (date(2026, 12, 16), False),
        (date(2025, 9, 1), False),  # 2025: Constitution Day Sat 30 Aug moved to Monday
        (date(2025, 1, 3), False),  # decree: day off moved from Sunday 5 Jan 2025
        (date(2025, 1, 5), True),  # ... which became a working Sunday
        (date(2024, 5, 4), True),  # decreed working Saturday
        (date(2023, 7, 1), True),  # decreed working Saturday
        (date(2027, 3, 15), False),  # Constitution Day from 2027
        (date(2027, 8, 30), True),
    ],
)
def test_kazakhstan_days(kz: WorkingCalendar, day: date, working: bool) -> None:
    assert kz.is_working_day(day) is working


def test_2026_has_247_working_days(kz: WorkingCalendar) -> None:
    assert len(kz.working_days_in(date(2026, 1, 1), date(2026, 12, 31))) == 247


def test_special_days_carry_names_and_sources(kz: WorkingCalendar) -> None:
    by_day = {s.day: s for s in kz.special_days_in(2026)}
    kurban = by_day[date(2026, 5, 27)]
    assert kurban.kind is DayKind.DAY_OFF  # confirmed by the shipped override
    assert "Құрбан айт" in kurban.name.kk
    assert "egov" in kurban.source
    nauryz = by_day[date(2026, 3, 24)]
    assert nauryz.kind is DayKind.MOVED_DAY_OFF
    assert nauryz.name.ru.startswith("Наурыз")
    assert "Art. 5" in nauryz.source
    decree = {s.day: s for s in kz.special_days_in(2025)}[date(2025, 1, 5)]
    assert decree.kind is DayKind.WORKING_DAY
    assert "G24G0000436" in decree.source


REGIME = load_regime()


@pytest.mark.parametrize(
    ("deadline", "received", "due"),
    [
        # Friday before Nauryz: 21-25 Mar off, then Thu 26, Fri 27, Mon 30.
        ("access", at(2026, 3, 20), date(2026, 3, 30)),
        ("blocking", at(2026, 3, 20), date(2026, 3, 26)),
        # Friday 26 Dec 2025: Mon 29, Tue 30, Wed 31 Dec.
        ("access", at(2025, 12, 26), date(2025, 12, 31)),
        # ... and 30 working days run over New Year and Christmas into February.
        ("pretrial_claim", at(2025, 12, 26), date(2026, 2, 11)),
        ("breach_notification", at(2025, 12, 31, 23), date(2026, 1, 5)),
        # Kurban Ait, Wednesday 27 May 2026.
        ("blocking", at(2026, 5, 26), date(2026, 5, 28)),
        ("access", at(2026, 5, 25), date(2026, 5, 29)),
        # Orthodox Christmas, Wednesday 7 Jan 2026.
        ("blocking", at(2026, 1, 6), date(2026, 1, 8)),
        ("access", at(2026, 1, 5), date(2026, 1, 9)),
        # 15 calendar days from 20 Mar 2026 end on Saturday 4 Apr: moved to Monday.
        ("erasure_on_request", at(2026, 3, 20), date(2026, 4, 6)),
    ],
)
def test_due_dates_on_real_2026_dates(deadline: str, received: datetime, due: date) -> None:
    result = REGIME.due_date(deadline, received, calendar_for(received))
    assert result.due == due


def test_erasure_moves_off_the_weekend_and_cites_the_rule() -> None:
    received = at(2026, 3, 20)
    result = REGIME.due_date("erasure_on_request", received, calendar_for(received))
    assert result.rule is DueRule.CALENDAR_MOVED
    assert result.unmoved_end == date(2026, 4, 4)
    assert REGIME.counting.end_on_non_working_day.citation in result.citations


def test_a_utc_instant_is_counted_from_its_almaty_date() -> None:
    # 19:30 UTC on Thursday 19 Mar is 00:30 on Friday 20 Mar in Almaty.
    received = datetime(2026, 3, 19, 19, 30, tzinfo=UTC)
    result = REGIME.due_date("blocking", received, calendar_for(received))
    assert result.received_on == date(2026, 3, 20)
    assert result.due == date(2026, 3, 26)


def test_override_table_rows_are_checked() -> None:
    text = """
overrides:
  - {date: "2026-02-30", kind: day_off, source: x, reason: {ru: a, kk: b, en: c}}
  - {date: 2026-03-02, kind: holiday, source: x, reason: {ru: a, kk: b, en: c}}
  - {date: 2026-03-03, kind: day_off, reason: {ru: a, kk: b, en: c}}
  - {date: 2026-03-04, kind: day_off, source: x, reason: {ru: a, en: c}}
  - {date: 2026-03-05, kind: working_day, source: x, reason: {ru: a, kk: b, en: c}}
"""
    with pytest.raises(InputError) as caught:
        load_override_table(text, where="extra.yaml")
    message = caught.value.message
    for fragment in ("overrides[0].date", "overrides[1].kind", "overrides[2].source",
                     "overrides[3].reason"):
        assert fragment in message
    assert "overrides[4]" not in message


def test_an_impossible_unquoted_date_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"extra\.yaml"):
        load_override_table("overrides: [{date: 2026-02-30}]", where="extra.yaml")


def test_empty_override_table_is_fine() -> None:
    assert load_override_table("", where="x").overrides == ()


def test_years_must_go_forward() -> None:
    with pytest.raises(InputError):
        build_kz_calendar(2027, 2026)

"""Use cases for deadlines: the regime in force, the working calendar, due dates.

API, CLI and web call these; the rules live in ``deadlines/model/regime.py`` and
``deadlines/model/calendar.py``, the data in ``data/regime.yaml`` and the calendar
override tables. The regime table and the calendars come in from bootstrap
(``Rules.regime``, ``Rules.calendars``); an operator's register makes the
regime stricter with its ``regime_overrides``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from derbes.deadlines.model.calendar import DueDate, WorkingCalendar
from derbes.deadlines.model.periods import Period
from derbes.deadlines.model.regime import OverrideLike, Regime, RegimeOverride, apply_overrides
from derbes.deadlines.ports import Calendars


def overrides_of(items: Iterable[OverrideLike]) -> list[RegimeOverride]:
    """A register's ``regime_overrides`` as plain overrides: deadline, term, citation."""
    out: list[RegimeOverride] = []
    for item in items:
        term = item.term if isinstance(item.term, Period) else Period.parse(str(item.term))
        out.append(RegimeOverride(str(item.deadline), term, str(item.citation)))
    return out


def regime_in_force(regime: Regime, overrides: Iterable[OverrideLike] = ()) -> Regime:
    """``regime`` (the shipped table or the DPO's copy) made stricter by a register."""
    return apply_overrides(regime, overrides_of(overrides))


def working_calendar(
    calendars: Calendars, first_year: int, last_year: int | None = None
) -> WorkingCalendar:
    return calendars.years(first_year, last_year)


def due_by(
    regime: Regime, deadline_id: str, received_at: datetime, calendars: Calendars
) -> DueDate:
    """When ``deadline_id`` of ``regime`` ends for something received at ``received_at``."""
    _ = regime[deadline_id]  # an unknown id fails before the calendar is built
    return regime.due_date(deadline_id, received_at, calendars.around(received_at))

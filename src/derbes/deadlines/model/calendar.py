"""The Kazakhstan working calendar and the counting of terms on it.

A ``WorkingCalendar`` is pure data: Monday to Friday are working days, minus
the dates in ``non_working`` (public holidays, days off moved from a weekend,
days off moved by Government decree), plus the dates in ``extra_working``
(a Saturday or Sunday the Government made a working day). Which dates those
are is decided by an adapter (``deadlines/adapters/kz_calendar.py``) from the
``holidays`` package and the shipped override table; nothing here knows a
holiday by name.

``due_date`` turns (receipt instant, term, calendar, counting rules) into the
last day of the term. The counting rules and their citations come from the
regime table (``data/regime.yaml``), not from this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from derbes.deadlines.model.periods import Period, Unit
from derbes.deadlines.model.wording import format_period
from derbes.errors import ConfigurationError, InputError
from derbes.platform.labels import Labels, Lang

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5

# A guard against a calendar without working days (a broken override file):
# no real calendar has a year of consecutive days off.
_MAX_DAYS_WITHOUT_WORK = 366


class CalendarCoverageError(ConfigurationError):
    """A term runs outside the years the working calendar was built for."""

    title = "Working calendar does not cover the term"


class DayKind(StrEnum):
    HOLIDAY = "holiday"  # a public holiday (Law "On holidays" No. 267-II)
    MOVED_DAY_OFF = "moved_day_off"  # holiday fell on a weekend: next working day off
    DECREED_DAY_OFF = "decreed_day_off"  # a day off moved by Government decree
    DAY_OFF = "day_off"  # any other non-working day from an override table
    WORKING_DAY = "working_day"  # a weekend day made working, or a holiday undone

    @property
    def is_working(self) -> bool:
        return self is DayKind.WORKING_DAY


@dataclass(frozen=True)
class SpecialDay:
    """Why a date differs from the plain Monday-to-Friday week, with its source."""

    day: date
    kind: DayKind
    name: Labels
    source: str


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days: Monday–Friday minus ``non_working`` plus ``extra_working``.

    ``extra_working`` wins over ``non_working`` for the same date, so an override
    table can undo a holiday a library still lists. ``first_day``/``last_day``
    bound the dates the calendar knows about; asking outside them raises
    ``CalendarCoverageError`` instead of silently treating unknown years as
    having no holidays.
    """

    non_working: frozenset[date] = frozenset()
    extra_working: frozenset[date] = frozenset()
    first_day: date | None = None
    last_day: date | None = None
    special_days: tuple[SpecialDay, ...] = field(default=(), compare=False)

    def covers(self, day: date) -> bool:
        if self.first_day is not None and day < self.first_day:
            return False
        return not (self.last_day is not None and day > self.last_day)

    def _check(self, day: date) -> None:
        if not self.covers(day):
            raise CalendarCoverageError(
                f"the working calendar covers {self.first_day} to {self.last_day}; "
                f"{day} is outside it: build the calendar for more years"
            )

    def is_working_day(self, day: date) -> bool:
        self._check(day)
        if day in self.extra_working:
            return True
        if day in self.non_working:
            return False
        return day.weekday() < _SATURDAY

    def next_working_day(self, day: date, *, include_self: bool = False) -> date:
        """The first working day after ``day`` (or ``day`` itself if allowed and working)."""
        current = day if include_self else day + _ONE_DAY
        for _ in range(_MAX_DAYS_WITHOUT_WORK):
            if self.is_working_day(current):
                return current
            current += _ONE_DAY
        raise ConfigurationError(
            f"no working day within {_MAX_DAYS_WITHOUT_WORK} days after {day}: "
            "the calendar's override table is wrong"
        )

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start``; ``start`` itself never counts.

        ``add_working_days(d, 0)`` is ``d``. This is how a term of N working days
        counted "from the day after receipt" ends.
        """
        if n < 0:
            raise InputError(f"cannot add a negative number of working days ({n})")
        current = start
        for _ in range(n):
            current = self.next_working_day(current)
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days ``d`` with ``start < d <= end``; negative if ``end < start``.

        The inverse of ``add_working_days``:
        ``working_days_between(d, add_working_days(d, n)) == n``.
        """
        if end < start:
            return -self.working_days_between(end, start)
        if end == start:
            return 0
        first = start + _ONE_DAY
        self._check(first)
        self._check(end)  # the calendar covers one unbroken span: both ends suffice
        # Counted, not walked: Monday-to-Friday days by whole weeks, then the day-by-day
        # rest of under a week, then the overrides inside the span. A request closed
        # years ago is as cheap to show as one due tomorrow.
        span = (end - start).days
        weeks, rest = divmod(span, 7)
        count = weeks * 5 + sum(1 for i in range(rest)
                                if (first + timedelta(days=i)).weekday() < _SATURDAY)
        for day in self.non_working:
            if first <= day <= end and day.weekday() < _SATURDAY and day not in self.extra_working:
                count -= 1
        for day in self.extra_working:
            if first <= day <= end and day.weekday() >= _SATURDAY:
                count += 1
        return count

    def working_days_in(self, start: date, end: date) -> list[date]:
        """All working days from ``start`` to ``end`` inclusive."""
        days: list[date] = []
        current = start
        while current <= end:
            if self.is_working_day(current):
                days.append(current)
            current += _ONE_DAY
        return days

    def special_days_in(self, year: int) -> list[SpecialDay]:
        return sorted(
            (s for s in self.special_days if s.day.year == year), key=lambda s: (s.day, s.kind)
        )


@dataclass(frozen=True)
class CountingRule:
    """One rule of counting terms, with the citation that sets it."""

    citation: str
    check: bool = False


@dataclass(frozen=True)
class CountingRules:
    """How a term is counted: the time zone that decides the receipt day, when
    the term starts, and what happens when a calendar-day term ends on a day off."""

    timezone: str
    start_next_day: CountingRule
    end_on_non_working_day: CountingRule
    working_days: CountingRule

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigurationError(
                f"unknown time zone {self.timezone!r} in the counting rules "
                "(install the tzdata package if the system has no zone database)"
            ) from exc


class DueRule(StrEnum):
    WORKING_DAYS = "working_days"  # N working days on the working calendar
    CALENDAR = "calendar"  # calendar term ended on a working day
    CALENDAR_MOVED = "calendar_moved"  # calendar term ended on a day off: moved forward


@dataclass(frozen=True)
class DueDate:
    """The last day of a term and how it was found."""

    due: date
    received_on: date
    received_at: datetime
    term: Period
    rule: DueRule
    citations: tuple[str, ...]
    explanation: Labels
    timezone: str
    unmoved_end: date | None = None  # the calendar end before moving off a day off

    @property
    def citation(self) -> str:
        return "; ".join(self.citations)

    @property
    def ends_at(self) -> datetime:
        """The instant the term is over: midnight after the due day, local time."""
        return datetime.combine(self.due + _ONE_DAY, time(0), tzinfo=ZoneInfo(self.timezone))


def due_date(
    received_at: datetime,
    term: Period,
    calendar: WorkingCalendar,
    *,
    counting: CountingRules,
    citations: Iterable[str] = (),
) -> DueDate:
    """When a term that starts on receipt of something ends.

    ``received_at`` must be timezone-aware; the receipt day is its date in the
    counting time zone (Asia/Almaty). The term runs from the next day. Working
    days are counted on ``calendar``; a calendar-day (month, year) term that
    ends on a non-working day ends on the next working day. ``citations`` are
    the rule that sets the term; the counting rules' citations are added.
    """
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise InputError("the receipt time must carry a time zone", field="received_at")
    local = received_at.astimezone(counting.zone)
    received_on = local.date()
    cited = [*citations, counting.start_next_day.citation]
    unmoved: date | None = None
    if term.unit is Unit.WORKING_DAYS:
        due = calendar.add_working_days(received_on, term.value)
        rule = DueRule.WORKING_DAYS
        cited.append(counting.working_days.citation)
    else:
        end = term.add_to(received_on)
        if calendar.is_working_day(end):
            due, rule = end, DueRule.CALENDAR
        else:
            due = calendar.next_working_day(end)
            rule, unmoved = DueRule.CALENDAR_MOVED, end
            cited.append(counting.end_on_non_working_day.citation)
    return DueDate(
        due=due,
        received_on=received_on,
        received_at=received_at,
        term=term,
        rule=rule,
        citations=tuple(dict.fromkeys(c for c in cited if c)),
        explanation=_explain(received_on, term, due, unmoved, counting.timezone),
        timezone=counting.timezone,
        unmoved_end=unmoved,
    )


# --- wording -----------------------------------------------------------------


def describe_term(term: Period, lang: Lang | str) -> str:
    """"3 рабочих дня" / "3 жұмыс күні" / "3 working days"; calendar days said as such."""
    return format_period(term, lang, explicit_calendar=True)


def _explain(received: date, term: Period, due: date, unmoved: date | None, tz: str) -> Labels:
    ru_term, kk_term, en_term = (describe_term(term, lang) for lang in (Lang.RU, Lang.KK, Lang.EN))
    ru = f"Получено {received} (время {tz}); срок течёт со следующего дня. "
    kk = f"{received} күні алынды ({tz} уақыты); мерзім келесі күннен басталады. "
    en = f"Received on {received} ({tz} time); the term runs from the next day. "
    if term.unit is Unit.WORKING_DAYS:
        ru += f"Срок в {ru_term} по рабочему календарю Казахстана истекает {due}."
        kk += f"Қазақстанның жұмыс күнтізбесі бойынша {kk_term} мерзімі {due} күні аяқталады."
        en += f"The term of {en_term}, counted on the Kazakhstan working calendar, ends on {due}."
    elif unmoved is None:
        ru += f"Срок в {ru_term} истекает {due}, это рабочий день."
        kk += f"{kk_term} мерзімі {due} күні аяқталады, бұл жұмыс күні."
        en += f"The term of {en_term} ends on {due}, a working day."
    else:
        ru += (
            f"Срок в {ru_term} истекает {unmoved}, это нерабочий день, поэтому днём "
            f"окончания срока считается ближайший следующий рабочий день: {due}."
        )
        kk += (
            f"{kk_term} мерзімі {unmoved} күні аяқталады, бұл жұмыс емес күн, сондықтан "
            f"мерзім одан кейінгі ең жақын жұмыс күні аяқталады: {due}."
        )
        en += (
            f"The term of {en_term} ends on {unmoved}, a non-working day, so it ends "
            f"on the next working day: {due}."
        )
    return Labels(ru=ru, kk=kk, en=en)

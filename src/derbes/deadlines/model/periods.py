"""Periods and terms: "5 years", "3 months", "30 working days", "15 days".

A period is data, parsed from a register or the regime table; it always
travels with the citation of the rule that sets it (see ``register`` and
``regime``). Working days are counted on a Kazakhstan working calendar
(``calendar``), calendar units with plain date arithmetic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from derbes.errors import PeriodError


class Unit(StrEnum):
    YEARS = "years"
    MONTHS = "months"
    DAYS = "days"  # calendar days
    WORKING_DAYS = "working_days"

    @property
    def approx_days(self) -> float:
        """Rough length in calendar days, for comparing periods of different units."""
        return {
            Unit.YEARS: 365.25,
            Unit.MONTHS: 30.44,
            Unit.DAYS: 1.0,
            Unit.WORKING_DAYS: 7 / 5,
        }[self]


_ALIASES: dict[str, Unit] = {
    "y": Unit.YEARS,
    "year": Unit.YEARS,
    "years": Unit.YEARS,
    "mo": Unit.MONTHS,
    "month": Unit.MONTHS,
    "months": Unit.MONTHS,
    "d": Unit.DAYS,
    "day": Unit.DAYS,
    "days": Unit.DAYS,
    "calendar day": Unit.DAYS,
    "calendar days": Unit.DAYS,
    "wd": Unit.WORKING_DAYS,
    "working day": Unit.WORKING_DAYS,
    "working days": Unit.WORKING_DAYS,
    "working_days": Unit.WORKING_DAYS,
    "business day": Unit.WORKING_DAYS,
    "business days": Unit.WORKING_DAYS,
}

_PATTERN = re.compile(r"^\s*(\d{1,4})\s*([a-z_ ]+?)\s*$")


@dataclass(frozen=True, order=True)
class Period:
    value: int
    unit: Unit

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse "5 years", "30 working days", "30wd", "1 year", "15 days"."""
        if not isinstance(text, str):
            raise PeriodError(f"a period must be text like '5 years', got {type(text).__name__}")
        match = _PATTERN.match(text.lower())
        if not match:
            raise PeriodError(
                f"cannot parse period {text!r}: expected '<number> <unit>', "
                "unit one of years, months, days, working days"
            )
        value, unit_text = int(match.group(1)), " ".join(match.group(2).split())
        unit = _ALIASES.get(unit_text)
        if unit is None:
            raise PeriodError(
                f"unknown unit {unit_text!r} in period {text!r}: "
                "use years, months, days or working days"
            )
        return cls(value, unit)

    def __str__(self) -> str:
        label = self.unit.value.replace("_", " ")
        if self.value == 1:
            label = label[:-1]
        return f"{self.value} {label}"

    @property
    def approx_days(self) -> float:
        return self.value * self.unit.approx_days

    def is_longer_than(self, other: Period) -> bool:
        """Strictly longer; exact for the same unit, approximate across units."""
        if self.unit == other.unit:
            return self.value > other.value
        months = {Unit.YEARS: 12, Unit.MONTHS: 1}
        if self.unit in months and other.unit in months:
            return self.value * months[self.unit] > other.value * months[other.unit]
        return self.approx_days > other.approx_days

    def add_to(self, start: date) -> date:
        """End date for calendar units. Working days need a calendar: see ``calendar``."""
        if self.unit is Unit.YEARS:
            return _add_months(start, 12 * self.value)
        if self.unit is Unit.MONTHS:
            return _add_months(start, self.value)
        if self.unit is Unit.DAYS:
            return start + timedelta(days=self.value)
        raise PeriodError(f"{self} is counted in working days: use a working calendar")


def _add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    # 29 Feb + 1 year -> 28 Feb: a term that ends in a month without that day
    # ends on its last day (Civil Code Art. 175 p.3).
    for day in (start.day, 30, 29, 28):
        try:
            return start.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover

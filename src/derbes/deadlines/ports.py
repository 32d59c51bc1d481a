"""What the deadlines use cases need from outside: the working calendars.

The Kazakhstan calendar (``deadlines/adapters/kz_calendar.py``: the holidays
package, the shipped override table, the DPO's corrections) implements
:class:`Calendars`; bootstrap builds it once and puts it in ``Rules``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from derbes.deadlines.model.calendar import WorkingCalendar

__all__ = ["Calendars"]


class Calendars(Protocol):
    def around(self, instant: datetime | date) -> WorkingCalendar:
        """A calendar wide enough for any regime deadline starting at ``instant``."""
        ...

    def years(self, first_year: int, last_year: int | None = None) -> WorkingCalendar:
        """The calendar of ``first_year``..``last_year`` (inclusive)."""
        ...

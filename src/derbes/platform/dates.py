"""The span of dates derbes takes as input: 1900-01-01 to 2200-12-31.

Every date a caller gives (when a request was received, a consent runs until, an
event happened, the day a plan or a run is for) is checked against this span
where it enters, with an :class:`~derbes.errors.InputError` naming the field.

Why a span at all: deadlines, retention ends and re-consent dates are computed
by adding periods to the dates given, and Python's dates end at year 9999 (and
start at year 1), so "9999-12-31" plus thirty days, or the working days before
"0001-01-01", cannot be computed. Why these ends: no person whose data an
operator holds was born or dealt with before 1900, and the longest period in
the regime table added to 2200 still lands centuries before year 9999. This is
a technical bound on input, not a legal rule; no deadline depends on it.
"""

from __future__ import annotations

from datetime import date, datetime

from derbes.errors import InputError

EARLIEST = date(1900, 1, 1)
LATEST = date(2200, 12, 31)
SPAN = f"{EARLIEST.isoformat()} to {LATEST.isoformat()}"


def in_span(value: date | datetime) -> bool:
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST <= day <= LATEST


def check_date(value: date, field: str) -> date:
    """``value`` if it lies in the span; an InputError naming ``field`` otherwise."""
    if not in_span(value):
        raise InputError(f"{field}: a date from {SPAN} is expected", field=field)
    return value


def check_moment(value: datetime, field: str) -> datetime:
    """``value`` (a date and time) if its date lies in the span; InputError otherwise."""
    if not in_span(value):
        raise InputError(f"{field}: a date and time from {SPAN} is expected", field=field)
    return value

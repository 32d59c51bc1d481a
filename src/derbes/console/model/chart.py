"""The chart of upcoming destruction dates, as plain numbers a template draws in SVG
(no script, no chart library): one bar per month, its length a share of the longest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

__all__ = ["Bar", "bars"]


@dataclass(frozen=True)
class Bar:
    month: date  # the first day of the month
    count: int  # (subject, category) pairs falling due in it
    share: float  # 0..1 of the longest bar (0 when nothing falls due)
    y: int  # the bar's row, top down


def bars(histogram: Sequence[tuple[date, int]]) -> list[Bar]:
    """One bar per month of ``histogram`` (months in order, pairs falling due)."""
    if any(n < 0 for _, n in histogram):
        raise ValueError("a month cannot have fewer than no pairs due")
    peak = max((n for _, n in histogram), default=0)
    return [Bar(month, n, n / peak if peak else 0.0, row)
            for row, (month, n) in enumerate(histogram)]

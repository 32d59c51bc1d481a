"""Bar charts as plain numbers a template draws in SVG (no script, no chart library):
one bar per counted key, in order, its length a share of the longest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Bar", "bars"]

K = TypeVar("K")


@dataclass(frozen=True)
class Bar(Generic[K]):
    key: K  # what the bar counts (a month, a label key)
    count: int
    share: float  # 0..1 of the longest bar (0 when every count is 0)
    y: int  # the bar's row, top down


def bars(counts: Sequence[tuple[K, int]]) -> list[Bar[K]]:
    """One bar per (key, count), in order; a negative count is refused."""
    if any(n < 0 for _, n in counts):
        raise ValueError("a bar cannot count fewer than nothing")
    peak = max((n for _, n in counts), default=0)
    return [Bar(key, n, n / peak if peak else 0.0, row)
            for row, (key, n) in enumerate(counts)]

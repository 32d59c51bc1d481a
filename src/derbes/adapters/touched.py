"""Which subjects' decision state a unit of work changed, so it reseals them on commit.

Repositories that write a projection the decision point reads (subjects'
block and destruction marks, category blocks, consents and their ledger,
contracts, retention clocks) note the subjects they touch here; the unit of
work recomputes those subjects' state seals in the same transaction, just
before it commits (``domain/state_seal.py``). Noting happens in the
repositories, not in the use cases, so a new use case cannot forget it.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["Touched"]


class Touched:
    """A set of subject ids, emptied by :meth:`take`."""

    __slots__ = ("_ids",)

    def __init__(self) -> None:
        self._ids: set[str] = set()

    def add(self, subject_id: str) -> None:
        self._ids.add(subject_id)

    def update(self, subject_ids: Iterable[str]) -> None:
        self._ids.update(subject_ids)

    def take(self) -> list[str]:
        """The subjects noted so far, in order; the set is empty afterwards."""
        out = sorted(self._ids)
        self._ids.clear()
        return out

    def clear(self) -> None:
        self._ids.clear()

    def __bool__(self) -> bool:
        return bool(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

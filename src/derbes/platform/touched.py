"""Which subjects' decision state a unit of work changed, so it reseals them on commit.

Repositories that write a projection the decision point reads (subjects'
block and destruction marks, category blocks, consents and their ledger,
contracts, retention clocks) note the subjects they touch here; the unit of
work recomputes those subjects' state seals in the same transaction, just
before it commits (``integrity/model/state_seal.py``). Noting happens in the
repositories, not in the use cases, so a new use case cannot forget it.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["Touched"]


class Touched:
    """A set of subject ids, emptied by :meth:`take`.

    Subjects created in the transaction and not otherwise touched are noted
    apart (with their operator): their state is known without reading it back
    (no blocks, consents, contracts, clocks or ledger entries yet), which keeps
    bulk ingest from paying a read per batch.
    """

    __slots__ = ("_fresh", "_ids")

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._fresh: dict[str, str] = {}

    def add(self, subject_id: str) -> None:
        self._ids.add(subject_id)

    def update(self, subject_ids: Iterable[str]) -> None:
        self._ids.update(subject_ids)

    def created(self, operator_id: str, subject_ids: Iterable[str]) -> None:
        """Subjects inserted just now, with nothing else stored about them yet."""
        self._fresh.update(dict.fromkeys(subject_ids, operator_id))

    def take(self) -> tuple[list[str], dict[str, str]]:
        """(subjects to read back, in order; new subjects untouched since, with their
        operator); both are empty afterwards."""
        ids = sorted(self._ids)
        fresh = {sid: op for sid, op in self._fresh.items() if sid not in self._ids}
        self.clear()
        return ids, fresh

    def clear(self) -> None:
        self._ids.clear()
        self._fresh.clear()

    def __bool__(self) -> bool:
        return bool(self._ids or self._fresh)

    def __len__(self) -> int:
        return len(self._ids | set(self._fresh))

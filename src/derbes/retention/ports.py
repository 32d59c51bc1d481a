"""What the retention use cases need from the stores, owned by the retention slice.

``retention/adapters/store.py`` implements the retention store on SQL
(set-based), ``retention/adapters/memory_store.py`` in memory;
``retention/adapters/acts_store.py`` the destruction acts. The unit of work
hands them to the services as ``uow.retention`` and ``uow.acts``.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from derbes.retention.model.acts import Act, ActHeader
from derbes.retention.model.retention import (
    CategoryClock,
    LegalHold,
    PurposeClock,
    RunRecord,
)
from derbes.vault.ports import SealedValue

__all__ = ["ActFilter", "ActRepository", "RetentionRepository"]


@dataclass(frozen=True)
class SubjectClockRows:
    """One subject's clocks as stored: its operator, purpose clocks, category clocks."""

    operator_id: str
    purposes: Sequence[PurposeClock]
    categories: Sequence[CategoryClock]


class RetentionRepository(Protocol):
    # -- holds
    def add_hold(self, hold: LegalHold) -> None: ...

    def hold(self, hold_id: str) -> LegalHold | None: ...

    def release_hold(self, hold_id: str, at: datetime, by: str, event_id: str) -> None: ...

    def holds_for(self, subject_id: str) -> builtins.list[LegalHold]: ...

    def holds_for_subjects(self, subject_ids: Collection[str]
                           ) -> dict[str, builtins.list[LegalHold]]:
        """Every legal hold of many subjects (released ones too) in one read."""
        ...

    # -- clocks
    def put_clocks(self, subject_id: str, operator_id: str, purposes: Sequence[PurposeClock],
                   categories: Sequence[CategoryClock], at: datetime) -> None:
        """Replace the subject's purpose and category clocks."""
        ...

    def put_clocks_many(self, clocks: Mapping[str, SubjectClockRows], at: datetime) -> None:
        """Replace the purpose and category clocks of many subjects at once."""
        ...

    def add_clocks(self, operator_id: str,
                   clocks: Mapping[str, tuple[Sequence[PurposeClock], Sequence[CategoryClock]]],
                   at: datetime) -> None:
        """Insert the first clocks of new subjects (bulk ingest: no row to replace)."""
        ...

    def purpose_clocks(self, subject_ids: Collection[str]
                       ) -> dict[str, builtins.list[PurposeClock]]: ...

    def category_clocks(self, subject_id: str) -> builtins.list[CategoryClock]: ...

    # -- plan
    def due_counts(self, operator_id: str, as_of: date
                   ) -> builtins.list[tuple[str | None, str, int]]:
        """(governing purpose, category, subjects) of the pairs due on ``as_of``."""
        ...

    def due_subjects(self, operator_id: str, as_of: date) -> int: ...

    def open_counts(self, operator_id: str
                    ) -> builtins.list[tuple[str | None, str, bool, int]]:
        """(governing purpose, category, held, pairs) of the categories kept with no end
        date known (``keep_until`` NULL)."""
        ...

    def upcoming(self, operator_id: str, as_of: date, until: date
                 ) -> builtins.list[tuple[date, int]]:
        """(keep_until, pairs) for pairs not yet due whose keep_until < ``until``."""
        ...

    # -- runs
    def unfinished_run(self, operator_id: str) -> RunRecord | None: ...

    def run(self, run_id: str) -> RunRecord | None: ...

    def runs(self, operator_id: str | None = None, limit: int = 50
             ) -> builtins.list[RunRecord]: ...

    def start_run(self, run: RunRecord) -> int:
        """Store the run with its items: the subjects due on its as-of date, per
        governing purpose (how many categories). Answers the number of subjects."""
        ...

    def next_batch(self, run_id: str, size: int) -> dict[str, dict[str, int]]:
        """The next ``size`` pending subjects: subject -> {purpose: planned items}."""
        ...

    def split_batch(self, subject_ids: Collection[str], as_of: date
                    ) -> tuple[builtins.list[tuple[str, str, str]], set[str]]:
        """The due clocks of categories these subjects still hold, as (subject,
        category, purpose or ""), and the subjects that also hold a category not
        due. Locks the due clocks (PostgreSQL)."""
        ...

    def settle_items(self, run_id: str, planned: Mapping[str, Mapping[str, int]],
                     done: Mapping[str, Mapping[str, int]], shredded: Collection[str],
                     skipped: Collection[str]) -> None:
        """Mark a batch's items done (with what was really destroyed, if that
        differs from the plan: a hold came meanwhile) or skipped."""
        ...

    def due_in(self, subject_ids: Collection[str], as_of: date
               ) -> dict[str, dict[str, str | None]]:
        """Due categories of these subjects: subject -> {category: purpose}."""
        ...

    def values_of(self, subject_ids: Collection[str]) -> builtins.list[SealedValue]: ...

    def lock_subjects(self, subject_ids: Collection[str]) -> None:
        """Take the subjects' row locks (PostgreSQL; SQLite's write lock covers all):
        a concurrent update of one of them waits for the batch, or the batch for it."""
        ...

    def shred(self, subject_ids: Collection[str], at: datetime) -> int:
        """Delete everything of these subjects (values, look-ups, cards, blocks,
        category clocks) and mark them destroyed; the number of values deleted."""
        ...

    def delete_categories(self, pairs: Collection[tuple[str, str]]) -> int:
        """Delete these (subject, category) values and their clocks."""
        ...

    def drop_due_clocks(self, subject_ids: Collection[str], as_of: date) -> None:
        """Forget due clocks of categories these subjects no longer hold."""
        ...

    def delete_lookups(self, keys: Collection[tuple[str, str, str]]) -> None:
        """(subject, kind, digest) look-ups."""
        ...

    def delete_cards(self, keys: Collection[tuple[str, str]]) -> None:
        """(subject, token) card tokens."""
        ...

    def reseal(self, values: Sequence[SealedValue]) -> None:
        """Replace the ciphertext of existing values (same key columns)."""
        ...

    def add_progress(self, run_id: str, *, shredded: int = 0, partial: int = 0,
                     skipped: int = 0, values_deleted: int = 0,
                     groups: Mapping[str, Mapping[str, int]] | None = None) -> None:
        """Add to the run's counters (and merge ``groups`` into its groups)."""
        ...

    def complete_run(self, run_id: str, at: datetime, act_id: str | None) -> None: ...

    def group_members(self, run_id: str) -> Iterator[tuple[str, str, int]]:
        """(purpose, subject, pairs) of a run, by purpose and subject."""
        ...


@dataclass(frozen=True)
class ActFilter:
    operator_id: str | None = None
    year: int | None = None
    limit: int = 200


class ActRepository(Protocol):
    def add(self, act: Act) -> None:
        """Store a new act; ``ConflictError`` when its number or run is taken."""
        ...

    def last_seq(self, operator_id: str, year: int) -> int | None:
        """The highest sequence number of the operator's acts of ``year``."""
        ...

    def get(self, act_id: str) -> Act | None: ...

    def by_number(self, number: str, operator_id: str | None = None) -> builtins.list[Act]: ...

    def by_run(self, run_id: str, operator_id: str) -> Act | None: ...

    def list(self, where: ActFilter) -> builtins.list[ActHeader]:
        """Headers, the newest first."""
        ...

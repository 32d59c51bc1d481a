"""Retention holds, clocks and sweep runs in memory, over the fake vault (tests, demo)."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from derbes.platform.memory import checkpoint
from derbes.platform.touched import Touched
from derbes.retention.adapters.store import DONE, PENDING, SKIPPED, merged_groups
from derbes.retention.model.retention import (
    CategoryClock,
    LegalHold,
    PurposeClock,
    RunRecord,
    RunState,
)
from derbes.retention.ports import SubjectClockRows
from derbes.vault.ports import SealedValue

if TYPE_CHECKING:  # the fake vault lives with the tests
    from derbes.testing.vault import FakeVaultRepository

__all__ = ["FakeRetentionRepository"]


# ------------------------------------------------------------------------ fake


@dataclass
class _FakeItem:
    state: str = PENDING
    shredded: bool = False
    items: int = 0


@dataclass
class _FakeState:
    holds: dict[str, LegalHold] = field(default_factory=dict)
    clocks: dict[str, tuple[str, list[PurposeClock]]] = field(default_factory=dict)
    cats: dict[tuple[str, str], tuple[str, CategoryClock]] = field(default_factory=dict)
    runs: dict[str, RunRecord] = field(default_factory=dict)
    items: dict[str, dict[tuple[str, str], _FakeItem]] = field(default_factory=dict)

    def copy(self) -> _FakeState:
        return _FakeState(
            dict(self.holds), dict(self.clocks), dict(self.cats), dict(self.runs),
            {r: {k: replace(i) for k, i in items.items()} for r, items in self.items.items()})


class FakeRetentionRepository:
    """In memory, over the fake vault (whose rows the sweep deletes)."""

    def __init__(self, vault: FakeVaultRepository, touched: Touched | None = None) -> None:
        self._vault = vault
        self._s = _FakeState()
        self._touched = touched if touched is not None else Touched()

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "_s")

    def add_hold(self, hold: LegalHold) -> None:
        self._s.holds[hold.hold_id] = hold

    def hold(self, hold_id: str) -> LegalHold | None:
        return self._s.holds.get(hold_id)

    def release_hold(self, hold_id: str, at: datetime, by: str, event_id: str) -> None:
        self._s.holds[hold_id] = replace(self._s.holds[hold_id], released_at=at,
                                         released_by=by)

    def holds_for(self, subject_id: str) -> builtins.list[LegalHold]:
        return sorted((h for h in self._s.holds.values() if h.subject_id == subject_id),
                      key=lambda h: (h.set_at, h.hold_id))

    def holds_for_subjects(self, subject_ids: Collection[str]
                           ) -> dict[str, builtins.list[LegalHold]]:
        found = {s: self.holds_for(s) for s in set(subject_ids)}
        return {s: holds for s, holds in found.items() if holds}

    def put_clocks_many(self, clocks: Mapping[str, SubjectClockRows], at: datetime) -> None:
        for subject_id, rows in clocks.items():
            self.put_clocks(subject_id, rows.operator_id, rows.purposes, rows.categories, at)

    def add_clocks(self, operator_id: str,
                   clocks: Mapping[str, tuple[Sequence[PurposeClock], Sequence[CategoryClock]]],
                   at: datetime) -> None:
        for subject_id, (purposes, categories) in clocks.items():
            self.put_clocks(subject_id, operator_id, purposes, categories, at)

    def put_clocks(self, subject_id: str, operator_id: str, purposes: Sequence[PurposeClock],
                   categories: Sequence[CategoryClock], at: datetime) -> None:
        self._touched.add(subject_id)
        self._s.clocks[subject_id] = (operator_id, list(purposes))
        for key in [k for k in self._s.cats if k[0] == subject_id]:
            del self._s.cats[key]
        for c in categories:
            self._s.cats[(subject_id, c.category)] = (operator_id, c)

    def purpose_clocks(self, subject_ids: Collection[str]
                       ) -> dict[str, builtins.list[PurposeClock]]:
        return {s: list(self._s.clocks.get(s, ("", []))[1]) for s in subject_ids}

    def category_clocks(self, subject_id: str) -> builtins.list[CategoryClock]:
        return sorted((c for (s, _k), (_o, c) in self._s.cats.items() if s == subject_id),
                      key=lambda c: c.category)

    def _due_pairs(self, operator_id: str, as_of: date
                   ) -> builtins.list[tuple[str, CategoryClock]]:
        return [(s, c) for (s, _k), (o, c) in self._s.cats.items()
                if o == operator_id and c.keep_until is not None and c.keep_until < as_of]

    def due_counts(self, operator_id: str, as_of: date
                   ) -> builtins.list[tuple[str | None, str, int]]:
        counts: dict[tuple[str | None, str], int] = {}
        for _s, c in self._due_pairs(operator_id, as_of):
            counts[(c.purpose, c.category)] = counts.get((c.purpose, c.category), 0) + 1
        return [(p, c, n) for (p, c), n in sorted(counts.items(), key=lambda x: (
            x[0][0] or "", x[0][1]))]

    def open_counts(self, operator_id: str
                    ) -> builtins.list[tuple[str | None, str, bool, int]]:
        counts: dict[tuple[str, str, bool], int] = {}
        for (_sid, _cat), (op, clock) in self._s.cats.items():
            if op == operator_id and clock.keep_until is None:
                key = (clock.purpose or "", clock.category, clock.held)
                counts[key] = counts.get(key, 0) + 1
        return [(p or None, c, h, n) for (p, c, h), n in sorted(counts.items())]

    def due_subjects(self, operator_id: str, as_of: date) -> int:
        return len({s for s, _c in self._due_pairs(operator_id, as_of)})

    def upcoming(self, operator_id: str, as_of: date, until: date
                 ) -> builtins.list[tuple[date, int]]:
        counts: dict[date, int] = {}
        for o, c in self._s.cats.values():
            if o == operator_id and c.keep_until is not None and as_of <= c.keep_until < until:
                counts[c.keep_until] = counts.get(c.keep_until, 0) + 1
        return sorted(counts.items())

    def unfinished_run(self, operator_id: str) -> RunRecord | None:
        found = [r for r in self._s.runs.values()
                 if r.operator_id == operator_id and r.state is RunState.RUNNING]
        return min(found, key=lambda r: r.started_at) if found else None

    def run(self, run_id: str) -> RunRecord | None:
        return self._s.runs.get(run_id)

    def runs(self, operator_id: str | None = None, limit: int = 50
             ) -> builtins.list[RunRecord]:
        found = [r for r in self._s.runs.values()
                 if operator_id is None or r.operator_id == operator_id]
        return sorted(found, key=lambda r: (r.started_at, r.id), reverse=True)[:limit]

    def start_run(self, run: RunRecord) -> int:
        items: dict[tuple[str, str], _FakeItem] = {}
        for sid, clock in self._due_pairs(run.operator_id, run.as_of):
            key = (sid, clock.purpose or "")
            items.setdefault(key, _FakeItem()).items += 1
        self._s.items[run.id] = items
        total = len({sid for sid, _p in items})
        self._s.runs[run.id] = replace(run, subjects_total=total)
        return total

    def next_batch(self, run_id: str, size: int) -> dict[str, dict[str, int]]:
        pending = sorted((sid, p, i.items) for (sid, p), i in self._s.items[run_id].items()
                         if i.state == PENDING)
        first = sorted({sid for sid, _p, _n in pending})[:size]
        out: dict[str, dict[str, int]] = {sid: {} for sid in first}
        for sid, purpose, n in pending:
            if sid in out:
                out[sid][purpose] = n
        return out

    def _held(self, subject_id: str) -> set[str]:
        return {v.category for v in self._vault.values(subject_id)}

    def split_batch(self, subject_ids: Collection[str], as_of: date
                    ) -> tuple[builtins.list[tuple[str, str, str]], set[str]]:
        rows: list[tuple[str, str, str]] = []
        partial: set[str] = set()
        due_map = self.due_in(subject_ids, as_of)
        for sid in sorted(set(subject_ids)):
            held = self._held(sid)
            doomed = {c: p for c, p in due_map.get(sid, {}).items() if c in held}
            rows.extend((sid, c, p or "") for c, p in sorted(doomed.items()))
            if doomed and held - set(doomed):
                partial.add(sid)
        return rows, partial

    def settle_items(self, run_id: str, planned: Mapping[str, Mapping[str, int]],
                     done: Mapping[str, Mapping[str, int]], shredded: Collection[str],
                     skipped: Collection[str]) -> None:
        items = self._s.items[run_id]
        for sid in skipped:
            for key in [k for k in items if k[0] == sid]:
                items[key] = replace(items[key], state=SKIPPED)
        for sid, per in done.items():
            for key in [k for k in items if k[0] == sid and k[1] not in per]:
                items[key] = replace(items[key], state=SKIPPED)
            for purpose, n in per.items():
                items[(sid, purpose)] = _FakeItem(DONE, sid in shredded, n)

    def due_in(self, subject_ids: Collection[str], as_of: date
               ) -> dict[str, dict[str, str | None]]:
        wanted = set(subject_ids)
        out: dict[str, dict[str, str | None]] = {}
        for (s, k), (_o, c) in self._s.cats.items():
            if s in wanted and c.keep_until is not None and c.keep_until < as_of:
                out.setdefault(s, {})[k] = c.purpose
        return out

    def values_of(self, subject_ids: Collection[str]) -> builtins.list[SealedValue]:
        return [v for sid in sorted(set(subject_ids)) for v in self._vault.values(sid)]

    def lock_subjects(self, subject_ids: Collection[str]) -> None:
        return None  # one process, one thread: nothing to wait for

    def shred(self, subject_ids: Collection[str], at: datetime) -> int:
        deleted = 0
        for sid in subject_ids:
            deleted += self._vault.delete_values(sid)
            self._vault.delete_lookups(sid)
            self._vault.delete_cards(sid)
            self._vault.delete_category_blocks(sid)
            subject = self._vault.get(sid)
            if subject is not None and not subject.destroyed:
                self._vault.set_block(sid, None, None)
                self._vault.mark_destroyed(sid, at)
            for key in [k for k in self._s.cats if k[0] == sid]:
                del self._s.cats[key]
        return deleted

    def delete_categories(self, pairs: Collection[tuple[str, str]]) -> int:
        deleted = 0
        for sid, category in pairs:
            deleted += self._vault.delete_values(sid, [category])
            self._s.cats.pop((sid, category), None)
        return deleted

    def drop_due_clocks(self, subject_ids: Collection[str], as_of: date) -> None:
        for sid, cats in self.due_in(subject_ids, as_of).items():
            held = self._held(sid)
            for category in cats:
                if category not in held:
                    self._s.cats.pop((sid, category), None)

    def delete_lookups(self, keys: Collection[tuple[str, str, str]]) -> None:
        by_subject: dict[str, list[tuple[str, str]]] = {}
        for sid, kind, digest in keys:
            by_subject.setdefault(sid, []).append((kind, digest))
        for sid, pairs in by_subject.items():
            self._vault.delete_lookups(sid, pairs)

    def delete_cards(self, keys: Collection[tuple[str, str]]) -> None:
        by_subject: dict[str, set[str]] = {}
        for sid, token in keys:
            by_subject.setdefault(sid, set()).add(token)
        for sid, tokens in by_subject.items():
            self._vault.delete_cards(sid, tokens)

    def reseal(self, values: Sequence[SealedValue]) -> None:
        self._vault.put_values(values)

    def add_progress(self, run_id: str, *, shredded: int = 0, partial: int = 0,
                     skipped: int = 0, values_deleted: int = 0,
                     groups: Mapping[str, Mapping[str, int]] | None = None) -> None:
        r = self._s.runs[run_id]
        self._s.runs[run_id] = replace(
            r, subjects_done=r.subjects_done + shredded + partial + skipped,
            subjects_shredded=r.subjects_shredded + shredded,
            subjects_partial=r.subjects_partial + partial,
            subjects_skipped=r.subjects_skipped + skipped,
            values_deleted=r.values_deleted + values_deleted,
            groups=merged_groups(r.groups, groups or {}))

    def complete_run(self, run_id: str, at: datetime, act_id: str | None) -> None:
        self._s.runs[run_id] = replace(self._s.runs[run_id], state=RunState.COMPLETED,
                                       finished_at=at, act_id=act_id)

    def group_members(self, run_id: str) -> Iterator[tuple[str, str, int]]:
        found = sorted((p, sid, i.items) for (sid, p), i in self._s.items.get(run_id, {}).items()
                       if i.state == DONE)
        yield from found

"""Retention: holds, clocks, sweep runs — port, SQL adapter (set-based), fake.

The sweep works in batches of subjects with set-based statements: one
``DELETE … WHERE subject_id IN (…)`` per table for subjects whose every
category is due, one per category for the others, never a statement per
value. On PostgreSQL an id list is one array parameter (``= ANY(:ids)``).
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    String,
    and_,
    any_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnClause

from derbes.platform.tables import (
    card_tokens,
    category_blocks,
    legal_holds,
    pd_values,
    retention_category_clocks,
    retention_clocks,
    retention_run_items,
    retention_runs,
    subject_lookups,
    subjects,
)
from derbes.platform.touched import Touched
from derbes.register.model.register import RetentionTrigger
from derbes.retention.model.retention import (
    CategoryClock,
    HoldKind,
    LegalHold,
    PurposeClock,
    RunRecord,
    RunState,
)
from derbes.vault.ports import SealedValue

if TYPE_CHECKING:  # the fake vault lives with the tests
    from derbes.testing.vault import FakeVaultRepository

__all__ = [
    "FakeRetentionRepository",
    "RetentionRepository",
    "SqlRetentionRepository",
]

PENDING, DONE, SKIPPED = "pending", "done", "skipped"
_CHUNK = 5000  # ids per IN (...) list on SQLite (its limit is 32766 parameters)


class RetentionRepository(Protocol):
    # -- holds
    def add_hold(self, hold: LegalHold) -> None: ...

    def hold(self, hold_id: str) -> LegalHold | None: ...

    def release_hold(self, hold_id: str, at: datetime, by: str, event_id: str) -> None: ...

    def holds_for(self, subject_id: str) -> builtins.list[LegalHold]: ...

    # -- clocks
    def put_clocks(self, subject_id: str, operator_id: str, purposes: Sequence[PurposeClock],
                   categories: Sequence[CategoryClock], at: datetime) -> None:
        """Replace the subject's purpose and category clocks."""
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


# --------------------------------------------------------------------- helpers


def _hold_of(m: Any) -> LegalHold:
    cats = m["categories"]
    return LegalHold(
        hold_id=m["hold_id"], subject_id=m["subject_id"], kind=HoldKind(m["kind"]),
        basis=m["basis"], set_by=m["set_by"], set_at=m["set_at"], until=m["until"],
        categories=None if cats is None else frozenset(json.loads(cats)),
        released_at=m["released_at"], released_by=m["released_by"],
    )


def _run_of(m: Any) -> RunRecord:
    return RunRecord(
        id=m["id"], operator_id=m["operator_id"], as_of=m["as_of"], state=RunState(m["state"]),
        actor=m["actor"], batch_size=m["batch_size"], started_at=m["started_at"],
        finished_at=m["finished_at"], subjects_total=m["subjects_total"],
        subjects_done=m["subjects_done"], subjects_shredded=m["subjects_shredded"],
        subjects_partial=m["subjects_partial"], subjects_skipped=m["subjects_skipped"],
        values_deleted=m["values_deleted"], act_id=m["act_id"],
        groups=json.loads(m["groups"]),
    )


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class SqlRetentionRepository:
    def __init__(self, connection: Connection, touched: Touched | None = None) -> None:
        self._c = connection
        self._pg = connection.dialect.name == "postgresql"
        # Purpose clocks and destruction marks are sealed state (state_seal.py).
        self._touched = touched if touched is not None else Touched()

    def _among(self, column: ColumnElement[Any] | ColumnClause[Any],
               ids: Sequence[str]) -> ColumnElement[bool]:
        if self._pg:
            return column == any_(cast(list(ids), ARRAY(String)))
        return column.in_(list(ids))

    def _id_chunks(self, ids: Collection[str]) -> Iterator[Sequence[str]]:
        unique = sorted(set(ids))
        yield from _chunks(unique, (len(unique) or 1) if self._pg else _CHUNK)

    # -- holds ---------------------------------------------------------------

    def add_hold(self, hold: LegalHold) -> None:
        self._c.execute(insert(legal_holds).values(
            hold_id=hold.hold_id, subject_id=hold.subject_id, kind=hold.kind.value,
            basis=hold.basis, set_by=hold.set_by, set_at=hold.set_at, until=hold.until,
            categories=None if hold.categories is None else json.dumps(sorted(hold.categories)),
        ))

    def hold(self, hold_id: str) -> LegalHold | None:
        row = self._c.execute(
            select(legal_holds).where(legal_holds.c.hold_id == hold_id)).one_or_none()
        return None if row is None else _hold_of(row._mapping)

    def release_hold(self, hold_id: str, at: datetime, by: str, event_id: str) -> None:
        self._c.execute(update(legal_holds).where(legal_holds.c.hold_id == hold_id).values(
            released_at=at, released_by=by, release_event_id=event_id))

    def holds_for(self, subject_id: str) -> builtins.list[LegalHold]:
        rows = self._c.execute(select(legal_holds).where(legal_holds.c.subject_id == subject_id)
                               .order_by(legal_holds.c.set_at, legal_holds.c.hold_id))
        return [_hold_of(r._mapping) for r in rows]

    # -- clocks --------------------------------------------------------------

    def put_clocks(self, subject_id: str, operator_id: str, purposes: Sequence[PurposeClock],
                   categories: Sequence[CategoryClock], at: datetime) -> None:
        self._touched.add(subject_id)
        self._c.execute(delete(retention_clocks)
                        .where(retention_clocks.c.subject_id == subject_id))
        self._c.execute(delete(retention_category_clocks)
                        .where(retention_category_clocks.c.subject_id == subject_id))
        if purposes:
            self._c.execute(insert(retention_clocks), [{
                "subject_id": subject_id, "purpose_id": p.purpose, "operator_id": operator_id,
                "trigger": p.trigger.value if p.trigger else None,
                "trigger_date": p.trigger_date, "end_date": p.end_date, "updated_at": at,
            } for p in purposes])
        if categories:
            self._c.execute(insert(retention_category_clocks), [{
                "subject_id": subject_id, "category": c.category, "operator_id": operator_id,
                "keep_until": c.keep_until, "purpose_id": c.purpose, "held": int(c.held),
            } for c in categories])

    def add_clocks(self, operator_id: str,
                   clocks: Mapping[str, tuple[Sequence[PurposeClock], Sequence[CategoryClock]]],
                   at: datetime) -> None:
        purposes = [{"subject_id": sid, "purpose_id": p.purpose, "operator_id": operator_id,
                     "trigger": p.trigger.value if p.trigger else None,
                     "trigger_date": p.trigger_date, "end_date": p.end_date, "updated_at": at}
                    for sid, (found, _) in clocks.items() for p in found]
        categories = [{"subject_id": sid, "category": c.category, "operator_id": operator_id,
                       "keep_until": c.keep_until, "purpose_id": c.purpose, "held": int(c.held)}
                      for sid, (_, found) in clocks.items() for c in found]
        if purposes:
            self._c.execute(insert(retention_clocks), purposes)
        if categories:
            self._c.execute(insert(retention_category_clocks), categories)

    def purpose_clocks(self, subject_ids: Collection[str]
                       ) -> dict[str, builtins.list[PurposeClock]]:
        out: dict[str, builtins.list[PurposeClock]] = {s: [] for s in subject_ids}
        t = retention_clocks.c
        for chunk in self._id_chunks(out):
            rows = self._c.execute(select(t.subject_id, t.purpose_id, t.trigger, t.trigger_date,
                                          t.end_date).where(self._among(t.subject_id, chunk)))
            for sid, purpose, trigger, start, end in rows:
                out[sid].append(PurposeClock(
                    purpose, RetentionTrigger(trigger) if trigger else None, start, end))
        return out

    def category_clocks(self, subject_id: str) -> builtins.list[CategoryClock]:
        t = retention_category_clocks.c
        rows = self._c.execute(select(t.category, t.keep_until, t.purpose_id, t.held)
                               .where(t.subject_id == subject_id).order_by(t.category))
        return [CategoryClock(c, k, p, bool(h)) for c, k, p, h in rows]

    # -- plan ----------------------------------------------------------------

    def _due(self, operator_id: str, as_of: date) -> ColumnElement[bool]:
        t = retention_category_clocks.c
        return and_(t.operator_id == operator_id, t.keep_until < as_of)

    def due_counts(self, operator_id: str, as_of: date
                   ) -> builtins.list[tuple[str | None, str, int]]:
        t = retention_category_clocks.c
        rows = self._c.execute(
            select(t.purpose_id, t.category, func.count())
            .where(self._due(operator_id, as_of))
            .group_by(t.purpose_id, t.category).order_by(t.purpose_id, t.category))
        return [(p, c, int(n)) for p, c, n in rows]

    def open_counts(self, operator_id: str
                    ) -> builtins.list[tuple[str | None, str, bool, int]]:
        t = retention_category_clocks.c
        rows = self._c.execute(
            select(t.purpose_id, t.category, t.held, func.count())
            .where(t.operator_id == operator_id, t.keep_until.is_(None))
            .group_by(t.purpose_id, t.category, t.held)
            .order_by(t.purpose_id, t.category, t.held))
        return [(p, c, bool(h), int(n)) for p, c, h, n in rows]

    def due_subjects(self, operator_id: str, as_of: date) -> int:
        t = retention_category_clocks.c
        inner = select(t.subject_id).where(self._due(operator_id, as_of)).distinct().subquery()
        return int(self._c.execute(select(func.count()).select_from(inner)).scalar_one())

    def upcoming(self, operator_id: str, as_of: date, until: date
                 ) -> builtins.list[tuple[date, int]]:
        t = retention_category_clocks.c
        rows = self._c.execute(
            select(t.keep_until, func.count())
            .where(t.operator_id == operator_id, t.keep_until >= as_of, t.keep_until < until)
            .group_by(t.keep_until).order_by(t.keep_until))
        return [(d, int(n)) for d, n in rows]

    # -- runs ----------------------------------------------------------------

    def unfinished_run(self, operator_id: str) -> RunRecord | None:
        row = self._c.execute(
            select(retention_runs).where(retention_runs.c.operator_id == operator_id,
                                         retention_runs.c.state == RunState.RUNNING.value)
            .order_by(retention_runs.c.started_at).limit(1)).one_or_none()
        return None if row is None else _run_of(row._mapping)

    def run(self, run_id: str) -> RunRecord | None:
        row = self._c.execute(
            select(retention_runs).where(retention_runs.c.id == run_id)).one_or_none()
        return None if row is None else _run_of(row._mapping)

    def runs(self, operator_id: str | None = None, limit: int = 50
             ) -> builtins.list[RunRecord]:
        query = select(retention_runs)
        if operator_id is not None:
            query = query.where(retention_runs.c.operator_id == operator_id)
        rows = self._c.execute(query.order_by(retention_runs.c.started_at.desc(),
                                              retention_runs.c.id).limit(limit))
        return [_run_of(r._mapping) for r in rows]

    def start_run(self, run: RunRecord) -> int:
        record = run.as_dict()
        record.update(as_of=run.as_of, started_at=run.started_at, finished_at=None,
                      groups=json.dumps(record["groups"]))
        self._c.execute(insert(retention_runs).values(**record))
        t = retention_category_clocks.c
        purpose = func.coalesce(t.purpose_id, "")
        due = (select(literal(run.id, String(36)), t.subject_id, purpose, func.count(),
                      literal(PENDING, String(10)))
               .where(self._due(run.operator_id, run.as_of)).group_by(t.subject_id, purpose))
        self._c.execute(insert(retention_run_items).from_select(
            ["run_id", "subject_id", "purpose_id", "items", "state"], due))
        if self._pg:
            # Fresh statistics for the items just written: the batches look
            # them up by index, not by scanning a table the planner thinks empty.
            self._c.exec_driver_sql("ANALYZE retention_run_items")
        i = retention_run_items.c
        total = int(self._c.execute(
            select(func.count(func.distinct(i.subject_id))).where(i.run_id == run.id)
        ).scalar_one())
        self._c.execute(update(retention_runs).where(retention_runs.c.id == run.id)
                        .values(subjects_total=total))
        return total

    def next_batch(self, run_id: str, size: int) -> dict[str, dict[str, int]]:
        i = retention_run_items.c
        # Two steps, not IN (subquery … LIMIT): the planner knows nothing of a
        # table filled a moment ago, and the index answers the first directly.
        ids = list(self._c.execute(
            select(i.subject_id).where(i.run_id == run_id, i.state == PENDING)
            .distinct().order_by(i.subject_id).limit(size)).scalars())
        out: dict[str, dict[str, int]] = {sid: {} for sid in ids}
        for chunk in self._id_chunks(ids):
            rows = self._c.execute(select(i.subject_id, i.purpose_id, i["items"]).where(
                i.run_id == run_id, i.state == PENDING, self._among(i.subject_id, chunk)))
            for sid, purpose, n in rows:
                out[sid][purpose] = int(n)
        return out

    def split_batch(self, subject_ids: Collection[str], as_of: date
                    ) -> tuple[builtins.list[tuple[str, str, str]], set[str]]:
        k, v = retention_category_clocks.c, pd_values.c
        rows: list[tuple[str, str, str]] = []
        partial: set[str] = set()
        for chunk in self._id_chunks(subject_ids):
            if self._pg:
                # A hold recorded meanwhile rewrites these rows: it waits for
                # this batch, or this batch sees it.
                locked = select(k.subject_id).where(
                    self._among(k.subject_id, chunk), k.keep_until < as_of
                ).with_for_update().subquery()
                self._c.execute(select(func.count()).select_from(locked))
            held_due = and_(
                self._among(k.subject_id, chunk), k.keep_until < as_of,
                exists().where(v.subject_id == k.subject_id, v.category == k.category))
            # One row per subject and purpose, its categories joined: category
            # ids are dotted names without commas (the register's schema).
            purpose = func.coalesce(k.purpose_id, "")
            joined = (func.string_agg(k.category, ",") if self._pg
                      else func.group_concat(k.category, ","))
            for sid, p, cats in self._c.execute(
                    select(k.subject_id, purpose, joined).where(held_due)
                    .group_by(k.subject_id, purpose)):
                rows.extend((sid, category, p) for category in cats.split(","))
            undue = retention_category_clocks.alias("undue")
            partial.update(self._c.execute(
                select(v.subject_id).select_from(pd_values.outerjoin(undue, and_(
                    undue.c.subject_id == v.subject_id, undue.c.category == v.category,
                    undue.c.keep_until < as_of)))
                .where(self._among(v.subject_id, chunk), undue.c.subject_id.is_(None))
                .distinct()).scalars())
        return rows, partial & {sid for sid, _c, _p in rows}

    def settle_items(self, run_id: str, planned: Mapping[str, Mapping[str, int]],
                     done: Mapping[str, Mapping[str, int]], shredded: Collection[str],
                     skipped: Collection[str]) -> None:
        i = retention_run_items.c
        gone = set(shredded)
        for ids, values in (([s for s in done if s in gone], {"state": DONE, "shredded": 1}),
                            ([s for s in done if s not in gone],
                             {"state": DONE, "shredded": 0}),
                            (list(skipped), {"state": SKIPPED})):
            for chunk in self._id_chunks(ids):
                self._c.execute(update(retention_run_items).where(
                    i.run_id == run_id, self._among(i.subject_id, chunk)).values(**values))
        changed: list[dict[str, Any]] = []
        added: list[dict[str, Any]] = []
        dropped: list[dict[str, Any]] = []
        for sid, per in done.items():
            plan = planned.get(sid, {})
            for purpose, n in per.items():
                if purpose not in plan:
                    added.append({"run_id": run_id, "subject_id": sid, "purpose_id": purpose,
                                  "items": n, "state": DONE, "shredded": int(sid in gone)})
                elif plan[purpose] != n:
                    changed.append({"sid": sid, "p": purpose, "n": n})
            dropped.extend({"sid": sid, "p": p} for p in plan if p not in per)
        match = and_(i.run_id == run_id, i.subject_id == bindparam("sid"),
                     i.purpose_id == bindparam("p"))
        if changed:
            self._c.execute(update(retention_run_items).where(match)
                            .values(items=bindparam("n")), changed)
        if dropped:
            self._c.execute(update(retention_run_items).where(match)
                            .values(state=SKIPPED), dropped)
        if added:
            self._c.execute(insert(retention_run_items), added)

    def due_in(self, subject_ids: Collection[str], as_of: date
               ) -> dict[str, dict[str, str | None]]:
        t = retention_category_clocks.c
        out: dict[str, dict[str, str | None]] = {}
        for chunk in self._id_chunks(subject_ids):
            rows = self._c.execute(select(t.subject_id, t.category, t.purpose_id).where(
                self._among(t.subject_id, chunk), t.keep_until < as_of))
            for sid, category, purpose in rows:
                out.setdefault(sid, {})[category] = purpose
        return out

    def values_of(self, subject_ids: Collection[str]) -> builtins.list[SealedValue]:
        out: list[SealedValue] = []
        for chunk in self._id_chunks(subject_ids):
            rows = self._c.execute(select(pd_values).where(
                self._among(pd_values.c.subject_id, chunk)))
            for row in rows:
                m = row._mapping
                out.append(SealedValue(
                    subject_id=m["subject_id"], category=m["category"], seq=m["seq"],
                    sealed=m["sealed"], value_type=m["value_type"], source=m["source"],
                    purposes=tuple(json.loads(m["purposes"])), method=m["method"],
                    collected_at=m["collected_at"], updated_at=m["updated_at"]))
        return out

    def lock_subjects(self, subject_ids: Collection[str]) -> None:
        if not self._pg:
            return
        for chunk in self._id_chunks(subject_ids):
            self._c.execute(select(subjects.c.id).where(self._among(subjects.c.id, chunk))
                            .order_by(subjects.c.id).with_for_update()).all()

    def shred(self, subject_ids: Collection[str], at: datetime) -> int:
        self._touched.update(subject_ids)
        deleted = 0
        for chunk in self._id_chunks(subject_ids):
            deleted += int(self._c.execute(
                delete(pd_values).where(self._among(pd_values.c.subject_id, chunk))).rowcount)
            for table in (subject_lookups, card_tokens, category_blocks,
                          retention_category_clocks):
                self._c.execute(delete(table).where(self._among(table.c.subject_id, chunk)))
            self._c.execute(update(subjects).where(self._among(subjects.c.id, chunk),
                                                   subjects.c.destroyed_at.is_(None))
                            .values(destroyed_at=at, blocked_at=None, block_reason=None))
        return deleted

    def delete_categories(self, pairs: Collection[tuple[str, str]]) -> int:
        by_category: dict[str, list[str]] = {}
        for sid, category in pairs:
            by_category.setdefault(category, []).append(sid)
        deleted = 0
        v, t = pd_values.c, retention_category_clocks.c
        for category, ids in sorted(by_category.items()):
            for chunk in self._id_chunks(ids):
                deleted += int(self._c.execute(delete(pd_values).where(
                    v.category == category, self._among(v.subject_id, chunk))).rowcount)
                self._c.execute(delete(retention_category_clocks).where(
                    t.category == category, self._among(t.subject_id, chunk)))
        return deleted

    def drop_due_clocks(self, subject_ids: Collection[str], as_of: date) -> None:
        k, v = retention_category_clocks.c, pd_values.c
        for chunk in self._id_chunks(subject_ids):
            self._c.execute(delete(retention_category_clocks).where(
                self._among(k.subject_id, chunk), k.keep_until < as_of,
                ~exists().where(v.subject_id == k.subject_id, v.category == k.category)))

    def delete_lookups(self, keys: Collection[tuple[str, str, str]]) -> None:
        if keys:
            x = subject_lookups.c
            self._c.execute(delete(subject_lookups).where(
                x.subject_id == bindparam("sid"), x.kind == bindparam("k"),
                x.digest == bindparam("d")),
                [{"sid": s, "k": k, "d": d} for s, k, d in keys])

    def delete_cards(self, keys: Collection[tuple[str, str]]) -> None:
        for chunk in self._id_chunks([token for _s, token in keys]):
            self._c.execute(delete(card_tokens).where(self._among(card_tokens.c.token, chunk)))

    def reseal(self, values: Sequence[SealedValue]) -> None:
        if values:
            v = pd_values.c
            self._c.execute(update(pd_values).where(
                v.subject_id == bindparam("sid"), v.category == bindparam("cat"),
                v.seq == bindparam("sq")).values(sealed=bindparam("ct")),
                [{"sid": x.subject_id, "cat": x.category, "sq": x.seq, "ct": x.sealed}
                 for x in values])

    def add_progress(self, run_id: str, *, shredded: int = 0, partial: int = 0,
                     skipped: int = 0, values_deleted: int = 0,
                     groups: Mapping[str, Mapping[str, int]] | None = None) -> None:
        r = retention_runs.c
        values: dict[str, Any] = {
            "subjects_done": r.subjects_done + shredded + partial + skipped,
            "subjects_shredded": r.subjects_shredded + shredded,
            "subjects_partial": r.subjects_partial + partial,
            "subjects_skipped": r.subjects_skipped + skipped,
            "values_deleted": r.values_deleted + values_deleted,
        }
        if groups:
            current = self._c.execute(select(r.groups).where(r.id == run_id)).scalar_one()
            values["groups"] = json.dumps(_merged(json.loads(current), groups),
                                          sort_keys=True)
        self._c.execute(update(retention_runs).where(r.id == run_id).values(**values))

    def complete_run(self, run_id: str, at: datetime, act_id: str | None) -> None:
        self._c.execute(update(retention_runs).where(retention_runs.c.id == run_id).values(
            state=RunState.COMPLETED.value, finished_at=at, act_id=act_id))

    def group_members(self, run_id: str) -> Iterator[tuple[str, str, int]]:
        i = retention_run_items.c
        rows = self._c.execute(select(i.purpose_id, i.subject_id, i["items"]).where(
            i.run_id == run_id, i.state == DONE).order_by(i.purpose_id, i.subject_id))
        for purpose, sid, n in rows:
            yield purpose, sid, int(n)

def _merged(base: Mapping[str, Mapping[str, int]], more: Mapping[str, Mapping[str, int]]
            ) -> dict[str, dict[str, int]]:
    out = {p: dict(c) for p, c in base.items()}
    for purpose, cats in more.items():
        into = out.setdefault(purpose, {})
        for category, n in cats.items():
            into[category] = into.get(category, 0) + n
    return out


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
        saved = self._s.copy()

        def restore() -> None:
            self._s = saved.copy()

        return restore

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
            groups=_merged(r.groups, groups or {}))

    def complete_run(self, run_id: str, at: datetime, act_id: str | None) -> None:
        self._s.runs[run_id] = replace(self._s.runs[run_id], state=RunState.COMPLETED,
                                       finished_at=at, act_id=act_id)

    def group_members(self, run_id: str) -> Iterator[tuple[str, str, int]]:
        found = sorted((p, sid, i.items) for (sid, p), i in self._s.items.get(run_id, {}).items()
                       if i.state == DONE)
        yield from found

"""Retention: holds, clocks, sweep runs on SQL (set-based); the port is ``retention/ports.py``.

The sweep works in batches of subjects with set-based statements: one
``DELETE … WHERE subject_id IN (…)`` per table for subjects whose every
category is due, one per category for the others, never a statement per
value. On PostgreSQL an id list is one array parameter (``= ANY(:ids)``).
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

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
    text,
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
from derbes.retention.ports import RetentionRepository, SubjectClockRows
from derbes.vault.ports import SealedValue

__all__ = ["PENDING", "RetentionRepository", "SqlRetentionRepository"]

PENDING, DONE, SKIPPED = "pending", "done", "skipped"
_CHUNK = 5000  # ids per IN (...) list on SQLite (its limit is 32766 parameters)


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

    def holds_for_subjects(self, subject_ids: Collection[str]
                           ) -> dict[str, builtins.list[LegalHold]]:
        out: dict[str, builtins.list[LegalHold]] = {}
        h = legal_holds.c
        for chunk in self._id_chunks(set(subject_ids)):
            rows = self._c.execute(select(legal_holds).where(self._among(h.subject_id, chunk))
                                   .order_by(h.subject_id, h.set_at, h.hold_id))
            for row in rows:
                hold = _hold_of(row._mapping)
                out.setdefault(hold.subject_id, []).append(hold)
        return out

    # -- clocks --------------------------------------------------------------

    def put_clocks(self, subject_id: str, operator_id: str, purposes: Sequence[PurposeClock],
                   categories: Sequence[CategoryClock], at: datetime) -> None:
        self.put_clocks_many({subject_id: SubjectClockRows(operator_id, purposes, categories)},
                             at)

    def put_clocks_many(self, clocks: Mapping[str, SubjectClockRows], at: datetime) -> None:
        self._touched.update(clocks)
        for chunk in self._id_chunks(clocks):
            for table in (retention_clocks, retention_category_clocks):
                self._c.execute(delete(table).where(self._among(table.c.subject_id, chunk)))
        self._insert_clocks({sid: (rows.operator_id, rows.purposes, rows.categories)
                             for sid, rows in clocks.items()}, at)

    def add_clocks(self, operator_id: str,
                   clocks: Mapping[str, tuple[Sequence[PurposeClock], Sequence[CategoryClock]]],
                   at: datetime) -> None:
        # A new subject's clocks are part of what its state seal covers: read back.
        self._touched.update(sid for sid, (found, _) in clocks.items() if found)
        self._insert_clocks({sid: (operator_id, purposes, categories)
                             for sid, (purposes, categories) in clocks.items()}, at)

    def _insert_clocks(self, clocks: Mapping[str, tuple[str, Sequence[PurposeClock],
                                                        Sequence[CategoryClock]]],
                       at: datetime) -> None:
        purposes = [{"subject_id": sid, "purpose_id": p.purpose, "operator_id": operator_id,
                     "trigger": p.trigger.value if p.trigger else None,
                     "trigger_date": p.trigger_date, "end_date": p.end_date, "updated_at": at}
                    for sid, (operator_id, found, _) in clocks.items() for p in found]
        categories = [{"subject_id": sid, "category": c.category, "operator_id": operator_id,
                       "keep_until": c.keep_until, "purpose_id": c.purpose, "held": int(c.held)}
                      for sid, (operator_id, _, found) in clocks.items() for c in found]
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
        if keys and self._pg:
            # One statement for the batch, not one per look-up (executemany).
            sids, kinds, digests = (list(column) for column in zip(*keys, strict=True))
            self._c.execute(text(
                "DELETE FROM subject_lookups AS x USING unnest("
                "CAST(:sids AS text[]), CAST(:kinds AS text[]), CAST(:digests AS text[])"
                ") AS u(sid, kind, digest) WHERE x.subject_id = u.sid"
                " AND x.kind = u.kind AND x.digest = u.digest"),
                {"sids": sids, "kinds": kinds, "digests": digests})
        elif keys:
            x = subject_lookups.c
            self._c.execute(delete(subject_lookups).where(
                x.subject_id == bindparam("sid"), x.kind == bindparam("k"),
                x.digest == bindparam("d")),
                [{"sid": s, "k": k, "d": d} for s, k, d in keys])

    def delete_cards(self, keys: Collection[tuple[str, str]]) -> None:
        for chunk in self._id_chunks([token for _s, token in keys]):
            self._c.execute(delete(card_tokens).where(self._among(card_tokens.c.token, chunk)))

    def reseal(self, values: Sequence[SealedValue]) -> None:
        if values and self._pg:
            # One UPDATE … FROM unnest(…) for the batch, not one per value.
            self._c.execute(text(
                "UPDATE pd_values AS v SET sealed = u.sealed FROM unnest("
                "CAST(:sids AS text[]), CAST(:cats AS text[]), CAST(:seqs AS integer[]),"
                " CAST(:sealed AS bytea[])) AS u(sid, cat, seq, sealed)"
                " WHERE v.subject_id = u.sid AND v.category = u.cat AND v.seq = u.seq"),
                {"sids": [x.subject_id for x in values], "cats": [x.category for x in values],
                 "seqs": [x.seq for x in values], "sealed": [x.sealed for x in values]})
        elif values:
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
            values["groups"] = json.dumps(merged_groups(json.loads(current), groups),
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

def merged_groups(base: Mapping[str, Mapping[str, int]], more: Mapping[str, Mapping[str, int]]
            ) -> dict[str, dict[str, int]]:
    out = {p: dict(c) for p, c in base.items()}
    for purpose, cats in more.items():
        into = out.setdefault(purpose, {})
        for category, n in cats.items():
            into[category] = into.get(category, 0) + n
    return out

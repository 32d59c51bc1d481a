"""The erasure plan: what erasing a subject in one store changes, and what it keeps and why."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from derbes.datasets.model.rows import CollectedRow, SubjectRows, link_or_value
from derbes.datasets.model.spec import Dataset, KeepReasonKind, Key, SubjectIdentity
from derbes.errors import InputError
from derbes.register.model.register import BasisKind, Register

# ---------------------------------------------------------------- erasure plan


@dataclass(frozen=True)
class KeepReason:
    kind: KeepReasonKind
    purposes: tuple[str, ...] = ()  # PURPOSE, ROW_NEEDED: the purposes that keep it
    tables: tuple[str, ...] = ()  # REFERENCED: the tables whose surviving rows point here

    def describe(self) -> str:
        if self.kind is KeepReasonKind.PURPOSE:
            return "needed by purpose " + ", ".join(self.purposes)
        if self.kind is KeepReasonKind.ROW_NEEDED:
            return "the row stays: other columns are needed by purpose " + ", ".join(self.purposes)
        return "referenced by rows kept in " + ", ".join(self.tables)


@dataclass(frozen=True)
class KeptColumn:
    """Data of the subject that the plan keeps, and why (for a reasoned answer)."""

    table: str
    column: str
    category: str
    rows: int
    reason: KeepReason


@dataclass(frozen=True)
class RowUpdate:
    key: Key
    columns: tuple[str, ...]


@dataclass(frozen=True)
class TablePlan:
    table: str
    primary_key: str
    deletes: tuple[Key, ...] = ()
    updates: tuple[RowUpdate, ...] = ()
    kept: tuple[KeptColumn, ...] = ()

    @property
    def changes(self) -> bool:
        return bool(self.deletes or self.updates)

    def column_counts(self) -> dict[str, int]:
        """Rows changed per column by updates (deleted rows not counted)."""
        counts: dict[str, int] = {}
        for update in self.updates:
            for column in update.columns:
                counts[column] = counts.get(column, 0) + 1
        return counts


@dataclass(frozen=True)
class ErasurePlan:
    """What erasing the subject in one store would change, and what it keeps and why.

    ``tables`` are in apply order: children before parents.
    """

    store: str
    identity: SubjectIdentity
    categories: tuple[str, ...] | None  # None: every category
    keep_purposes: tuple[str, ...]
    tables: tuple[TablePlan, ...]
    subjects: tuple[str, ...] = ()  # ``store/table/key`` of the root rows (audit names)

    @property
    def changes(self) -> bool:
        return any(t.changes for t in self.tables)

    @property
    def rows_deleted(self) -> int:
        return sum(len(t.deletes) for t in self.tables)

    @property
    def rows_updated(self) -> int:
        return sum(len(t.updates) for t in self.tables)

    @property
    def kept(self) -> tuple[KeptColumn, ...]:
        return tuple(k for t in self.tables for k in t.kept)

    def erased_categories(self, dataset: Dataset) -> tuple[str, ...]:
        cats: set[str] = set()
        for plan in self.tables:
            spec = dataset.tables[plan.table]
            if plan.deletes:
                cats.update(c.category for c in spec.columns.values())
            for update in plan.updates:
                cats.update(spec.columns[c].category for c in update.columns)
        return tuple(sorted(cats))

    def lines(self) -> list[str]:
        """The plan in words, for a dry run (no values, only tables, columns and counts)."""
        out: list[str] = [f"store {self.store}: subject {self.identity}"]
        if not self.changes and not self.kept:
            out.append("  nothing to erase")
        for plan in self.tables:
            if plan.deletes:
                out.append(f"  {plan.table}: delete {len(plan.deletes)} row(s)")
            for column, count in plan.column_counts().items():
                out.append(f"  {plan.table}.{column}: erase in {count} row(s)")
            grouped: dict[tuple[KeepReason, int], list[str]] = {}
            for kept in plan.kept:
                grouped.setdefault((kept.reason, kept.rows), []).append(kept.column)
            for (reason, count), columns in grouped.items():
                out.append(f"  {plan.table}: keep {', '.join(columns)} in {count} row(s): "
                           f"{reason.describe()}")
        return out


def plan_erasure(
    dataset: Dataset,
    rows: SubjectRows,
    categories: Collection[str] | None = None,
    keep_purposes: Collection[str] = (),
) -> ErasurePlan:
    """Plan the erasure of the subject's ``categories`` (None: all) in the rows collected.

    Columns needed by one of ``keep_purposes`` stay (a law keeps them: credit
    dossier, AML); a row is deleted only when no column of it stays and no
    surviving row references it. Pure: the adapter applies the plan.
    """
    if categories is not None:
        unknown = sorted(set(categories) - dataset.categories)
        if unknown:
            raise InputError(f"the dataset {dataset.store.id!r} maps no column to "
                             f"{', '.join(unknown)}", field="categories")
    wanted = None if categories is None else frozenset(categories)
    keep = frozenset(keep_purposes)
    order = [t for t in rows.rows if t in dataset.tables]
    survivors: dict[str, list[CollectedRow]] = {}
    plans: dict[str, TablePlan] = {}
    for table in reversed(order):  # children first: their survival decides their parents'
        spec = dataset.tables[table]
        deletes: list[Key] = []
        updates: list[RowUpdate] = []
        kept: dict[tuple[str, KeepReason], int] = {}
        kept_columns = {c.name: c.kept_by(keep) for c in spec.columns.values() if c.kept_by(keep)}
        for row in rows.rows[table]:
            # A NULL holds nothing to erase; a delete_row column deletes the row whatever it holds.
            in_scope = [c for c in spec.columns.values()
                        if (wanted is None or c.category in wanted)
                        and (c.erasure.deletes_row or row.values.get(c.name) is not None)]
            changing = [c for c in in_scope if c.name not in kept_columns]
            for column in in_scope:
                if column.name in kept_columns and row.values.get(column.name) is not None:
                    reason = KeepReason(KeepReasonKind.PURPOSE, kept_columns[column.name])
                    kept[(column.name, reason)] = kept.get((column.name, reason), 0) + 1
            deleting = [c for c in changing if c.erasure.deletes_row]
            if deleting:
                blockers = _delete_blockers(dataset, table, row, survivors, kept_columns)
                if blockers is None:
                    deletes.append(row.key)
                    continue
                for column in deleting:
                    if row.values.get(column.name) is not None:
                        kept[(column.name, blockers)] = kept.get((column.name, blockers), 0) + 1
            survivors.setdefault(table, []).append(row)
            changed = tuple(c.name for c in changing
                            if not c.erasure.deletes_row and row.values.get(c.name) is not None)
            if changed:
                updates.append(RowUpdate(row.key, changed))
        plans[table] = TablePlan(
            table=table, primary_key=spec.primary_key, deletes=tuple(deletes),
            updates=tuple(updates),
            kept=tuple(KeptColumn(table, column, spec.columns[column].category, count, reason)
                       for (column, reason), count in kept.items()),
        )
    return ErasurePlan(
        store=dataset.store.id, identity=rows.identity,
        categories=None if categories is None else tuple(sorted(set(categories))),
        keep_purposes=tuple(sorted(keep)),
        tables=tuple(plans[t] for t in reversed(order)),
        subjects=rows.root_keys(dataset),
    )


def _delete_blockers(
    dataset: Dataset,
    table: str,
    row: CollectedRow,
    survivors: Mapping[str, Sequence[CollectedRow]],
    kept_columns: Mapping[str, tuple[str, ...]],
) -> KeepReason | None:
    """Why ``row`` cannot be deleted, or None if it can."""
    holding = [c for c in kept_columns if row.values.get(c) is not None]
    if holding:
        purposes = sorted({p for c in holding for p in kept_columns[c]})
        return KeepReason(KeepReasonKind.ROW_NEEDED, tuple(purposes))
    referencing: set[str] = set()
    for child, ref in dataset.children(table):
        target = link_or_value(row, ref.to_column)
        if any(r.links.get(ref.column) == target for r in survivors.get(child, ())):
            referencing.add(child)
    if referencing:
        return KeepReason(KeepReasonKind.REFERENCED, tables=tuple(sorted(referencing)))
    return None


def purposes_that_keep(register: Register) -> tuple[str, ...]:
    """Purposes whose basis is a legal obligation: their data stay until their retention ends.

    A default for callers that have no finer rule (the retention engine decides
    per subject which of these still run).
    """
    return tuple(p.id for p in register.purposes.values()
                 if p.basis.kind in (BasisKind.LEGAL_OBLIGATION, BasisKind.STATE_REQUEST))

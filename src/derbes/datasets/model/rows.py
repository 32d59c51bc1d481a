"""The subject's rows in a store: the walk from the identity columns to related rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from typing import Any

from derbes.datasets.model.spec import Dataset, IdentityKind, Key, SubjectIdentity
from derbes.errors import InputError

# ---------------------------------------------------------------- collecting


@dataclass(frozen=True)
class CollectedRow:
    """One row of the subject. ``values`` (PD) and ``links`` never show in ``repr``."""

    table: str
    key: Key
    values: Mapping[str, Any] = field(repr=False)  # mapped column -> value
    links: Mapping[str, Any] = field(repr=False, default_factory=dict)  # reference columns


@dataclass(frozen=True)
class CollectedValue:
    table: str
    column: str
    category: str
    key: Key
    value: Any = field(repr=False)


@dataclass(frozen=True)
class SubjectRows:
    """The subject's rows in one store, table by table (walk order: roots first)."""

    store: str
    identity: SubjectIdentity
    rows: Mapping[str, tuple[CollectedRow, ...]]
    categories_of: Mapping[str, Mapping[str, str]]  # table -> column -> category

    @property
    def found(self) -> bool:
        return any(self.rows.values())

    @property
    def row_count(self) -> int:
        return sum(len(r) for r in self.rows.values())

    def counts(self) -> dict[str, int]:
        return {table: len(rows) for table, rows in self.rows.items()}

    @property
    def categories(self) -> tuple[str, ...]:
        """Categories with at least one non-NULL value for the subject, sorted."""
        return tuple(sorted({v.category for v in self.values()}))

    def values(self) -> Iterable[CollectedValue]:
        """Every non-NULL PD value, with its table, column, category and row key."""
        for table, rows in self.rows.items():
            cats = self.categories_of[table]
            for row in rows:
                for column, value in row.values.items():
                    if value is not None:
                        yield CollectedValue(table, column, cats[column], row.key, value)

    def root_keys(self, dataset: Dataset) -> tuple[str, ...]:
        """``store/table/key`` of the rows found by identity: names for the audit log."""
        out: list[str] = []
        for table, rows in self.rows.items():
            if dataset.tables[table].identity_columns(self.identity.kind):
                out += [f"{self.store}/{table}/{row.key}" for row in rows]
        return tuple(out)


def walk_order(dataset: Dataset, kind: IdentityKind) -> tuple[str, ...]:
    """Tables reachable from the tables that identify by ``kind``, parents before children."""
    roots = {t.name for t in dataset.tables.values() if t.identity_columns(kind)}
    if not roots:
        raise InputError(f"dataset {dataset.store.id!r} has no identity column of kind {kind}",
                         field="identity")
    graph = {t.name: {r.to_table for r in t.references} for t in dataset.tables.values()}
    reachable = set(roots)
    changed = True
    while changed:
        changed = False
        for name, parents in graph.items():
            if name not in reachable and parents & reachable:
                reachable.add(name)
                changed = True
    order = TopologicalSorter({n: graph[n] & reachable for n in reachable}).static_order()
    return tuple(order)


def table_filter(
    dataset: Dataset,
    table: str,
    identity: SubjectIdentity,
    found: Mapping[str, Sequence[CollectedRow]],
) -> dict[str, frozenset[Any]]:
    """Which rows of ``table`` belong to the subject: column -> values, any of which matches.

    The identity columns of ``table`` match the identity; each reference matches
    the values of the parent rows already found. Empty: nothing can match.
    """
    spec = dataset.tables[table]
    filters: dict[str, set[Any]] = {}
    for column in spec.identity_columns(identity.kind):
        filters.setdefault(column, set()).add(identity.value)
    for ref in spec.references:
        parents = found.get(ref.to_table, ())
        values = {link_or_value(row, ref.to_column) for row in parents}
        values.discard(None)
        if values:
            filters.setdefault(ref.column, set()).update(values)
    return {column: frozenset(values) for column, values in filters.items() if values}


def link_or_value(row: CollectedRow, column: str) -> Any:
    if column in row.links:
        return row.links[column]
    if column in row.values:
        return row.values[column]
    return row.key


def collected_row(dataset: Dataset, table: str, record: Mapping[str, Any]) -> CollectedRow:
    """A :class:`CollectedRow` from a record holding the table's :meth:`needed_columns`."""
    spec = dataset.tables[table]
    key = record[spec.primary_key]
    return CollectedRow(
        table=table,
        key=key if isinstance(key, int | str) else str(key),
        values={c: record[c] for c in spec.columns},
        links={c: record[c] for c in dataset.link_columns(table)} | {
            spec.primary_key: record[spec.primary_key]},
    )


def subject_rows(
    dataset: Dataset, identity: SubjectIdentity, rows: Mapping[str, Sequence[CollectedRow]]
) -> SubjectRows:
    return SubjectRows(
        store=dataset.store.id,
        identity=identity,
        rows={table: tuple(found) for table, found in rows.items()},
        categories_of={table: {c.name: c.category for c in dataset.tables[table].columns.values()}
                       for table in rows},
    )



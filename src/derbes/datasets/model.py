"""Datasets: how an operator's own database holds personal data, and what erasing it means.

A dataset describes one store (one database of the operator): its tables, the
columns that identify the subject, the data category of every PD column (ids
of the processing register), the references between tables, the purposes each
table serves and how each column is erased. derbes uses it to answer an access
request over the operator's own data (Law 94-V Art. 24) and to destroy what
may be destroyed while keeping what a law requires to keep.

This module is pure: the model, its checks against the register
(:func:`build`), the walk from the subject's root rows to related rows
(:func:`walk_order`, :func:`table_filter`), the erasure plan
(:func:`plan_erasure`) and the masking and hashing rules. The adapter in
``datasets/adapters/connectors/sql.py`` does the I/O.

Erasure of a column (``erasure`` in the YAML):

* ``delete_row`` — erasing this column deletes the whole row (with every other
  column of it). A row is deleted only if nothing keeps it: no column of the
  row is needed by a purpose that must keep data, and no row that references
  it survives (children go first). A deletion that is kept is reported with
  its reason, never dropped silently.
* ``null`` — the column is set to NULL.
* ``mask`` — characters are replaced by ``char``, keeping ``keep_first`` and
  ``keep_last``; the length is kept so the value still fits the column.
* ``hash`` — the value is replaced by a keyed hash (HMAC-SHA-256) of it, cut
  to ``length`` characters of ``alphabet`` (hex or digits), after ``prefix``.
  The key is random for each erasure unless the dataset names an environment
  variable holding a stable key: a random key destroys the value and keeps
  uniqueness; a stable key pseudonymises (the same value gives the same hash).

Values collected from a store are personal data: :class:`CollectedRow` does
not show them in its ``repr``, and nothing here logs them.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from graphlib import CycleError, TopologicalSorter
from typing import Any

from derbes.errors import DatasetError, InputError, Problem
from derbes.register.model.register import BasisKind, Register

SCHEMA_VERSION = 1

# A primary-key value. Other key types (UUID…) are carried as text.
Key = int | str


class IdentityKind(StrEnum):
    """What a subject is looked up by in an operator's database."""

    IIN = "iin"
    PHONE = "phone"
    EMAIL = "email"
    CUSTOMER_ID = "customer_id"


class ErasureStrategy(StrEnum):
    DELETE_ROW = "delete_row"
    NULL = "null"
    MASK = "mask"
    HASH = "hash"


class HashAlphabet(StrEnum):
    HEX = "hex"
    DIGITS = "digits"


class KeepReasonKind(StrEnum):
    PURPOSE = "purpose"  # a purpose that must keep the data needs this column
    ROW_NEEDED = "row_needed"  # the row stays: other columns of it are needed by a purpose
    REFERENCED = "referenced"  # rows that survive reference this row


# ---------------------------------------------------------------- erasure rules


@dataclass(frozen=True)
class MaskRule:
    keep_first: int = 0
    keep_last: int = 0
    char: str = "*"

    def __post_init__(self) -> None:
        if self.keep_first < 0 or self.keep_last < 0:
            raise InputError("mask: keep_first and keep_last cannot be negative")
        if len(self.char) != 1:
            raise InputError("mask: char must be one character")


@dataclass(frozen=True)
class HashRule:
    length: int = 64
    alphabet: HashAlphabet = HashAlphabet.HEX
    prefix: str = ""
    key_env: str | None = None  # env var with a stable key; None: a random key per erasure

    def __post_init__(self) -> None:
        if not 1 <= self.length <= 64:
            raise InputError("hash: length must be 1 to 64")


@dataclass(frozen=True)
class Erasure:
    strategy: ErasureStrategy
    mask: MaskRule | None = None
    hash: HashRule | None = None

    @property
    def deletes_row(self) -> bool:
        return self.strategy is ErasureStrategy.DELETE_ROW


def mask_value(value: str, rule: MaskRule) -> str:
    """``value`` with every character replaced by ``rule.char`` except the kept ends.

    The length is kept. When the kept ends would cover half of the value or
    more, fewer are kept, so at least half of the characters are always hidden.
    """
    n = len(value)
    first, last = rule.keep_first, rule.keep_last
    budget = n // 2  # at most this many characters stay in clear
    if first + last > budget:
        first = min(first, budget)
        last = min(last, budget - first)
    end = n - last
    return value[:first] + rule.char * (end - first) + value[end:]


def hash_value(value: str, key: bytes, rule: HashRule) -> str:
    """A keyed hash of ``value`` in the rule's alphabet and length, after its prefix."""
    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).digest()
    if rule.alphabet is HashAlphabet.HEX:
        text = digest.hex()[: rule.length]
    else:
        number = int.from_bytes(digest, "big") % (10**rule.length)
        text = f"{number:0{rule.length}d}"
    return rule.prefix + text


def erased_value(value: Any, erasure: Erasure, key: bytes) -> Any:
    """The value a column takes when erased with a non-deleting strategy."""
    if value is None or erasure.strategy is ErasureStrategy.NULL:
        return None
    text = value if isinstance(value, str) else str(value)
    if erasure.strategy is ErasureStrategy.MASK and erasure.mask is not None:
        return mask_value(text, erasure.mask)
    if erasure.strategy is ErasureStrategy.HASH and erasure.hash is not None:
        return hash_value(text, key, erasure.hash)
    raise InputError(f"erasure {erasure.strategy} does not give a value")


# ---------------------------------------------------------------- the model


@dataclass(frozen=True)
class StoreSpec:
    id: str
    url_env: str  # the environment variable that holds the SQLAlchemy URL
    description: str | None = None


@dataclass(frozen=True)
class Identity:
    column: str
    kind: IdentityKind


@dataclass(frozen=True)
class Reference:
    """``column`` of this (child) table holds the value of ``to_table.to_column``."""

    column: str
    to_table: str
    to_column: str


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    category: str
    erasure: Erasure
    # The table's purposes that need this column's category (from the register).
    purposes: tuple[str, ...] = ()

    def kept_by(self, keep_purposes: Collection[str]) -> tuple[str, ...]:
        return tuple(p for p in self.purposes if p in keep_purposes)


@dataclass(frozen=True)
class TableSpec:
    name: str
    primary_key: str
    columns: Mapping[str, ColumnSpec]
    purposes: tuple[str, ...]
    identity: tuple[Identity, ...] = ()
    references: tuple[Reference, ...] = ()

    def identity_columns(self, kind: IdentityKind) -> tuple[str, ...]:
        return tuple(i.column for i in self.identity if i.kind is kind)


@dataclass(frozen=True)
class Dataset:
    store: StoreSpec
    operator: str
    tables: Mapping[str, TableSpec]

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(c.category for t in self.tables.values() for c in t.columns.values())

    def children(self, table: str) -> tuple[tuple[str, Reference], ...]:
        """(child table, reference) for every reference that points at ``table``."""
        return tuple(
            (child.name, ref)
            for child in self.tables.values()
            for ref in child.references
            if ref.to_table == table
        )

    def needed_columns(self, table: str) -> tuple[str, ...]:
        """Columns to read from ``table``: key, PD, own references, columns children point at."""
        spec = self.tables[table]
        wanted = [spec.primary_key, *spec.columns]
        wanted += [r.column for r in spec.references]
        wanted += [r.to_column for _, r in self.children(table)]
        wanted += [i.column for i in spec.identity]
        return tuple(dict.fromkeys(wanted))

    def link_columns(self, table: str) -> tuple[str, ...]:
        """Columns the walk and the planner need besides PD: references both ways."""
        spec = self.tables[table]
        wanted = [r.column for r in spec.references]
        wanted += [r.to_column for _, r in self.children(table)]
        return tuple(dict.fromkeys(wanted))


@dataclass(frozen=True)
class SubjectIdentity:
    """What the subject is looked up by. The value is PD: it never shows in ``repr``."""

    kind: IdentityKind
    value: str = field(repr=False)

    @property
    def masked(self) -> str:
        keep = 4 if self.kind in (IdentityKind.IIN, IdentityKind.CUSTOMER_ID) else 2
        return mask_value(self.value, MaskRule(keep_first=0, keep_last=keep))

    def __str__(self) -> str:
        return f"{self.kind}:{self.masked}"


# ---------------------------------------------------------------- building


def _dotted(table_index: int, *rest: str | int) -> str:
    path = f"tables[{table_index}]"
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


_OPTIONS: dict[ErasureStrategy, frozenset[str]] = {
    ErasureStrategy.DELETE_ROW: frozenset(),
    ErasureStrategy.NULL: frozenset(),
    ErasureStrategy.MASK: frozenset({"keep_first", "keep_last", "char"}),
    ErasureStrategy.HASH: frozenset({"length", "alphabet", "prefix", "key_env"}),
}


def _erasure(raw: Any, path: str, problems: list[Problem]) -> Erasure:
    if raw is None:  # `erasure: null` in YAML reads as None: the null strategy
        return Erasure(ErasureStrategy.NULL)
    if isinstance(raw, str):
        raw = {"strategy": raw}
    strategy = ErasureStrategy(raw["strategy"])
    extra = sorted(set(raw) - {"strategy"} - _OPTIONS[strategy])
    if extra:
        problems.append(Problem(f"{strategy} does not take {', '.join(extra)}", path))
    try:
        if strategy is ErasureStrategy.MASK:
            return Erasure(strategy, mask=MaskRule(
                keep_first=int(raw.get("keep_first", 0)),
                keep_last=int(raw.get("keep_last", 0)),
                char=str(raw.get("char", "*")),
            ))
        if strategy is ErasureStrategy.HASH:
            return Erasure(strategy, hash=HashRule(
                length=int(raw.get("length", 64)),
                alphabet=HashAlphabet(raw.get("alphabet", "hex")),
                prefix=str(raw.get("prefix", "")),
                key_env=raw.get("key_env"),
            ))
    except InputError as exc:
        problems.append(Problem(exc.message, path))
        return Erasure(ErasureStrategy.NULL)
    return Erasure(strategy)


def build(data: Mapping[str, Any], register: Register | None) -> Dataset:
    """Build a dataset from schema-valid data; check it, against ``register`` if given.

    Raises :class:`DatasetError` with every problem, each with its dotted path.
    """
    problems: list[Problem] = []
    store_raw = data["store"]
    store = StoreSpec(id=store_raw["id"], url_env=store_raw["url_env"],
                      description=store_raw.get("description"))
    operator = str(data["operator"])
    if register is not None and register.operator.id != operator:
        problems.append(Problem(
            f"the register given is that of {register.operator.id!r}, not {operator!r}",
            "operator"))
        register = None

    tables: dict[str, TableSpec] = {}
    raw_tables: list[Mapping[str, Any]] = list(data["tables"])
    for ti, raw in enumerate(raw_tables):
        name = raw["name"]
        if name in tables:
            problems.append(Problem(f"table {name!r} is described twice", _dotted(ti, "name")))
            continue
        purposes = tuple(raw["purposes"])
        for pi, purpose in enumerate(purposes):
            if register is not None and purpose not in register.purposes:
                problems.append(Problem(f"unknown purpose {purpose!r}: the register of "
                                        f"{operator!r} does not declare it",
                                        _dotted(ti, "purposes", pi)))
        columns: dict[str, ColumnSpec] = {}
        for col_name, col_raw in raw["columns"].items():
            path = _dotted(ti, "columns", col_name)
            category = col_raw["category"]
            needing: tuple[str, ...] = ()
            if register is not None:
                if category not in register.categories:
                    problems.append(Problem(
                        f"unknown data category {category!r}: neither the base taxonomy nor "
                        f"the register of {operator!r} declares it", f"{path}.category"))
                else:
                    needing = tuple(
                        p for p in purposes
                        if p in register.purposes and category in register.purposes[p].categories
                    )
                    known = [p for p in purposes if p in register.purposes]
                    if known and not needing:
                        # Law 94-V Art. 7: only the PD necessary and sufficient for a purpose.
                        problems.append(Problem(
                            f"category {category!r} is needed by none of the table's purposes "
                            f"({', '.join(known)}) in the register: add the purpose that needs "
                            "it, or map the column to the right category", f"{path}.category"))
            else:
                needing = purposes
            columns[col_name] = ColumnSpec(
                name=col_name, category=category,
                erasure=_erasure(col_raw.get("erasure"), f"{path}.erasure", problems),
                purposes=needing,
            )
        identity = tuple(Identity(column=i["column"], kind=IdentityKind(i["kind"]))
                         for i in raw.get("identity", ()))
        references: list[Reference] = []
        for ri, ref in enumerate(raw.get("references", ())):
            target = str(ref["to"])
            to_table, dot, to_column = target.partition(".")
            if not dot or not to_table or not to_column:
                problems.append(Problem("'to' must be table.column", _dotted(ti, "references",
                                                                            ri, "to")))
                continue
            references.append(Reference(column=ref["column"], to_table=to_table,
                                        to_column=to_column))
        tables[name] = TableSpec(
            name=name, primary_key=raw["primary_key"], columns=columns, purposes=purposes,
            identity=identity, references=tuple(references),
        )
    dataset = Dataset(store=store, operator=operator, tables=tables)
    problems += _structure_problems(dataset, [str(t["name"]) for t in raw_tables])
    if problems:
        raise DatasetError(problems)
    return dataset


def _structure_problems(dataset: Dataset, order: Sequence[str]) -> list[Problem]:
    problems: list[Problem] = []
    index = {name: i for i, name in reversed(list(enumerate(order)))}
    referenced: dict[str, set[str]] = {}
    for table in dataset.tables.values():
        for ref in table.references:
            referenced.setdefault(ref.to_table, set()).add(ref.to_column)
    for table in dataset.tables.values():
        ti = index[table.name]
        known = {table.primary_key, *table.columns}
        for ii, ident in enumerate(table.identity):
            if ident.column not in known:
                problems.append(Problem(
                    f"identity column {ident.column!r} must be the primary key or a mapped "
                    "column (an identifier is PD: give it a category)",
                    _dotted(ti, "identity", ii, "column")))
        for ri, ref in enumerate(table.references):
            path = _dotted(ti, "references", ri)
            if ref.to_table not in dataset.tables:
                problems.append(Problem(f"reference to table {ref.to_table!r}, which the "
                                        "dataset does not describe", f"{path}.to"))
            if ref.column in table.columns and table.columns[ref.column].erasure.strategy in (
                ErasureStrategy.MASK, ErasureStrategy.HASH
            ):
                problems.append(Problem(f"{ref.column!r} links rows: masking or hashing it "
                                        "would break the reference", f"{path}.column"))
        for name, column in table.columns.items():
            path = _dotted(ti, "columns", name, "erasure")
            changes_value = not column.erasure.deletes_row
            if changes_value and name == table.primary_key:
                problems.append(Problem("the primary key can only be erased with delete_row",
                                        path))
            elif changes_value and name in referenced.get(table.name, set()):
                problems.append(Problem(f"{name!r} is referenced by other tables: it can only "
                                        "be erased with delete_row", path))
    graph = {t.name: {r.to_table for r in t.references if r.to_table in dataset.tables}
             for t in dataset.tables.values()}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        cycle = " → ".join(str(n) for n in exc.args[1])
        first = str(exc.args[1][0])
        problems.append(Problem(f"references form a cycle ({cycle}): the walk from the "
                                "subject's rows needs a tree", _dotted(index[first], "references")))
    if not any(t.identity for t in dataset.tables.values()):
        problems.append(Problem("no table has an identity column: the subject cannot be found",
                                "tables"))
    return problems


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
        values = {_link_or_value(row, ref.to_column) for row in parents}
        values.discard(None)
        if values:
            filters.setdefault(ref.column, set()).update(values)
    return {column: frozenset(values) for column, values in filters.items() if values}


def _link_or_value(row: CollectedRow, column: str) -> Any:
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
        target = _link_or_value(row, ref.to_column)
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

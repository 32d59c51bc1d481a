"""Building a dataset from its (schema-valid) YAML data, checked against the register:
every problem found, each with its dotted path (``tables[2].columns.iin.category``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from graphlib import CycleError, TopologicalSorter
from typing import Any

from derbes.datasets.model.spec import (
    ColumnSpec,
    Dataset,
    Erasure,
    ErasureStrategy,
    HashAlphabet,
    HashRule,
    Identity,
    IdentityKind,
    MaskRule,
    Reference,
    StoreSpec,
    TableSpec,
)
from derbes.errors import DatasetError, InputError, Problem
from derbes.register.model.register import Register

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
    checker = _Checker(operator, register, problems)
    tables: dict[str, TableSpec] = {}
    raw_tables: list[Mapping[str, Any]] = list(data["tables"])
    for ti, raw in enumerate(raw_tables):
        if raw["name"] in tables:
            problems.append(Problem(f"table {raw['name']!r} is described twice",
                                    _dotted(ti, "name")))
            continue
        tables[raw["name"]] = checker.table(ti, raw)
    dataset = Dataset(store=store, operator=operator, tables=tables)
    problems += _structure_problems(dataset, [str(t["name"]) for t in raw_tables])
    if problems:
        raise DatasetError(problems)
    return dataset


class _Checker:
    """Builds tables and columns, noting every problem against the register (if any)."""

    def __init__(self, operator: str, register: Register | None,
                 problems: list[Problem]) -> None:
        self.operator = operator
        self.register = register
        self.problems = problems

    def table(self, ti: int, raw: Mapping[str, Any]) -> TableSpec:
        purposes = tuple(raw["purposes"])
        register = self.register
        for pi, purpose in enumerate(purposes):
            if register is not None and purpose not in register.purposes:
                self.problems.append(Problem(
                    f"unknown purpose {purpose!r}: the register of {self.operator!r} does "
                    "not declare it", _dotted(ti, "purposes", pi)))
        columns = {name: self.column(_dotted(ti, "columns", name), name, col_raw, purposes)
                   for name, col_raw in raw["columns"].items()}
        identity = tuple(Identity(column=i["column"], kind=IdentityKind(i["kind"]))
                         for i in raw.get("identity", ()))
        return TableSpec(
            name=raw["name"], primary_key=raw["primary_key"], columns=columns,
            purposes=purposes, identity=identity, references=self.references(ti, raw),
        )

    def column(self, path: str, name: str, raw: Mapping[str, Any],
               purposes: tuple[str, ...]) -> ColumnSpec:
        category = raw["category"]
        return ColumnSpec(
            name=name, category=category,
            erasure=_erasure(raw.get("erasure"), f"{path}.erasure", self.problems),
            purposes=self.needing(path, category, purposes),
        )

    def needing(self, path: str, category: str, purposes: tuple[str, ...]
                ) -> tuple[str, ...]:
        """The table's purposes that need ``category`` (all of them without a register)."""
        register = self.register
        if register is None:
            return purposes
        if category not in register.categories:
            self.problems.append(Problem(
                f"unknown data category {category!r}: neither the base taxonomy nor the "
                f"register of {self.operator!r} declares it", f"{path}.category"))
            return ()
        needing = tuple(p for p in purposes
                        if p in register.purposes and category in register.purposes[p].categories)
        known = [p for p in purposes if p in register.purposes]
        if known and not needing:
            # Law 94-V Art. 7: only the PD necessary and sufficient for a purpose.
            self.problems.append(Problem(
                f"category {category!r} is needed by none of the table's purposes "
                f"({', '.join(known)}) in the register: add the purpose that needs it, or "
                "map the column to the right category", f"{path}.category"))
        return needing

    def references(self, ti: int, raw: Mapping[str, Any]) -> tuple[Reference, ...]:
        out: list[Reference] = []
        for ri, ref in enumerate(raw.get("references", ())):
            to_table, dot, to_column = str(ref["to"]).partition(".")
            if not dot or not to_table or not to_column:
                self.problems.append(Problem("'to' must be table.column",
                                             _dotted(ti, "references", ri, "to")))
                continue
            out.append(Reference(column=ref["column"], to_table=to_table, to_column=to_column))
        return tuple(out)


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



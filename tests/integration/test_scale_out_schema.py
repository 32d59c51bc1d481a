"""The schema rules of docs/scale-out.md hold: every table is placed, the tables that hold a
subject's data are keyed by the subject (or the page says why not), and the hot paths it
lists read one subject's shard — no join pairs two subjects.

The page's two tables are parsed here; the schema is the table definitions the
migrations are checked against (test_migrations.py); the hot paths are run against a
migrated database and every statement they send is inspected as SQLAlchemy built it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, ForeignKeyConstraint, Table, UniqueConstraint, event
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import BinaryExpression, ClauseElement, ColumnClause
from sqlalchemy.sql.selectable import Join, Select

from derbes.consent.adapters.store import SqlConsentRepository
from derbes.decisions.adapters.facts import SqlDecisionFactsRepository
from derbes.integrity.adapters.seals import SealKeySource
from derbes.platform.tables import metadata
from derbes.retention.adapters.store import SqlRetentionRepository
from derbes.vault.adapters.store import SqlVaultRepository

PAGE = Path(__file__).resolve().parents[2] / "docs" / "scale-out.md"
PLACEMENTS = {"subject", "lookup", "reference", "coordinator"}
SUBJECT = "00000000-0000-7000-8000-000000000001"
OTHER = "00000000-0000-7000-8000-000000000002"
_ROW = re.compile(r"^\| `([a-z_.]+)` \| ([^|]+) \| (.*) \|$")


def _rows(heading: str) -> dict[str, tuple[str, str]]:
    """The rows of the first table after ``heading``: name → (second column, third)."""
    text = PAGE.read_text(encoding="utf-8")
    section = text.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    found: dict[str, tuple[str, str]] = {}
    for line in section.splitlines():
        match = _ROW.match(line.strip())
        if match:
            name, second, third = match.groups()
            assert name not in found, f"{name} is listed twice"
            found[name] = (second.strip(), third.strip())
    return found


PLACED = {name: placement for name, (placement, _note) in
          _rows("Placement of every table").items()}
NOTES = {name: note for name, (_placement, note) in _rows("Placement of every table").items()}
HOT_PATHS = {name: shards for name, (_what, shards) in _rows("Hot paths and their shards").items()}


def _key_column(table: Table) -> str:
    """The column a table is distributed by on Citus."""
    if PLACED[table.name] == "lookup":
        return "digest"
    return "id" if table.name == "subjects" else "subject_id"


def _documented(table: Table) -> set[str]:
    found = re.search(r"exception \(([a-z, ]+)\)", NOTES[table.name])
    return set() if found is None else {kind.strip() for kind in found.group(1).split(",")}


def _fk_breaks(table: Table, fk: ForeignKeyConstraint) -> bool:
    mine, theirs = PLACED[table.name], PLACED[fk.referred_table.name]
    if theirs in ("subject", "lookup"):
        # Between distributed tables only through the distribution columns.
        pairs = {(c.name, e.column.name) for c, e in zip(fk.columns, fk.elements, strict=True)}
        return mine not in ("subject", "lookup") or \
            (_key_column(table), _key_column(fk.referred_table)) not in pairs
    if mine in ("subject", "lookup", "reference"):
        return theirs != "reference"
    return False  # a coordinator table may point at coordinator and reference tables


def _breaks(table: Table) -> set[str]:
    """The rules of the page this table breaks as it is defined."""
    found: set[str] = set()
    if PLACED[table.name] in ("subject", "lookup"):
        column = _key_column(table)
        key = [c.name for c in table.primary_key.columns]
        if PLACED[table.name] == "subject" and key[:1] != [column]:
            found.add("key")
        uniques = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
        if any(column not in {c.name for c in u.columns} for u in uniques):
            found.add("unique")
    if any(_fk_breaks(table, fk) for fk in table.foreign_key_constraints):
        found.add("fk")
    return found


def test_every_table_is_placed_once_and_only_tables_are_placed() -> None:
    assert set(PLACED) == set(metadata.tables)
    assert set(PLACED.values()) <= PLACEMENTS


def test_the_subject_column_of_a_distributed_table_is_never_empty() -> None:
    for name, placement in PLACED.items():
        if placement in ("subject", "lookup"):
            table = metadata.tables[name]
            assert not table.c[_key_column(table)].nullable, name


def test_a_table_with_a_subject_but_not_distributed_says_why() -> None:
    for name, placement in PLACED.items():
        if "subject_id" in metadata.tables[name].c and placement not in ("subject", "lookup"):
            assert len(NOTES[name]) > 20, f"{name}: say why it is not distributed by subject"


@pytest.mark.parametrize("name", sorted(metadata.tables))
def test_exceptions_are_exactly_those_the_page_documents(name: str) -> None:
    table = metadata.tables[name]
    assert _breaks(table) == _documented(table), (
        f"{name}: breaks {sorted(_breaks(table)) or 'nothing'}, the page documents "
        f"{sorted(_documented(table)) or 'nothing'} (docs/scale-out.md)")


# --------------------------------------------------------------- hot paths

def _hot_paths(connection: Connection) -> dict[str, Callable[[], Any]]:
    vault = SqlVaultRepository(connection)
    consents = SqlConsentRepository(connection)
    retention = SqlRetentionRepository(connection)
    facts = SqlDecisionFactsRepository(connection, SealKeySource(bytes(32)))
    return {
        "vault.get": lambda: vault.get(SUBJECT),
        "vault.values": lambda: vault.values(SUBJECT),
        "vault.find": lambda: vault.find("iin", "ab" * 32, "express-avans"),
        "vault.lookups": lambda: vault.lookups(SUBJECT),
        "consents.for_subject": lambda: consents.for_subject(SUBJECT),
        "consents.for_subjects": lambda: consents.for_subjects([SUBJECT, OTHER]),
        "retention.category_clocks": lambda: retention.category_clocks(SUBJECT),
        "retention.purpose_clocks": lambda: retention.purpose_clocks([SUBJECT, OTHER]),
        "decisions.load": lambda: facts.load("express-avans", [SUBJECT, OTHER]),
    }


def _statements(engine: Engine, call: Callable[[Connection], Any]) -> list[ClauseElement]:
    sent: list[ClauseElement] = []

    def seen(_conn: Connection, element: ClauseElement, *_rest: Any) -> None:
        sent.append(element)

    event.listen(engine, "before_execute", seen)
    try:
        with engine.connect() as connection:
            call(connection)
    finally:
        event.remove(engine, "before_execute", seen)
    return sent


def _selects(element: ClauseElement) -> Iterator[Select[Any]]:
    for node in visitors.iterate(element):
        if isinstance(node, Select):
            yield node


def _tables_and_joins(select: Select[Any]) -> tuple[list[Table], list[Join]]:
    tables: list[Table] = []
    joins: list[Join] = []
    pending = list(select.get_final_froms())
    while pending:
        item = pending.pop()
        if isinstance(item, Join):
            joins.append(item)
            pending += [item.left, item.right]
        elif isinstance(item, Table):
            tables.append(item)
    return tables, joins


def _columns_in(clause: ClauseElement | None) -> set[tuple[str, str]]:
    if clause is None:
        return set()
    return {(str(node.table.name), node.name) for node in visitors.iterate(clause)
            if isinstance(node, ColumnClause) and node.table is not None}


def _joined_on_subject(join: Join) -> bool:
    """A join between two distributed tables equates their distribution columns."""
    sides = [t for t in (join.left, join.right) if isinstance(t, Table)
             and PLACED[t.name] in ("subject", "lookup")]
    if len(sides) < 2:
        return True
    wanted = {(t.name, _key_column(t)) for t in sides}
    return any(isinstance(node, BinaryExpression) and node.operator is operators.eq
               and _columns_in(node) == wanted for node in visitors.iterate(join.onclause))


def _check(path: str, select: Select[Any]) -> list[str]:
    tables, joins = _tables_and_joins(select)
    pinned = _columns_in(select.whereclause)
    for join in joins:
        pinned |= _columns_in(join.onclause)
    faults = [f"{path}: joins two subjects ({join})" for join in joins
              if not _joined_on_subject(join)]
    for table in tables:
        if PLACED[table.name] not in ("subject", "lookup"):
            continue
        if (table.name, _key_column(table)) not in pinned and \
                not HOT_PATHS[path].startswith("all shards"):
            faults.append(f"{path}: reads {table.name} without its {_key_column(table)}")
    return faults


def test_the_page_lists_the_hot_paths_this_test_runs(engine: Engine) -> None:
    with engine.connect() as connection:
        assert set(_hot_paths(connection)) == set(HOT_PATHS)


@pytest.mark.parametrize("path", sorted(HOT_PATHS))
def test_a_hot_path_reads_its_subjects_shards_and_joins_no_two_subjects(
        engine: Engine, path: str) -> None:
    sent = _statements(engine, lambda connection: _hot_paths(connection)[path]())
    selects = [s for element in sent for s in _selects(element)]
    assert selects, f"{path} sent no query"
    touched = {t.name for s in selects for t in _tables_and_joins(s)[0]}
    assert touched & {n for n, p in PLACED.items() if p in ("subject", "lookup")}, path
    assert [fault for s in selects for fault in _check(path, s)] == []


def test_the_check_catches_a_join_across_subjects(engine: Engine) -> None:
    """The inspection is not vacuous: a join of values to consents on anything but the
    subject, or a read of values without the subject, is reported."""
    from sqlalchemy import select

    from derbes.platform.tables import consents, pd_values

    across = select(pd_values.c.category).join(
        consents, consents.c.operator_id == pd_values.c.method).where(
        pd_values.c.subject_id == SUBJECT)
    assert any("joins two subjects" in f for f in _check("vault.get", across))
    unpinned = select(pd_values.c.category).where(pd_values.c.category == "identity.iin")
    assert _check("vault.get", unpinned) == [
        "vault.get: reads pd_values without its subject_id"]

"""Tables, named constraints and indexes as the revisions create and drop them.

This module (with ``columns``) is part of the history. Revisions that
installations have already run call these functions, so what a function emits
must never change: a new need gets a new function, an existing one is not
edited. For the same reason nothing here imports the live schema
(``derbes.platform.tables``), which changes with the code. Both histories use
it: the data database's and the key store's.

Constraints and indexes get the names the naming convention of
``derbes.platform.tables.base`` gives them (``pk_<table>``,
``fk_<table>_<column>_<referred table>``, ``uq_<table>_<columns>``,
``ix_<table>_<columns>``), spelled out here, so a revision can drop or alter
them by name on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from alembic import op

from derbes.platform.migrations.columns import bigint, integer, varchar

__all__ = [
    "create_chain_head",
    "create_index",
    "create_table",
    "drop_index",
    "drop_table",
    "fk",
    "ix",
    "pk",
    "uq",
]

# The hash an empty chain "ends" with (derbes.platform.chain.GENESIS), written
# here as a literal: a revision must not change when the code changes.
_GENESIS = "0" * 64


@dataclass(frozen=True)
class Constraint:
    """A constraint of a table being created; :func:`create_table` names it."""

    kind: Literal["pk", "uq", "fk"]
    columns: tuple[str, ...]
    target: str = ""  # fk: "table.column"
    ondelete: str | None = None


@dataclass(frozen=True)
class Index:
    """An index of a table, created right after the table, dropped right before it."""

    columns: tuple[str, ...]


# Named after the prefixes of the names they get: pk_, uq_, fk_, ix_.


def pk(*columns: str) -> Constraint:
    return Constraint("pk", columns)


def uq(*columns: str) -> Constraint:
    return Constraint("uq", columns)


def fk(column: str, target: str, *, ondelete: str | None = None) -> Constraint:
    """A foreign key from ``column`` to ``target`` ("table.column")."""
    return Constraint("fk", (column,), target, ondelete)


def ix(*columns: str) -> Index:
    return Index(columns)


def _constraint(table: str, spec: Constraint) -> sa.Constraint:
    joined = "_".join(spec.columns)
    if spec.kind == "pk":
        return sa.PrimaryKeyConstraint(*spec.columns, name=op.f(f"pk_{table}"))
    if spec.kind == "uq":
        return sa.UniqueConstraint(*spec.columns, name=op.f(f"uq_{table}_{joined}"))
    referred = spec.target.partition(".")[0]
    return sa.ForeignKeyConstraint(
        list(spec.columns),
        [spec.target],
        name=op.f(f"fk_{table}_{joined}_{referred}"),
        ondelete=spec.ondelete,
    )


def create_table(name: str, *items: sa.Column[Any] | Constraint | Index) -> None:
    """``op.create_table`` with the constraints named, then the table's indexes in order."""
    parts: list[sa.Column[Any] | sa.Constraint] = []
    for item in items:
        if isinstance(item, Constraint):
            parts.append(_constraint(name, item))
        elif not isinstance(item, Index):
            parts.append(item)
    op.create_table(name, *parts)
    for item in items:
        if isinstance(item, Index):
            create_index(name, *item.columns)


def drop_table(name: str, *indexes: Index) -> None:
    """Drop ``indexes`` (in the order given), then the table."""
    for item in indexes:
        drop_index(name, *item.columns)
    op.drop_table(name)


def create_chain_head(name: str) -> None:
    """The head of a hash chain: one row (id = 1), the seq and hash of the last entry."""
    head = op.create_table(
        name,
        integer("id", autoincrement=False),
        bigint("seq"),
        varchar("hash", 64),
        sa.CheckConstraint("id = 1", name=op.f(f"ck_{name}_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": _GENESIS}])


def _index_name(table: str, columns: tuple[str, ...]) -> str:
    return f"ix_{table}_{'_'.join(columns)}"


def create_index(table: str, *columns: str) -> None:
    op.create_index(_index_name(table, columns), table, list(columns))


def drop_index(table: str, *columns: str) -> None:
    op.drop_index(_index_name(table, columns), table_name=table)

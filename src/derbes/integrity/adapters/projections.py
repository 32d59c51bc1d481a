"""Raw rows of the projections, read page by page for ``derbes ledger verify``.

Rows come back as plain mappings of column to value, not as domain objects:
a row someone edited by hand may hold a value no domain type accepts (a scope
that does not exist, JSON that is not a list), and the verifier must report
it, not crash on it.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, select

from derbes.integrity.ports import PAGE, Row
from derbes.platform.tables import (
    category_blocks,
    consents,
    contracts,
    lifecycle_events,
    pd_values,
    subjects,
)

__all__ = ["SqlProjectionReader", "value_categories"]


def _grouped(rows: Any) -> dict[str, builtins.list[Row]]:
    out: dict[str, builtins.list[Row]] = {}
    for row in rows:
        mapping = dict(row._mapping)
        out.setdefault(str(mapping["subject_id"]), []).append(mapping)
    return out


class SqlProjectionReader:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def consents(self, *, after: str = "", limit: int = PAGE) -> builtins.list[Row]:
        rows = self._connection.execute(select(consents).where(consents.c.id > after)
                                        .order_by(consents.c.id).limit(limit))
        return [dict(r._mapping) for r in rows]

    def subjects(self, *, after: str = "", limit: int = PAGE) -> builtins.list[Row]:
        rows = self._connection.execute(select(subjects).where(subjects.c.id > after)
                                        .order_by(subjects.c.id).limit(limit))
        return [dict(r._mapping) for r in rows]

    def category_blocks(self, subject_ids: Collection[str]) -> dict[str, builtins.list[Row]]:
        return _grouped(self._connection.execute(
            select(category_blocks).where(category_blocks.c.subject_id.in_(sorted(subject_ids)))
            .order_by(category_blocks.c.id)))

    def contracts(self, subject_ids: Collection[str]) -> dict[str, builtins.list[Row]]:
        return _grouped(self._connection.execute(
            select(contracts).where(contracts.c.subject_id.in_(sorted(subject_ids)))))

    def events(self, subject_ids: Collection[str]) -> dict[str, builtins.list[Row]]:
        return _grouped(self._connection.execute(
            select(lifecycle_events)
            .where(lifecycle_events.c.subject_id.in_(sorted(subject_ids)))))

    def value_categories(self, subject_ids: Collection[str]) -> dict[str, set[str]]:
        return value_categories(self._connection.execute(
            select(pd_values.c.subject_id, pd_values.c.category).distinct()
            .where(pd_values.c.subject_id.in_(sorted(subject_ids)))))


def value_categories(rows: Any) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for subject_id, category in rows:
        out.setdefault(str(subject_id), set()).add(str(category))
    return out

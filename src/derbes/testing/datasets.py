"""A store whose rows live in memory: the fake of ``OperatorStore``.

Same walk, same plan, same all-or-nothing erasure as the SQL store, so services
that use stores are unit-tested without a database. ``fail_after=N`` makes
:meth:`MemoryStore.apply_erasure` fail after N row changes, like a database
that goes down mid-erasure: nothing is changed and
:class:`~derbes.errors.StoreUnavailableError` names the store.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from derbes.datasets import model as ds
from derbes.datasets.model import CollectedRow, Dataset, ErasurePlan, SubjectIdentity, SubjectRows
from derbes.datasets.ports import ErasureResult, OperatorStore
from derbes.errors import InputError, StoreUnavailableError

__all__ = ["MemoryStore"]


class MemoryStore(OperatorStore):
    def __init__(
        self,
        dataset: Dataset,
        tables: Mapping[str, Iterable[Mapping[str, Any]]],
        *,
        fail_after: int | None = None,
        hash_keys: Mapping[str, bytes] | None = None,
    ) -> None:
        self._dataset = dataset
        self._tables: dict[str, list[dict[str, Any]]] = {
            name: [dict(row) for row in tables.get(name, ())] for name in dataset.tables
        }
        self.fail_after = fail_after
        self._hash_keys = dict(hash_keys or {})
        self.applied = 0  # successful apply_erasure calls

    @property
    def dataset(self) -> Dataset:
        return self._dataset

    def rows(self, table: str) -> list[dict[str, Any]]:
        """A copy of the rows of ``table``, as they are now."""
        return [dict(row) for row in self._tables[table]]

    def collect(self, identity: SubjectIdentity) -> SubjectRows:
        order = ds.walk_order(self._dataset, identity.kind)
        found: dict[str, list[CollectedRow]] = {}
        for name in order:
            filters = ds.table_filter(self._dataset, name, identity, found)
            key = self._dataset.tables[name].primary_key
            matched = [row for row in self._tables[name]
                       if any(_matches(row.get(c), values) for c, values in filters.items())]
            matched.sort(key=lambda r: (str(type(r[key])), r[key]))
            found[name] = [ds.collected_row(self._dataset, name, row) for row in matched]
        return ds.subject_rows(self._dataset, identity, found)

    def apply_erasure(self, plan: ErasurePlan) -> ErasureResult:
        if plan.store != self._dataset.store.id:
            raise InputError(f"the plan is for store {plan.store!r}, not "
                             f"{self._dataset.store.id!r}", field="store")
        work = copy.deepcopy(self._tables)  # the transaction: swapped in only at the end
        random_key = secrets.token_bytes(32)
        changes = 0
        deleted: dict[str, int] = {}
        updated: dict[str, int] = {}
        for table_plan in plan.tables:
            spec = self._dataset.tables[table_plan.table]
            by_key = {row[spec.primary_key]: row for row in work[spec.name]}
            for change in table_plan.updates:
                row = by_key.get(change.key)
                if row is None:
                    continue
                changes = self._tick(changes)
                for col in change.columns:
                    erasure = spec.columns[col].erasure
                    rule = erasure.hash
                    key = self._hash_keys.get(rule.key_env, random_key) if (
                        rule is not None and rule.key_env) else random_key
                    row[col] = ds.erased_value(row[col], erasure, key)
                updated[spec.name] = updated.get(spec.name, 0) + 1
            gone = set(table_plan.deletes)
            if gone:
                before = len(work[spec.name])
                for _ in range(len([k for k in gone if k in by_key])):
                    changes = self._tick(changes)
                work[spec.name] = [r for r in work[spec.name] if r[spec.primary_key] not in gone]
                deleted[spec.name] = before - len(work[spec.name])
        self._tables = work
        self.applied += 1
        return ErasureResult(store=plan.store, deleted=deleted, updated=updated)

    def _tick(self, changes: int) -> int:
        if self.fail_after is not None and changes >= self.fail_after:
            raise StoreUnavailableError(
                self._dataset.store.id,
                f"store {self._dataset.store.id!r} failed while trying to erase the subject's "
                "data; its transaction was rolled back, nothing was changed")
        return changes + 1


def _matches(value: Any, values: frozenset[Any]) -> bool:
    if value is None:
        return False
    return value in values or str(value) in {str(v) for v in values}

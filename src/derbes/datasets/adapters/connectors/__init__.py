"""Connectors to the operator's own databases (stores), described by datasets.

The port every store implements (:class:`OperatorStore`), with two adapters:

* :class:`derbes.datasets.adapters.connectors.sql.SqlStore` — a SQLAlchemy database
  (SQLite or PostgreSQL) whose URL is in the environment variable the dataset
  names (``store.url_env``);
* :class:`derbes.datasets.adapters.connectors.memory.MemoryStore` — rows in memory, for
  unit tests of the services that use stores.

Usage (what the request and retention services call)::

    store = SqlStore.from_env(loaded.dataset)                 # or MemoryStore(dataset, rows)
    rows = store.collect(SubjectIdentity(IdentityKind.IIN, iin))        # SubjectRows
    plan = store.plan_erasure(identity, categories=None, keep_purposes=("credit_dossier",))
    print("\\n".join(plan.lines()))                           # the dry run
    result = store.apply_erasure(plan)                         # one transaction per store

``apply_erasure`` changes exactly the rows and columns of the plan, computing
masked and hashed values from the values it reads (and locks) inside its own
transaction. If the store fails in the middle, the transaction is rolled back
and :class:`~derbes.errors.StoreUnavailableError` names the store: nothing is
half-destroyed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Protocol

from derbes.datasets.model import Dataset, ErasurePlan, SubjectIdentity, SubjectRows

__all__ = ["ErasureResult", "OperatorStore"]


@dataclass(frozen=True)
class ErasureResult:
    """What an applied plan changed: rows per table (counted by the database)."""

    store: str
    deleted: Mapping[str, int]
    updated: Mapping[str, int]

    @property
    def rows_deleted(self) -> int:
        return sum(self.deleted.values())

    @property
    def rows_updated(self) -> int:
        return sum(self.updated.values())


class OperatorStore(Protocol):
    """One operator database, as its dataset describes it."""

    @property
    def dataset(self) -> Dataset: ...

    def collect(self, identity: SubjectIdentity) -> SubjectRows:
        """The subject's rows in every table reachable from the identity columns."""
        ...

    def plan_erasure(
        self,
        identity: SubjectIdentity,
        categories: Collection[str] | None = None,
        keep_purposes: Collection[str] = (),
    ) -> ErasurePlan:
        """What erasing ``categories`` (None: all) would change; nothing is changed."""
        ...

    def apply_erasure(self, plan: ErasurePlan) -> ErasureResult:
        """Apply ``plan`` in one transaction; all or nothing."""
        ...

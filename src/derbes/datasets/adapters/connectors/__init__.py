"""Connectors to the operator's own databases (stores), described by datasets.

The port every store implements (:class:`~derbes.datasets.ports.OperatorStore`) has
two implementations:

* :class:`derbes.datasets.adapters.connectors.sql.SqlStore` — a SQLAlchemy database
  (SQLite or PostgreSQL) whose URL is in the environment variable the dataset
  names (``store.url_env``);
* :class:`derbes.testing.datasets.MemoryStore` — rows in memory, for
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

from derbes.datasets.ports import ErasureResult, OperatorStore

__all__ = ["ErasureResult", "OperatorStore"]

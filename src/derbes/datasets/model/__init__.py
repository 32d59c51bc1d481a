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

from derbes.datasets.model.build import build
from derbes.datasets.model.erasure import (
    ErasurePlan,
    KeepReason,
    KeptColumn,
    RowUpdate,
    TablePlan,
    plan_erasure,
    purposes_that_keep,
)
from derbes.datasets.model.rows import (
    CollectedRow,
    CollectedValue,
    SubjectRows,
    collected_row,
    subject_rows,
    table_filter,
    walk_order,
)
from derbes.datasets.model.spec import (
    IDENTITY_ORDER,
    SCHEMA_VERSION,
    ColumnSpec,
    Dataset,
    Erasure,
    ErasureStrategy,
    HashAlphabet,
    HashRule,
    Identity,
    IdentityKind,
    KeepReasonKind,
    Key,
    MaskRule,
    Reference,
    StoreSpec,
    SubjectIdentity,
    TableSpec,
    erased_value,
    hash_value,
    mask_value,
    store_identity,
)

__all__ = [
    "IDENTITY_ORDER", "SCHEMA_VERSION", "CollectedRow", "CollectedValue", "ColumnSpec",
    "Dataset", "Erasure", "ErasurePlan", "ErasureStrategy", "HashAlphabet", "HashRule",
    "Identity", "IdentityKind", "KeepReason", "KeepReasonKind", "KeptColumn", "Key",
    "MaskRule", "Reference", "RowUpdate", "StoreSpec", "SubjectIdentity", "SubjectRows",
    "TablePlan", "TableSpec", "build", "collected_row", "erased_value", "hash_value",
    "mask_value", "plan_erasure", "purposes_that_keep", "store_identity", "subject_rows",
    "table_filter", "walk_order",
]

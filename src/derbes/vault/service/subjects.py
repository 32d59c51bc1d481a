"""Use cases of the PD vault: add, read, update, find, block, destroy subjects.

Each use case takes a :class:`~derbes.context.Context` first: its unit of
work, key store, clock, rules (``ctx.rules.vault``), actor, request id and
operator scope (a subject of an operator outside the scope is reported as
unknown). Every function that touches PD writes its audit entry through the
same unit of work, so the change and its record commit or vanish together.
Keys never enter the data database: each subject's data key lives in the key
store (``vault/ports.KeyStore``).

This module is the vault's service surface; the use cases live in
``ingest`` (add), ``reading`` (read, find), ``changes`` (update, block),
``destruction`` (destroy), over ``guards`` and ``values``.
"""

from __future__ import annotations

from derbes.vault.model import SUBJECT_ACCESS_REQUEST, LookupKind, NewValue, Provenance, Source
from derbes.vault.service.changes import block, is_blocked, unblock, update_values
from derbes.vault.service.destruction import DestroyResult, destroy_categories, destroy_subject
from derbes.vault.service.guards import MAX_REASON, blocked_in
from derbes.vault.service.ingest import (
    NewSubject,
    _new_subject_ids,  # noqa: F401 - the unit tests check the id layout
    add_subject,
    add_subjects,
)
from derbes.vault.service.reading import (
    HeldValue,
    ReadValue,
    SubjectHoldings,
    SubjectRef,
    SubjectView,
    find_subject,
    holdings,
    read_subject,
)

__all__ = [
    "MAX_REASON",
    "SUBJECT_ACCESS_REQUEST",
    "DestroyResult",
    "HeldValue",
    "LookupKind",
    "NewSubject",
    "NewValue",
    "Provenance",
    "ReadValue",
    "Source",
    "SubjectHoldings",
    "SubjectRef",
    "SubjectView",
    "add_subject",
    "add_subjects",
    "block",
    "blocked_in",
    "destroy_categories",
    "destroy_subject",
    "find_subject",
    "holdings",
    "is_blocked",
    "read_subject",
    "unblock",
    "update_values",
]

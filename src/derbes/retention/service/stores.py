"""The operator's connected databases during a sweep: identities, erasure, failures.

A batch applies each connected store's dataset strategies (one transaction per
store) before the key store destroys the batch's keys: the identity values the
stores are asked by are read from the vault, impossible once the keys are gone.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from derbes.audit.model.log import AuditAction, AuditRecord
from derbes.context import Context
from derbes.datasets.model import ErasurePlan, IdentityKind, store_identity
from derbes.datasets.ports import ErasureResult, OperatorStore
from derbes.errors import (
    CryptoError,
    DerbesError,
)
from derbes.platform import crypto
from derbes.retention.model.retention import (
    STORE_GROUP_PREFIX,
    RunRecord,
)
from derbes.vault import model as vault
from derbes.vault.ports import SealedValue

log = logging.getLogger(__name__)


class _Unopened:
    pass


UNOPENED: Any = _Unopened()


def open_any(stored: SealedValue, keys: Iterable[bytes]) -> Any:
    """The value's plaintext under whichever of ``keys`` seals it (``UNOPENED``: none)."""
    aad = crypto.value_aad(stored.subject_id, stored.category, stored.seq)
    for key in keys:
        try:
            return vault.decode_plain(crypto.open_sealed(key, stored.sealed, aad))
        except CryptoError:
            continue
    return UNOPENED


# ------------------------------------------------------------------ stores

# Vault categories that name the subject in the operator's databases (the order in
# which a store's identity columns are tried is the datasets' ``IDENTITY_ORDER``).
_IDENTITY_CATEGORIES = {"identity.iin": IdentityKind.IIN,
                        vault.CUSTOMER_ID_CATEGORY: IdentityKind.CUSTOMER_ID,
                        "contact.phone": IdentityKind.PHONE}
SWEEP_PURPOSE = "retention_destruction"


def identities(ctx: Context, current: RunRecord, subject_ids: Sequence[str]
               ) -> dict[str, dict[IdentityKind, str]]:
    """The batch's identity values, decrypted with the subjects' keys; the read is audited
    (before the key store destroys the keys: afterwards nobody can read them)."""
    uow, now = ctx.uow, ctx.now()
    keys = ctx.keystore.candidate_keys(subject_ids)
    found: dict[str, dict[IdentityKind, str]] = {}
    read_categories: set[str] = set()
    for stored in uow.retention.values_of(subject_ids):
        kind = _IDENTITY_CATEGORIES.get(stored.category)
        candidates = keys.get(stored.subject_id)
        if kind is None or not candidates:
            continue
        plain = open_any(stored, candidates)
        if isinstance(plain, str) and plain.strip():
            found.setdefault(stored.subject_id, {}).setdefault(kind, plain.strip())
            read_categories.add(stored.category)
    if found:
        uow.audit.record(AuditRecord(
            at=now, actor=current.actor, action=AuditAction.SUBJECT_READ,
            subject_ids=sorted(found), categories=sorted(read_categories),
            purpose=SWEEP_PURPOSE,
            details={"operation": "retention_sweep.identities", "run_id": current.id,
                     "as_of": current.as_of.isoformat(),
                     "citation": ctx.rules.retention.destruction}))
    return found


def apply_all(store: OperatorStore, plans: Sequence[ErasurePlan]) -> ErasureResult:
    """The batch's plans for one store in one transaction where the store can."""
    apply_many = getattr(store, "apply_erasures", None)
    if callable(apply_many):
        result: ErasureResult = apply_many(plans)
        return result
    deleted: dict[str, int] = {}
    updated: dict[str, int] = {}
    for plan in plans:
        one = store.apply_erasure(plan)
        for table, n in one.deleted.items():
            deleted[table] = deleted.get(table, 0) + n
        for table, n in one.updated.items():
            updated[table] = updated.get(table, 0) + n
    return ErasureResult(store=store.dataset.store.id, deleted=deleted, updated=updated)


def erase_in_stores(ctx: Context, stores: Sequence[OperatorStore], current: RunRecord,
                    full: Collection[str], doomed: Mapping[str, Sequence[str]]
                    ) -> dict[str, dict[str, int]]:
    """Apply the dataset strategies of every store to the batch's due subjects.

    A subject every one of whose categories is due loses what no purpose still
    running or retained needs; a subject with some categories due loses those
    only. A store that fails raises (its transaction rolled back): the caller's
    batch is not marked done, and the re-run plans it again — erasing erased
    rows changes nothing.
    """
    subjects = sorted(doomed)
    if not stores or not subjects:
        return {}
    uow, now = ctx.uow, ctx.now()
    known = identities(ctx, current, subjects)
    clocks = uow.retention.purpose_clocks(subjects)
    keep = {sid: sorted({c.purpose for c in clocks.get(sid, ())
                         if not c.expired_on(current.as_of)}) for sid in subjects}
    counts: dict[str, dict[str, int]] = {}
    for store in stores:
        plans: list[ErasurePlan] = []
        for sid in subjects:
            identity = store_identity(store.dataset, known.get(sid, {}))
            if identity is None:
                continue
            categories: list[str] | None = None
            if sid not in full:
                categories = sorted(set(doomed[sid]) & set(store.dataset.categories))
                if not categories:
                    continue
            plan = store.plan_erasure(identity, categories, keep[sid])
            if plan.changes:
                plans.append(plan)
        if not plans:
            continue
        store_id = plans[0].store
        uow.audit.record(AuditRecord(
            at=now, actor=current.actor, action=AuditAction.SUBJECT_DESTROY,
            subject_ids=sorted({s for p in plans for s in p.subjects}),
            categories=sorted({c for p in plans for c in p.erased_categories(store.dataset)}),
            details={"operation": "retention_sweep.dataset_erase", "run_id": current.id,
                     "store": store_id, "as_of": current.as_of.isoformat(),
                     "citation": ctx.rules.retention.destruction}))
        result = apply_all(store, plans)
        counts[STORE_GROUP_PREFIX + store_id] = {"rows_deleted": result.rows_deleted,
                                                 "rows_updated": result.rows_updated}
    return counts


def store_failed(ctx: Context, current: RunRecord, exc: DerbesError) -> None:
    """Record why the run stays unfinished (the batch was rolled back)."""
    store = getattr(exc, "store", None)
    with ctx.uow as uow:
        uow.audit.record(AuditRecord(
            at=ctx.now(), actor=current.actor, action=AuditAction.SUBJECT_READ,
            details={"operation": "retention_sweep.store_failed", "run_id": current.id,
                     "store": store if isinstance(store, str) else None,
                     "reason": exc.message, "state": "unfinished"}))
        uow.commit()
    log.error("retention run %s stays unfinished: store %s failed (%s); run it again",
              current.id, store, type(exc).__name__)

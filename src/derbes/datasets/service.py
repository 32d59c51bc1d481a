"""Use cases over the operator's own databases: read a subject's rows, erase them, audited.

Every read of PD from a store and every erasure is written to the access
audit log (Order 179/НҚ: logging of actions with PD) through the unit of work:

* :func:`collect_subject` — the rows are returned only once the read is
  logged (``subject.read``, operation ``dataset.collect``);
* :func:`erase_subject` — the entry (``subject.destroy``, operation
  ``dataset.erase``) is written in the unit of work *before* the store's
  transaction runs and committed after it: a store that fails leaves neither
  a change nor an entry claiming one. A dry run is logged as a read
  (operation ``dataset.plan_erasure``): planning reads the subject's rows.

Audit entries name subjects as ``store/table/key`` of their root rows (the
operator's own keys, not PD) and never hold values.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from derbes.audit.model.log import AuditAction, AuditRecord
from derbes.context import Context
from derbes.datasets.model import ErasurePlan, IdentityKind, SubjectIdentity, SubjectRows
from derbes.datasets.ports import ErasureResult, OperatorStore
from derbes.errors import InputError
from derbes.identifiers.model import email as kz_email
from derbes.identifiers.model import iin as kz_iin
from derbes.identifiers.ports import Phones

__all__ = ["ErasureOutcome", "collect_subject", "erase_subject", "subject_identity"]


def subject_identity(kind: IdentityKind | str, value: str, phones: Phones) -> SubjectIdentity:
    """The identity in the form stores hold it: IIN digits, E.164 phone, e-mail as given
    (domain lowercased); customer ids stripped. Invalid IINs, phones, e-mails are refused.
    """
    kind = IdentityKind(kind)
    if kind is IdentityKind.IIN:
        return SubjectIdentity(kind, kz_iin.parse(value).value)
    if kind is IdentityKind.PHONE:
        return SubjectIdentity(kind, phones.e164(value))
    if kind is IdentityKind.EMAIL:
        parsed = kz_email.parse(value.strip())
        return SubjectIdentity(kind, parsed.value)
    text = value.strip()
    if not text:
        raise InputError("the customer id is empty", field="customer_id")
    return SubjectIdentity(kind, text)


def collect_subject(ctx: Context, store: OperatorStore, identity: SubjectIdentity, *,
                    purpose: str | None = None) -> SubjectRows:
    """The subject's rows in ``store``; the read is in the audit log before they are returned."""
    rows = store.collect(identity)
    with ctx.uow as uow:
        uow.audit.record(AuditRecord(
            at=ctx.now(), actor=ctx.actor, action=AuditAction.SUBJECT_READ,
            subject_ids=rows.root_keys(store.dataset), categories=rows.categories,
            purpose=purpose, request_id=ctx.request_id,
            details={"operation": "dataset.collect", "store": store.dataset.store.id,
                     "identity_kind": str(identity.kind), "rows": rows.counts()},
        ))
        uow.commit()
    return rows


@dataclass(frozen=True)
class ErasureOutcome:
    plan: ErasurePlan
    result: ErasureResult | None  # None: a dry run, or nothing to change

    @property
    def applied(self) -> bool:
        return self.result is not None


def _plan_details(plan: ErasurePlan) -> dict[str, Any]:
    return {
        "store": plan.store,
        "identity_kind": str(plan.identity.kind),
        "categories": list(plan.categories) if plan.categories is not None else None,
        "keep_purposes": list(plan.keep_purposes),
        "delete": {t.table: len(t.deletes) for t in plan.tables if t.deletes},
        "update": {t.table: t.column_counts() for t in plan.tables if t.updates},
        "kept": [{"table": k.table, "column": k.column, "rows": k.rows,
                  "reason": str(k.reason.kind), "purposes": list(k.reason.purposes),
                  "tables": list(k.reason.tables)} for k in plan.kept],
    }


def erase_subject(
    ctx: Context,
    store: OperatorStore,
    identity: SubjectIdentity,
    *,
    categories: Collection[str] | None = None,
    keep_purposes: Collection[str] = (),
    dry_run: bool = False,
) -> ErasureOutcome:
    """Plan and (unless ``dry_run``) apply the erasure; audited either way.

    Raises :class:`~derbes.errors.StoreUnavailableError` when the store fails:
    its transaction is rolled back and nothing is logged as destroyed.
    """
    plan = store.plan_erasure(identity, categories, keep_purposes)
    details = _plan_details(plan)
    if dry_run or not plan.changes:
        with ctx.uow as uow:
            uow.audit.record(AuditRecord(
                at=ctx.now(), actor=ctx.actor, action=AuditAction.SUBJECT_READ,
                subject_ids=plan.subjects, categories=(), request_id=ctx.request_id,
                details={"operation": "dataset.plan_erasure", "dry_run": dry_run, **details},
            ))
            uow.commit()
        return ErasureOutcome(plan, None)
    with ctx.uow as uow:
        uow.audit.record(AuditRecord(
            at=ctx.now(), actor=ctx.actor, action=AuditAction.SUBJECT_DESTROY,
            subject_ids=plan.subjects, categories=plan.erased_categories(store.dataset),
            request_id=ctx.request_id, details={"operation": "dataset.erase", **details},
        ))
        result = store.apply_erasure(plan)
        uow.commit()
    return ErasureOutcome(plan, result)

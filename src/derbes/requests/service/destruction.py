"""The destruction answer (Law 94-V Art. 24): destroy what may be destroyed, everywhere;
keep what a law requires, say why and until when, and stop its processing.

Order: plan every store (a store that is down stops the request before
anything changes), apply store by store (each in its own transaction, all or
nothing), then the vault (crypto-shred what goes, block what stays). A failure
keeps the request in progress with the reason; answering again finishes the
job (a plan of what is already erased is empty).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from derbes.context import Context
from derbes.datasets import service as datasets
from derbes.datasets.model import IdentityKind, SubjectIdentity, SubjectRows, store_identity
from derbes.datasets.model.erasure import KeptColumn
from derbes.datasets.ports import OperatorStore, StoreOpener, no_stores, opened_stores
from derbes.errors import ConfigurationError, ConflictError, StoreUnavailableError
from derbes.register.model.register import Register
from derbes.requests import model as rq
from derbes.requests.model import DestructionOutcome, RequestType, SubjectRequest
from derbes.requests.ports import Forgetful
from derbes.requests.service.access import (
    AccessAnswer,
    identities,
    labels,
    operator_of,
    store_failed,
    vault_view,
)
from derbes.requests.service.sealing import given
from derbes.requests.service.transitions import (
    answered,
    begin,
    get,
    local_today,
    on_behalf,
    pending,
    regime_for,
    register_in,
)
from derbes.retention.service import sweep as retention
from derbes.vault.service import subjects as vault_service

__all__ = ["DestructionPlan", "StorePlan", "execute_destruction", "plan_destruction"]

Held = Sequence[tuple[OperatorStore, SubjectIdentity, SubjectRows]]


def _terms(ctx: Context, subject_id: str | None, register: Register) -> rq.SubjectTerms:
    """The subject's clocks from the one clock rule (``retention/service/sweep.clocks_of``)."""
    if subject_id is None:
        return rq.SubjectTerms()
    with ctx.uow as uow:
        subject = uow.vault.get(subject_id)
        if subject is None or subject.destroyed:
            return rq.SubjectTerms()
        found = retention.clocks_of(uow, subject_id, register, calendars=ctx.rules.calendars)
    return rq.SubjectTerms(found.purposes, found.history.open_contracts)


@dataclass(frozen=True)
class _Scope:
    """What the destruction is about: the register, what the vault and stores hold."""

    request: SubjectRequest
    register: Register
    asked: Collection[str] | None  # the categories asked for; None: everything
    vault_held: Sequence[str]
    known: Mapping[IdentityKind, str]


def execute_destruction(ctx: Context, request_id: str, *, stores: StoreOpener = no_stores,
                        decision_point: Forgetful | None = None) -> AccessAnswer:
    """Destroy what may be destroyed, everywhere; keep what a law requires, say why and
    until when, and stop its processing (the kept categories are blocked in the vault)."""
    request = begin(ctx, request_id, (RequestType.DESTRUCTION,))
    scope = _scope_of(ctx, request)
    today = local_today(ctx.clock, regime_for(ctx, scope.register))
    terms = _terms(ctx, request.subject_id, scope.register)
    try:
        with opened_stores(stores, request.operator_id, scope.register) as opened:
            targets = [(s, i) for s in opened
                       if (i := store_identity(s.dataset, scope.known)) is not None]
            # 1. What each store holds (a store that is down stops everything here).
            held_rows = [(s, i, s.collect(i)) for s, i in targets]
            store_held = {c for _, _, rows in held_rows for c in rows.categories}
            held_all = set(scope.vault_held) | store_held
            outcome = rq.destruction_outcome(
                scope.register, held_all if scope.asked is None else held_all & set(scope.asked),
                terms, today)
            # 2. Apply per store: rows needed by a keeping purpose stay.
            store_results = _erase_stores(held_rows, scope.asked, outcome)
    except (StoreUnavailableError, ConfigurationError) as exc:
        pending(ctx, request, store_failed(exc, None))
        raise
    vault_result = _vault(ctx, scope, outcome, decision_point)
    held = bool(scope.vault_held) or any(r["rows_deleted"] or r["rows_updated"] or r["kept"]
                                         for r in store_results)
    full = _destruction_answer(ctx, scope, outcome, held, {"vault": vault_result,
                                                           "stores": store_results})
    summary = {k: v for k, v in full.items() if k != "operator"}
    return AccessAnswer(answered(ctx, request, summary, full), full)


@dataclass(frozen=True)
class StorePlan:
    """What answering would change in one of the operator's databases."""

    store: str
    rows_deleted: int
    rows_updated: int
    erased: tuple[str, ...]  # categories erased there
    kept: tuple[KeptColumn, ...]  # what stays, and why


@dataclass(frozen=True)
class DestructionPlan:
    """The dry run of a destruction request: what answering it now would destroy, keep
    (why, until when) and block, in the vault and in each connected database. Nothing
    is changed; each store's plan is audited as a dry run by the datasets slice."""

    request: SubjectRequest
    outcome: DestructionOutcome
    vault_destroyed: tuple[str, ...]
    vault_blocked: tuple[str, ...]
    subject_destroyed: bool
    stores: tuple[StorePlan, ...]


def plan_destruction(ctx: Context, request_id: str, *, stores: StoreOpener = no_stores
                     ) -> DestructionPlan:
    """:func:`execute_destruction` without its effects: the same scope, clocks and
    outcome, and each store's erasure planned with ``dry_run`` (no state moves)."""
    with ctx.uow:
        request = get(ctx, request_id)
    if request.type is not RequestType.DESTRUCTION:
        raise ConflictError(f"this is a {request.type.value} request", field="type")
    scope = _scope_of(ctx, request)
    today = local_today(ctx.clock, regime_for(ctx, scope.register))
    terms = _terms(ctx, request.subject_id, scope.register)
    wanted = None if scope.asked is None else set(scope.asked)
    planned: list[StorePlan] = []
    with opened_stores(stores, request.operator_id, scope.register) as opened:
        held_rows = [(s, i, s.collect(i)) for s in opened
                     if (i := store_identity(s.dataset, scope.known)) is not None]
        held_all = set(scope.vault_held) | {c for _, _, r in held_rows for c in r.categories}
        outcome = rq.destruction_outcome(
            scope.register, held_all if wanted is None else held_all & wanted, terms, today)
        for store, identity, rows in held_rows:
            categories = None if wanted is None else sorted(wanted & store.dataset.categories)
            if not rows.found or categories == []:
                continue
            plan = datasets.erase_subject(
                on_behalf(ctx, request.operator_id, request.id), store, identity,
                categories=categories, keep_purposes=outcome.keep_purposes, dry_run=True).plan
            planned.append(StorePlan(plan.store, plan.rows_deleted, plan.rows_updated,
                                     plan.erased_categories(store.dataset), plan.kept))
    doomed = tuple(c for c in scope.vault_held if c in outcome.destroy)
    kept = tuple(c for c in scope.vault_held
                 if c not in outcome.destroy and (wanted is None or c in wanted))
    whole = bool(doomed) and not kept and wanted is None and len(doomed) == len(
        scope.vault_held)
    return DestructionPlan(request, outcome, doomed, kept, whole, tuple(planned))


def _scope_of(ctx: Context, request: SubjectRequest) -> _Scope:
    payload = given(ctx.keystore, request)
    asked = payload.get("payload", {}).get("categories") or None
    with ctx.uow as uow:
        register = register_in(uow, request.operator_id)
        vault_held: list[str] = []
        if request.subject_id is not None:
            subject = uow.vault.get(request.subject_id)
            if subject is not None and not subject.destroyed:
                vault_held = sorted({v.category for v in uow.vault.values(subject.id)})
    view = vault_view(ctx, request) if vault_held else None
    known = identities(payload.get("identifiers", {}), list(view.values) if view else [])
    return _Scope(request, register, asked, vault_held, known)


def _erase_stores(held_rows: Held, asked: Collection[str] | None,
                  outcome: DestructionOutcome) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    wanted = None if asked is None else set(asked)
    for store, identity, rows in held_rows:
        if not rows.found:
            continue
        categories = None if wanted is None else sorted(wanted & store.dataset.categories)
        if categories == []:
            continue
        plan = store.plan_erasure(identity, categories, outcome.keep_purposes)
        result = store.apply_erasure(plan) if plan.changes else None
        results.append({
            "store": plan.store,
            "rows_deleted": result.rows_deleted if result else 0,
            "rows_updated": result.rows_updated if result else 0,
            "erased": list(plan.erased_categories(store.dataset)),
            "kept": [{"table": k.table, "column": k.column, "category": k.category,
                      "rows": k.rows, "reason": k.reason.kind.value,
                      "purposes": list(k.reason.purposes),
                      "tables": list(k.reason.tables)} for k in plan.kept],
        })
    return results


def _vault(ctx: Context, scope: _Scope, outcome: DestructionOutcome,
           decision_point: Forgetful | None) -> dict[str, Any]:
    """The vault: crypto-shred what goes, block what stays (processing stops)."""
    request, vault_held, asked = scope.request, scope.vault_held, scope.asked
    result: dict[str, Any] = {"destroyed": [], "blocked": [], "subject_destroyed": False}
    if request.subject_id is None or not vault_held:
        return result
    doomed = [c for c in vault_held if c in outcome.destroy]
    kept = [c for c in vault_held if c not in outcome.destroy and (asked is None or c in asked)]
    reason = f"subject request {request.id}: destruction"
    vault_ctx = on_behalf(ctx, request.operator_id, request.id)
    if doomed and not kept and asked is None and len(doomed) == len(vault_held):
        vault_service.destroy_subject(vault_ctx, request.subject_id, reason)
        result["subject_destroyed"] = True
    elif doomed:
        vault_service.destroy_categories(vault_ctx, request.subject_id, doomed, reason)
    if kept:
        vault_service.block(vault_ctx, request.subject_id, kept,
                            f"subject request {request.id}: kept by law, processing stopped")
    result["destroyed"] = doomed
    result["blocked"] = kept
    if decision_point is not None:
        decision_point.forget([request.subject_id])
    return result


def _kept_for(register: Register, body: dict[str, Any]) -> None:
    for item in body["keep"]:
        for kept in item["kept_for"]:
            purpose = register.purposes.get(kept["purpose"])
            ret = purpose.retention if purpose else None
            kept["labels"] = labels(purpose.labels) if purpose else None
            kept["retention"] = None if ret is None else {
                "trigger": ret.trigger.value, "period": str(ret.period),
                "citation": ret.citation, "then": ret.then.value}
        category = register.categories.get(item["category"])
        item["labels"] = labels(category.labels) if category else None


def _destruction_answer(ctx: Context, scope: _Scope, outcome: DestructionOutcome, held: bool,
                        results: Mapping[str, Any]) -> dict[str, Any]:
    register = scope.register
    body = outcome.as_dict()
    _kept_for(register, body)
    now: datetime = ctx.now()
    return {
        "kind": "destruction", "request_id": scope.request.id, "generated_at": now.isoformat(),
        "operator": operator_of(register),
        "held": held, "partial": held and outcome.partial,
        "destroy": body["destroy"] if held else [],
        "destroy_labels": {c: labels(register.categories[c].labels)
                           for c in outcome.destroy if c in register.categories},
        "keep": body["keep"] if held else [], "keep_purposes": body["keep_purposes"],
        "citation": ctx.rules.requests.destruction_keep_citation,
        "vault": dict(results["vault"]), "stores": list(results["stores"]),
    }

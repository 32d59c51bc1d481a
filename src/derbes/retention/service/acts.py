"""Destruction acts: issue one for a completed retention run, list them, read one.

``issue`` is called by the retention engine when a run completes, in the
transaction that marks it completed (and may be called again for the same
run: it returns the act already issued, so a run never gets two acts). The act is numbered per
operator per calendar year of its date in the operator's time zone
(«АУ-2026/0001»); two processes issuing at once cannot take the same number
(a unique constraint, and the loser retries with the next one).

Subjects appear in the act only as pseudonymous references: HMAC-SHA-256 of
the internal subject id under a key derived from the audit-chain key of the
key store (outside the data database). ``reference_for`` computes a
subject's reference, so the operator can tell a subject whether an act lists
them, without the act ever naming anyone.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from derbes.audit.model.log import AuditRecord
from derbes.errors import ConflictError, InputError, NotFoundError
from derbes.platform.clock import Clock
from derbes.register.model.register import Register
from derbes.retention.adapters.acts.rules import load_act_rules
from derbes.retention.adapters.acts_store import ActFilter
from derbes.retention.model.acts import (
    Act,
    ActHeader,
    ActNumber,
    RunRecord,
    build_act,
    next_number,
    record_of,
    reference_key,
    subject_reference,
)
from derbes.retention.model.retention import RunSummary
from derbes.uow import UnitOfWork
from derbes.vault.ports import KeyStore

__all__ = ["ISSUE_ACTION", "get", "issue", "list_acts", "reference_for"]

log = logging.getLogger(__name__)

ISSUE_ACTION = "act.issue"
_NUMBER_ATTEMPTS = 5


def reference_for(keystore: KeyStore, subject_id: str) -> str:
    """The pseudonymous reference under which acts list ``subject_id``."""
    return subject_reference(reference_key(keystore.audit_key()), subject_id)


def issue(
    uow: UnitOfWork,
    run_summary: RunSummary | RunRecord,
    register: Register,
    clock: Clock,
    *,
    keystore: KeyStore,
) -> Act:
    """Issue and store (audited) the act of a completed run; idempotent per run.

    Works inside the caller's open transaction and does not commit: the
    retention engine marks the run completed and stores its act in one
    transaction, so a crash leaves either both or neither. Used on its own::

        with uow:
            act = acts.issue(uow, summary, register, clock, keystore=keystore)
            uow.commit()

    ``keystore`` gives the audit-chain key the subject references are keyed with.
    """
    run = run_summary if isinstance(run_summary, RunRecord) else record_of(run_summary)
    if not run.run_id:
        raise InputError("the run has no id", field="run_id")
    existing = uow.acts.by_run(run.run_id, run.operator_id)
    if existing is not None:
        return existing
    rules = load_act_rules()
    key = reference_key(keystore.audit_key())
    issued_at = clock.now()
    act_date = issued_at.astimezone(ZoneInfo(rules.timezone)).date()
    act_id = str(uuid.uuid4())
    for attempt in range(1, _NUMBER_ATTEMPTS + 1):
        number = next_number(rules, act_date.year,
                             uow.acts.last_seq(run.operator_id, act_date.year))
        act = build_act(run, register, rules, act_id=act_id, number=number,
                        act_date=act_date, issued_at=issued_at, key=key)
        try:
            uow.acts.add(act)
            break
        except ConflictError:
            # Another process issued an act meanwhile: for this very run (then
            # that one is the act), or with this number (then take the next).
            existing = uow.acts.by_run(run.run_id, run.operator_id)
            if existing is not None:
                return existing
            if attempt == _NUMBER_ATTEMPTS:
                raise
            log.info("act number %s taken meanwhile, retrying", number)
    uow.audit.record(AuditRecord(
        at=issued_at, actor=run.actor, action=ISSUE_ACTION,
        categories=sorted({c.id for g in act.groups for c in g.categories}),
        details={"act_id": act.id, "number": str(act.number), "run_id": run.run_id,
                 "operator_id": run.operator_id, "subjects": act.subjects_total,
                 "groups": len(act.groups), "sha256": act.digest()},
    ))
    log.info("destruction act %s for run %s (%d subjects)", act.number, run.run_id,
             act.subjects_total)
    return act


def list_acts(
    uow: UnitOfWork, *, operator_id: str | None = None, year: int | None = None,
    limit: int = 200,
) -> Sequence[ActHeader]:
    """Acts, the newest first (headers only: no body is loaded)."""
    if limit < 1:
        raise InputError("limit must be at least 1", field="limit")
    with uow:
        return uow.acts.list(ActFilter(operator_id=operator_id, year=year, limit=limit))


def get(uow: UnitOfWork, ref: str, *, operator_id: str | None = None) -> Act:
    """One act by its id or its number («АУ-2026/0001»); checked against its checksum."""
    text = ref.strip()
    if not text:
        raise InputError("name the act by its id or number", field="act")
    with uow:
        act = uow.acts.get(text)
        if act is not None and operator_id not in (None, act.operator.id):
            act = None
        if act is None:
            try:
                number = str(ActNumber.parse(text, load_act_rules().number_digits))
            except InputError:
                number = None
            found = uow.acts.by_number(number, operator_id) if number else []
            if len(found) > 1:
                raise ConflictError(
                    "several operators have an act with this number: act numbers restart "
                    "for each operator every year, so pass --operator (the API: operator) "
                    "or the act's id", field="operator")
            act = found[0] if found else None
    if act is None:
        where = "" if operator_id is None else f" of operator {operator_id!r}"
        raise NotFoundError(
            f"no destruction act{where} with this id or number (act numbers restart for "
            "each operator every year: pass --operator, or give the act's id from "
            "`derbes acts list`)", field="act")
    return act

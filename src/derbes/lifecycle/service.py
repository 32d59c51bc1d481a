"""Use case: record a lifecycle event reported by the operator's systems.

Idempotent by event id: the same event delivered again changes nothing and
answers as the first time; another event under a used id is a conflict.
Contract events move the ``contracts`` projection in the same transaction
(opening or closing a contract twice is a ``ConflictError``; a close that
arrives before its open is kept and completed by the open).

Each recorded event is also an entry of the access audit log (``subject.write``,
operation ``lifecycle_event``, with the event's fingerprint), in the same
transaction: the contracts the decision point reads, and the events retention
clocks start from, can then be replayed from a hash chain and compared
(``derbes ledger verify``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from derbes.audit.model.log import AuditAction, AuditRecord
from derbes.context import Context
from derbes.errors import ConflictError, NotFoundError
from derbes.lifecycle import model as lifecycle
from derbes.lifecycle.model import CONTRACT_EVENTS, Contract, LifecycleEvent
from derbes.retention.service import sweep as retention

__all__ = ["EventResult", "contracts_of", "record_event"]


@dataclass(frozen=True)
class EventResult:
    event: LifecycleEvent
    recorded: bool  # False: a redelivery of an event already recorded
    contract: Contract | None


def record_event(
    ctx: Context,
    event_id: str,
    subject_id: str,
    type_: str,
    occurred_at: datetime,
    contract_id: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> EventResult:
    """Record the event for the subject (within the caller's operator scope), acting as
    ``ctx.actor``."""
    now = ctx.now()
    with ctx.uow as uow:
        subject = uow.vault.get(subject_id) if isinstance(subject_id, str) else None
        if subject is None or not ctx.scope.admits(subject.operator_id):
            raise NotFoundError("no such subject", field="subject_id")
        event = lifecycle.new_event(
            lifecycle.ReportedEvent(event_id, type_, occurred_at, contract_id, data),
            subject.id, now)
        stored = uow.lifecycle.event(event.event_id)
        if stored is not None:
            if stored.fingerprint != event.fingerprint():
                raise ConflictError("this event id was used for a different event",
                                    field="event_id")
            known = stored.event
            contract = (uow.lifecycle.contract(known.subject_id, known.contract_id)
                        if known.contract_id and known.type in CONTRACT_EVENTS else None)
            return EventResult(known, recorded=False, contract=contract)
        contract = None
        if event.type in CONTRACT_EVENTS and event.contract_id is not None:
            before = uow.lifecycle.contract(subject.id, event.contract_id, for_update=True)
            contract = lifecycle.apply(before, event)
            uow.lifecycle.put_contract(contract, new=before is None)
        uow.lifecycle.add_event(event)
        uow.audit.record(AuditRecord(
            at=now, actor=ctx.actor, action=AuditAction.SUBJECT_WRITE, subject_ids=[subject.id],
            details={"operation": lifecycle.AUDIT_OPERATION, "event_id": event.event_id,
                     "type": event.type.value, "contract_id": event.contract_id,
                     "occurred_at": event.occurred_at.isoformat(),
                     "fingerprint": event.fingerprint()},
        ))
        # Legal holds and retention clocks.
        retention.on_event(uow, subject, event, calendars=ctx.rules.calendars)
        uow.commit()
    return EventResult(event, recorded=True, contract=contract)


def contracts_of(ctx: Context, subject_id: str) -> list[Contract]:
    with ctx.uow as uow:
        return uow.lifecycle.contracts_for(subject_id)

"""How a request moves: fetched within the caller's operator scope, moved under its row
lock, every move stored with its transition and audited in the same transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from derbes.audit.model.log import AuditRecord
from derbes.context import Context, OperatorScope
from derbes.deadlines.model.regime import Regime, apply_overrides
from derbes.errors import ConflictError, LegalRestrictionError, NotFoundError
from derbes.platform.clock import Clock
from derbes.register.model.register import Register
from derbes.register.service.in_force import in_force_in
from derbes.requests import model as rq
from derbes.requests.model import RequestState, RequestType, SubjectRequest, Transition
from derbes.requests.service.sealing import request_key, seal
from derbes.uow import UnitOfWork
from derbes.vault.model import SUBJECT_ACCESS_REQUEST


def register_in(uow: UnitOfWork, operator_id: str) -> Register:
    """Inside an open unit of work: the operator's register in force."""
    return in_force_in(uow, operator_id).register


def regime_for(ctx: Context, register: Register) -> Regime:
    """The regime in force for this operator: the law, and its own promises only."""
    return apply_overrides(ctx.rules.regime, register.regime_overrides,
                           operator=register.operator.id)


def local_today(clock: Clock, regime: Regime) -> date:
    """The local date (the regime's time zone, Asia/Almaty) of ``clock``'s now."""
    return clock.now().astimezone(regime.counting.zone).date()


def on_behalf(ctx: Context, operator_id: str | None, request_id: str) -> Context:
    """The context of another slice's use case done for a request (the vault's): the
    request's id names its audit entries, the request's operator bounds its scope."""
    asked = ctx.acting(ctx.actor, request_id)
    return asked if operator_id is None else asked.within(OperatorScope.only(operator_id))


def get(ctx: Context, request_id: str, *, lock: bool = False) -> SubjectRequest:
    """Inside an open unit of work: the request, if the caller's scope admits it (another
    operator's request is answered as if it did not exist)."""
    found = ctx.uow.requests.get(request_id, for_update=lock) if isinstance(request_id, str) \
        else None
    if found is None or not ctx.scope.admits(found.operator_id):
        raise NotFoundError("no such request", field="request_id")
    return found


@dataclass(frozen=True)
class Move:
    """A change of a request's record: why, what else changes, what the audit entry adds."""

    reason: str | None = None
    change: Callable[[SubjectRequest], SubjectRequest] | None = None
    details: Mapping[str, Any] | None = None


def record(ctx: Context, before: SubjectRequest | None, after: SubjectRequest,
           at: datetime, move: Move) -> Transition:
    """Store the request's new state with its transition, and audit it (same transaction)."""
    uow = ctx.uow
    moved = before is None or before.state is not after.state
    transition = Transition(after.id, None if before is None else before.state, after.state,
                            at, ctx.actor, move.reason)
    if before is None:
        uow.requests.add(after, transition)
    else:
        uow.requests.save(after, transition if moved else None)
    uow.audit.record(AuditRecord(
        at=at, actor=ctx.actor, action=rq.AUDIT_ACTION,
        subject_ids=[after.subject_id] if after.subject_id else [],
        categories=[], purpose=SUBJECT_ACCESS_REQUEST, request_id=after.id,
        details={"type": after.type.value, "operator_id": after.operator_id,
                 "from": None if before is None else before.state.value,
                 "to": after.state.value, "reason": move.reason, **dict(move.details or {})},
    ))
    return transition


def move_to(ctx: Context, request_id: str, target: RequestState, move: Move = Move()
            ) -> SubjectRequest:
    """Move the request to ``target`` (the state machine allowing), in one transaction."""
    now = ctx.now()
    with ctx.uow as uow:
        before = get(ctx, request_id, lock=True)
        after = before.moved(target, now)
        if move.change is not None:
            after = move.change(after)
        record(ctx, before, after, now, move)
        uow.commit()
    return after


def begin(ctx: Context, request_id: str, expected: Sequence[RequestType]) -> SubjectRequest:
    """The request, in progress (started if verified). Nothing is disclosed to, or done
    for, a requester whose identity is not verified.

    Checked and started in one transaction, under the request's row lock: what
    :func:`~derbes.requests.service.verification.start` records (verified →
    in_progress, audited) is recorded here.
    """
    now = ctx.now()
    with ctx.uow as uow:
        request = get(ctx, request_id, lock=True)
        if request.type not in expected:
            raise ConflictError(f"this is a {request.type.value} request", field="type")
        if request.state is RequestState.RECEIVED:
            raise LegalRestrictionError(
                "the requester's identity is not verified: nothing is disclosed or done "
                "before verification (SMS code or staff document check)",
                citation=ctx.rules.requests.verification_citation, field="state")
        if request.state is RequestState.VERIFIED:
            started = request.moved(RequestState.IN_PROGRESS, now)
            record(ctx, request, started, now, Move())
            uow.commit()
            request = started
    if request.state is not RequestState.IN_PROGRESS:
        raise ConflictError(f"the request is {request.state.value}", field="state")
    return request


def pending(ctx: Context, request: SubjectRequest, reason: str) -> None:
    """Keep the request open and record why (no state change; audited)."""
    now = ctx.now()
    with ctx.uow as uow:
        current = get(ctx, request.id, lock=True)
        record(ctx, current, replace(current, pending_reason=reason, updated_at=now), now,
               Move(reason, details={"pending": True}))
        uow.commit()


def answered(ctx: Context, request: SubjectRequest, summary: Mapping[str, Any],
             full: Mapping[str, Any] | None = None, *, key: bytes | None = None
             ) -> SubjectRequest:
    """The request answered: ``summary`` (no PD) in clear, ``full`` (default: the summary)
    sealed with the request's key."""
    if key is None:
        key = request_key(ctx.keystore, request.id)
    sealed = seal(key, request.id, "answer", summary if full is None else full)
    after = move_to(ctx, request.id, RequestState.ANSWERED, Move(
        change=lambda r: replace(r, answer=dict(summary), answer_sealed=sealed,
                                 pending_reason=None),
        details={"answer": {k: v for k, v in summary.items()
                            if k in ("held", "kind", "partial")}}))
    request_closed(ctx, after)
    return after


def no_data(ctx: Context, request: SubjectRequest) -> SubjectRequest:
    """The answer for a subject derbes does not hold."""
    return answered(ctx, request, {"kind": request.type.value, "held": False})


def request_closed(ctx: Context, request: SubjectRequest) -> None:
    """An answered request is an event the clocks know (``achieved_when: request_answered``)."""
    # Here, not at the top: reading a request (``derbes request show``) needs no sweep.
    from derbes.retention.service import sweep as retention

    if request.subject_id is None:
        return
    with ctx.uow as uow:
        subject = uow.vault.get(request.subject_id)
        if subject is None or subject.destroyed:
            return
        retention.update_clocks(uow, subject.id, ctx.now(), calendars=ctx.rules.calendars)
        uow.commit()

"""Reading requests: one with its transitions, lists, the late ones, the local date."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from derbes.context import Context
from derbes.deadlines.model.regime import Regime
from derbes.platform.clock import Clock
from derbes.requests.model import SubjectRequest, Transition
from derbes.requests.ports import RequestFilter
from derbes.requests.service.transitions import get, local_today

__all__ = ["RequestView", "due_tomorrow", "list_requests", "overdue", "show", "today"]


@dataclass(frozen=True)
class RequestView:
    request: SubjectRequest
    transitions: tuple[Transition, ...]

    def as_dict(self) -> dict[str, Any]:
        r = self.request
        return {
            "id": r.id, "operator_id": r.operator_id, "subject_id": r.subject_id,
            "type": r.type.value, "state": r.state.value, "language": r.language,
            "received_at": r.received_at.isoformat(), "due_date": r.due_date.isoformat(),
            "deadline": {"id": r.deadline_id, "citation": r.deadline_citation},
            "requester": r.requester.value,
            "verification": None if r.verification_method is None else {
                "method": r.verification_method.value, "reference": r.verification_ref},
            "answer": r.answer, "refusal_reasons": list(r.refusal_reasons),
            "pending_reason": r.pending_reason,
            "closed_at": r.closed_at.isoformat() if r.closed_at else None,
            "transitions": [{"from": t.from_state.value if t.from_state else None,
                             "to": t.to_state.value, "at": t.at.isoformat(),
                             "actor": t.actor, "reason": t.reason}
                            for t in self.transitions],
        }


def show(ctx: Context, request_id: str) -> RequestView:
    with ctx.uow as uow:
        request = get(ctx, request_id)
        return RequestView(request, tuple(uow.requests.transitions(request.id)))


def list_requests(ctx: Context, where: RequestFilter) -> list[SubjectRequest]:
    """Matching requests of the operators the caller's scope admits."""
    if not ctx.scope.is_every:
        if where.operator_id is not None and not ctx.scope.admits(where.operator_id):
            return []
        where = replace(where, operator_id=ctx.scope.operator_id)
    with ctx.uow as uow:
        return uow.requests.list(where)


def overdue(ctx: Context, as_of: date) -> list[SubjectRequest]:
    """Open requests whose due date has passed on ``as_of`` (a local date)."""
    return list_requests(ctx, RequestFilter(due_before=as_of))


def due_tomorrow(ctx: Context, as_of: date) -> list[SubjectRequest]:
    """Open requests due on the day after ``as_of``."""
    return list_requests(ctx, RequestFilter(due_on=as_of + timedelta(days=1)))


def today(clock: Clock, regime: Regime) -> date:
    """The local date (the regime's time zone, Asia/Almaty) of ``clock``'s now."""
    return local_today(clock, regime)

"""A request's deadline as the console shows it: working days left and how urgent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from derbes.console.model.pages import Urgency, urgency
from derbes.context import Context
from derbes.requests import service as requests
from derbes.requests.model import RequestState, RequestType, SubjectRequest

__all__ = ["RequestLine", "line_of", "local_today"]


@dataclass(frozen=True)
class RequestLine:
    """One request in a list: no PD, only what the request record holds in clear."""

    id: str
    type: RequestType
    state: RequestState
    received_at: datetime
    due_date: date
    days_left: int  # working days from today to the due date; negative once overdue
    urgency: Urgency
    verified: bool
    citation: str


def local_today(ctx: Context) -> date:
    """Today in the regime's time zone (Asia/Almaty), the day deadlines count in."""
    return requests.today(ctx.clock, ctx.rules.regime)


def line_of(ctx: Context, request: SubjectRequest, today: date) -> RequestLine:
    """The request with its working days left, counted in the Kazakhstan working calendar
    (Law 94-V Art. 24 terms run in working days)."""
    first, last = sorted((today, request.due_date))
    calendar = ctx.rules.calendars.years(first.year, last.year)
    left = calendar.working_days_between(today, request.due_date)
    if request.due_date < today:
        left = min(left, -1)  # past its due date, even across a weekend, it is late
    return RequestLine(request.id, request.type, request.state, request.received_at,
                       request.due_date, left, urgency(left, request.state.closed),
                       request.verified, request.deadline_citation)

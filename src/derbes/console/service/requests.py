"""The Requests pages: the inbox with its filters, one request, and the actions on it.

Every function takes the operator the page shows and requires the permission at that
operator first (a refusal is audited by the staff slice); the requests slice's own
services then do the work with the staff person as the actor, so the transition and
its audit entry name that person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from derbes.audit.model.log import AuditRecord
from derbes.console.model.pages import mask
from derbes.console.service.access import may, scoped
from derbes.console.service.deadlines import RequestLine, line_of, local_today
from derbes.context import Context
from derbes.errors import InputError
from derbes.requests import service as requests
from derbes.requests.model import RequestState, RequestType, SubjectRequest, Transition
from derbes.requests.ports import LetterRenderer
from derbes.staff.model.roles import Permission

__all__ = ["Inbox", "InboxFilter", "RequestPage", "answer", "dry_run", "inbox", "letter", "refuse",
           "request_page", "verify"]

LETTER_ACTION = "console.letter"
_LISTED = 500
# Answered with staff's own reasoned text (Law 94-V Art. 24; the requests slice's answers).
_WITH_RESPONSE = (RequestType.COMPLAINT, RequestType.PRETRIAL_CLAIM,
                  RequestType.AUTOMATED_OBJECTION)


@dataclass(frozen=True)
class InboxFilter:
    state: RequestState | None = None
    type: RequestType | None = None
    overdue: bool = False


@dataclass(frozen=True)
class Inbox:
    operator_id: str
    as_of: date
    where: InboxFilter
    lines: list[RequestLine]


def inbox(ctx: Context, operator_id: str, where: InboxFilter) -> Inbox:
    """The operator's requests, the soonest due first, filtered by state, type, lateness."""
    ctx = scoped(ctx, operator_id, Permission.REQUESTS_READ)
    day = local_today(ctx)
    found = requests.list_requests(ctx, requests.RequestFilter(
        operator_id=operator_id, states=(where.state,) if where.state else (),
        due_before=day if where.overdue else None, limit=_LISTED))
    lines = [line_of(ctx, r, day) for r in found if where.type in (None, r.type)]
    return Inbox(operator_id, day, where, lines)


@dataclass(frozen=True)
class RequestPage:
    line: RequestLine
    request: SubjectRequest
    subject: str | None  # the subject's internal id, masked
    transitions: tuple[Transition, ...]
    may_handle: bool
    letter_ready: bool

    @property
    def may_verify(self) -> bool:
        return self.may_handle and self.request.state is RequestState.RECEIVED

    @property
    def may_answer(self) -> bool:
        return self.may_handle and self.request.state in (RequestState.VERIFIED,
                                                          RequestState.IN_PROGRESS)

    @property
    def needs_response(self) -> bool:
        """Complaints, claims and objections are answered with staff's own text."""
        return self.request.type in _WITH_RESPONSE


def request_page(ctx: Context, operator_id: str, request_id: str) -> RequestPage:
    """One request of the operator (another operator's does not exist here)."""
    ctx = scoped(ctx, operator_id, Permission.REQUESTS_READ)
    view = requests.show(ctx, request_id)
    found = view.request
    return RequestPage(
        line_of(ctx, found, local_today(ctx)), found,
        None if found.subject_id is None else mask(found.subject_id),
        view.transitions, may(ctx, Permission.REQUESTS_HANDLE, operator_id),
        found.state in (RequestState.ANSWERED, RequestState.REFUSED))


def verify(ctx: Context, operator_id: str, request_id: str, document_ref: str,
           reason: str, verified_by: str) -> SubjectRequest:
    """Staff saw the requester's identity document (``verified_by``: the person's name)."""
    ctx = scoped(ctx, operator_id, Permission.REQUESTS_HANDLE)
    return requests.verify_by_staff(ctx, request_id, document_ref, reason=reason,
                                    verified_by=verified_by)


def answer(ctx: Context, operator_id: str, request_id: str,
           answering: requests.Answering) -> SubjectRequest:
    """Execute and answer the request through the requests slice."""
    ctx = scoped(ctx, operator_id, Permission.REQUESTS_HANDLE)
    kind = requests.show(ctx, request_id).request.type
    if kind in _WITH_RESPONSE and not (answering.response or "").strip():
        raise InputError("the response is required for this type of request", field="response")
    return requests.answer_request(ctx, request_id, answering).request


def refuse(ctx: Context, operator_id: str, request_id: str, reasons: str) -> SubjectRequest:
    """Refuse with reasons, one per line."""
    ctx = scoped(ctx, operator_id, Permission.REQUESTS_HANDLE)
    return requests.refuse(ctx, request_id, [r for r in reasons.splitlines() if r.strip()])


def letter(ctx: Context, operator_id: str, request_id: str, render: LetterRenderer,
           fmt: str, lang: str | None) -> bytes:
    """The answer or refusal as a letter (HTML or PDF) in the subject's language or
    ``lang``. The letter of an access answer lists PD: who opened it is audited."""
    ctx = scoped(ctx, operator_id, Permission.REQUESTS_READ)
    body = requests.letter(ctx, request_id, render, fmt, lang)
    found = requests.show(ctx, request_id).request
    with ctx.uow:
        ctx.uow.audit.record(AuditRecord(
            at=ctx.now(), actor=ctx.actor, action=LETTER_ACTION, request_id=ctx.request_id,
            subject_ids=(found.subject_id,) if found.subject_id else (),
            details={"request": request_id, "format": fmt, "lang": lang or found.language}))
        ctx.uow.commit()
    return body


def dry_run(ctx: Context, operator_id: str, request_id: str,
            stores: requests.StoreOpener) -> requests.DestructionPlan:
    """What answering the destruction request now would destroy, keep and block, in the
    vault and each connected database; nothing changes (the datasets slice audits each
    store's plan as a dry run)."""
    ctx = scoped(ctx, operator_id, Permission.REQUESTS_HANDLE)
    return requests.plan_destruction(ctx, request_id, stores=stores)

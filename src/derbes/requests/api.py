"""``/v1/requests``: data-subject requests (Law 94-V Art. 24) over HTTP.

Identifiers and documents travel in request bodies only, never in URLs.
Filing, verifying and answering change state (``write``); an access answer
also discloses PD (``read``), a destruction answer destroys (``destroy``).
A key bound to an operator sees only that operator's requests.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from derbes.access import service as apikeys
from derbes.access.model import Scope
from derbes.api.auth import Caller, Reader, Writer, authenticated
from derbes.api.deps import actor_of, operator_scope, required_operator
from derbes.api.deps import container as _container
from derbes.api.inputs import Day, Moment
from derbes.bootstrap import Container
from derbes.context import Context
from derbes.datasets.adapters.directory import stores_from_dir
from derbes.requests import service
from derbes.requests.adapters.letters import MEDIA_TYPES, render_letter
from derbes.requests.model import RequestType, parse_state

router = APIRouter(prefix="/v1/requests", tags=["requests"])

Caller_ = Annotated[Caller, Depends(authenticated)]


class RequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operator: str | None = Field(default=None, max_length=100, description=(
        "Operator id; may be left out when the API key is bound to an operator."))
    type: str = Field(max_length=30, description=", ".join(t.value for t in RequestType))
    language: str = Field(default="ru", max_length=5)
    identifiers: dict[str, str] = Field(default_factory=dict, description=(
        "How the requester names the subject: iin, phone, email, customer_id."))
    subject_id: str | None = Field(default=None, max_length=36)
    requester: str = Field(default="subject", max_length=20)
    representative_document: str | None = Field(default=None, max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict, description=(
        "rectification: values {category: value} and document_ref; destruction / blocking: "
        "categories (optional); consent_withdrawal: scope; complaint / claim: text."))
    received_at: Moment | None = None


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["sms_otp", "staff_document"]
    otp_reference: str | None = Field(default=None, max_length=200)
    otp_code: str | None = Field(default=None, max_length=20)
    document_ref: str | None = Field(default=None, max_length=200, description=(
        "staff_document: the identity document seen (its type and number)."))
    reason: str | None = Field(default=None, max_length=2000, description=(
        "staff_document: why the document proves who the requester is."))


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    response: str | None = Field(default=None, max_length=2000, description=(
        "The operator's reasoned response (complaints and pre-trial claims)."))


class RefuseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reasons: list[str] = Field(min_length=1, max_length=20)


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=2000)


class OtpOut(BaseModel):
    otp_reference: str
    expires_at: datetime


class DeadlineOut(BaseModel):
    id: str
    citation: str


class VerificationOut(BaseModel):
    method: str
    reference: str | None


class TransitionOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str | None = Field(alias="from", description="The state before (none at filing).")
    to: str
    at: str = Field(description="ISO 8601 instant.")
    actor: str
    reason: str | None


class RequestOut(BaseModel):
    """A request as stored: state, due date, transitions, answer summary (no PD)."""

    id: str
    operator_id: str
    subject_id: str | None
    type: str
    state: str
    language: str
    received_at: str = Field(description="ISO 8601 instant.")
    due_date: str = Field(description="ISO 8601 local date (Asia/Almaty).")
    deadline: DeadlineOut
    requester: str
    verification: VerificationOut | None
    answer: dict[str, Any] | None = Field(description="The answer without PD values.")
    refusal_reasons: list[str]
    pending_reason: str | None
    closed_at: str | None
    transitions: list[TransitionOut]


class AnswerOut(BaseModel):
    request: RequestOut
    answer: dict[str, Any] = Field(description=(
        "The full answer; its shape depends on the request type (``kind``); an access "
        "answer lists PD values."))


class RequestRowOut(BaseModel):
    id: str
    operator_id: str
    type: str
    state: str
    received_at: str
    due_date: str
    overdue: bool
    pending_reason: str | None


class RequestListOut(BaseModel):
    as_of: date
    requests: list[RequestRowOut]


def _ctx(container: Container, caller: Caller) -> Context:
    """The caller's world: a key bound to an operator acts for that operator only."""
    return container.context(actor_of(caller), scope=operator_scope(caller, None))


def _view(container: Container, caller: Caller, request_id: str) -> RequestOut:
    found = service.show(_ctx(container, caller), request_id).as_dict()
    return RequestOut.model_validate(found)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RequestOut)
def file_request(body: RequestIn, caller: Writer, request: Request, response: Response
                 ) -> RequestOut:
    """File a request; its due date is set now. An unknown subject is accepted."""
    container = _container(request)
    operator = required_operator(caller, body.operator)
    filed = service.file_request(
        _ctx(container, caller),
        service.NewRequest(operator_id=operator, type=body.type, language=body.language,
                           identifiers=body.identifiers, subject_id=body.subject_id,
                           requester=body.requester,
                           representative_document=body.representative_document,
                           payload=body.payload, received_at=body.received_at))
    response.headers["Location"] = f"{router.prefix}/{filed.id}"
    return _view(container, caller, filed.id)


@router.post("/{request_id}/otp", response_model=OtpOut)
def send_code(request_id: str, caller: Writer, request: Request) -> OtpOut:
    """Send the requester a one-time code (SMS port; the shipped fake sends nothing).
    Codes per request and hour are limited: over the limit, 429 with ``Retry-After``."""
    container = _container(request)
    issued = service.issue_otp(_ctx(container, caller), container.otp, container.couriers,
                               request_id)
    return OtpOut(otp_reference=issued.reference, expires_at=issued.expires_at)


@router.post("/{request_id}/verify", response_model=RequestOut)
def verify(request_id: str, body: VerifyIn, caller: Caller_, request: Request) -> RequestOut:
    """Verify the requester: the code sent by SMS (``write`` scope; wrong codes are
    limited, then 429 with ``Retry-After``), or staff's check of an identity document
    (``verify`` or ``admin`` scope: who, which document and why are recorded)."""
    container = _container(request)
    ctx = _ctx(container, caller)
    if body.method == "sms_otp":
        apikeys.authorize(caller, Scope.WRITE)
        service.verify_by_otp(ctx, container.otp, request_id, body.otp_reference or "",
                              body.otp_code or "")
    else:
        apikeys.authorize(caller, Scope.VERIFY)
        service.verify_by_staff(ctx, request_id, body.document_ref or "",
                                reason=body.reason or "",
                                verified_by=f"api key {caller.key_id} ({caller.name})")
    return _view(container, caller, request_id)


@router.post("/{request_id}/answer", response_model=AnswerOut)
def answer(request_id: str, caller: Writer, request: Request,
           body: AnswerIn | None = None) -> AnswerOut:
    """Execute and answer the request; the full answer (it may list PD) is returned."""
    container = _container(request)
    current = service.show(_ctx(container, caller), request_id).request
    if current.type is RequestType.ACCESS:
        apikeys.authorize(caller, Scope.READ)
    if current.type is RequestType.DESTRUCTION:
        apikeys.authorize(caller, Scope.DESTROY)
    result = service.answer_request(_ctx(container, caller), request_id, service.Answering(
        stores=stores_from_dir(container.settings.datasets_dir),
        decision_point=container.decision_point, response=body.response if body else None))
    return AnswerOut(request=_view(container, caller, request_id), answer=dict(result.answer))


@router.post("/{request_id}/refuse", response_model=RequestOut)
def refuse(request_id: str, body: RefuseIn, caller: Writer, request: Request) -> RequestOut:
    """Refuse with reasons (no PD in them)."""
    container = _container(request)
    service.refuse(_ctx(container, caller), request_id, body.reasons)
    return _view(container, caller, request_id)


@router.post("/{request_id}/withdraw", response_model=RequestOut)
def withdraw(request_id: str, caller: Writer, request: Request,
             body: WithdrawIn | None = None) -> RequestOut:
    """The requester takes the request back."""
    container = _container(request)
    service.withdraw_request(_ctx(container, caller), request_id,
                             reason=body.reason if body else None)
    return _view(container, caller, request_id)


@router.get("/{request_id}", response_model=RequestOut)
def show(request_id: str, caller: Reader, request: Request) -> RequestOut:
    """The request, its state, due date, transitions and answer summary (no PD)."""
    return _view(_container(request), caller, request_id)


@router.get("", response_model=RequestListOut)
def list_requests(
    caller: Reader,
    request: Request,
    state: Annotated[list[str] | None, Query()] = None,
    overdue: bool = False,
    due: Annotated[Literal["tomorrow"] | None, Query()] = None,
    operator: Annotated[str | None, Query(max_length=100)] = None,
    as_of: Day | None = None,
) -> RequestListOut:
    """Requests by state; ``overdue=true`` the late ones, ``due=tomorrow`` those due tomorrow
    (``as_of``: the local date to judge by, default today in Asia/Almaty)."""
    container = _container(request)
    day = as_of or service.today(container.clock, container.rules.regime)
    where = service.RequestFilter(
        states=tuple(parse_state(s) for s in state or ()),
        due_before=day if overdue else None,
        due_on=date.fromordinal(day.toordinal() + 1) if due == "tomorrow" else None,
    )
    ctx = container.context(actor_of(caller), scope=operator_scope(caller, operator))
    return RequestListOut(as_of=day, requests=[RequestRowOut(
        id=r.id, operator_id=r.operator_id, type=r.type.value, state=r.state.value,
        received_at=r.received_at.isoformat(), due_date=r.due_date.isoformat(),
        overdue=r.overdue_on(day), pending_reason=r.pending_reason)
        for r in service.list_requests(ctx, where)])


@router.get(
    "/{request_id}/letter",
    response_class=Response,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
def letter(
    request_id: str,
    caller: Reader,
    request: Request,
    format: Annotated[Literal["html", "pdf"], Query()] = "pdf",
    lang: Annotated[str | None, Query(max_length=5)] = None,
) -> Response:
    """The answer or refusal as a letter in the subject's language (or ``lang``)."""
    container = _container(request)
    body = service.letter(_ctx(container, caller), request_id, render_letter, format, lang)
    return Response(content=body, media_type=MEDIA_TYPES[format])

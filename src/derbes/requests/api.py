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
from derbes.api.auth import Caller, authenticated, require_scope
from derbes.api.deps import actor_of as _actor
from derbes.api.deps import container as _container
from derbes.api.deps import operator_filter as _operator
from derbes.api.inputs import Day, Moment
from derbes.bootstrap import Container
from derbes.errors import InputError
from derbes.requests import service
from derbes.requests.adapters.letters import MEDIA_TYPES
from derbes.requests.adapters.store import RequestFilter
from derbes.requests.model import RequestType, parse_state

router = APIRouter(prefix="/v1/requests", tags=["requests"])

Reader = Annotated[Caller, Depends(require_scope(Scope.READ))]
Writer = Annotated[Caller, Depends(require_scope(Scope.WRITE))]
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








def _stores(container: Container) -> service.StoreOpener:
    return service.stores_from_dir(container.settings.datasets_dir)


@router.post("", status_code=status.HTTP_201_CREATED)
def file_request(body: RequestIn, caller: Writer, request: Request, response: Response
                 ) -> dict[str, Any]:
    """File a request; its due date is set now. An unknown subject is accepted."""
    container = _container(request)
    operator = _operator(caller, body.operator)
    if operator is None:
        raise InputError("the operator is required", field="operator")
    filed = service.file_request(
        container.uow(), container.keystore,
        service.NewRequest(operator_id=operator, type=body.type, language=body.language,
                           identifiers=body.identifiers, subject_id=body.subject_id,
                           requester=body.requester,
                           representative_document=body.representative_document,
                           payload=body.payload, received_at=body.received_at),
        _actor(caller), container.clock, settings=container.settings)
    response.headers["Location"] = f"{router.prefix}/{filed.id}"
    return service.show(container.uow(), filed.id).as_dict()


@router.post("/{request_id}/otp", response_model=OtpOut)
def send_code(request_id: str, caller: Writer, request: Request) -> OtpOut:
    """Send the requester a one-time code (SMS port; the shipped fake sends nothing).
    Codes per request and hour are limited: over the limit, 429 with ``Retry-After``."""
    container = _container(request)
    issued = service.issue_otp(container.uow(), container.otp, request_id, container.clock,
                               operator_id=caller.operator_id, actor=_actor(caller))
    return OtpOut(otp_reference=issued.reference, expires_at=issued.expires_at)


@router.post("/{request_id}/verify")
def verify(request_id: str, body: VerifyIn, caller: Caller_, request: Request
           ) -> dict[str, Any]:
    """Verify the requester: the code sent by SMS (``write`` scope; wrong codes are
    limited, then 429 with ``Retry-After``), or staff's check of an identity document
    (``verify`` or ``admin`` scope: who, which document and why are recorded)."""
    container = _container(request)
    if body.method == "sms_otp":
        apikeys.authorize(caller, Scope.WRITE)
        service.verify_by_otp(container.uow(), container.otp, request_id,
                              body.otp_reference or "", body.otp_code or "", _actor(caller),
                              container.clock, operator_id=caller.operator_id)
    else:
        apikeys.authorize(caller, Scope.VERIFY)
        service.verify_by_staff(container.uow(), container.keystore, request_id,
                                body.document_ref or "", _actor(caller), container.clock,
                                reason=body.reason or "",
                                verified_by=f"api key {caller.key_id} ({caller.name})",
                                operator_id=caller.operator_id)
    return service.show(container.uow(), request_id).as_dict()


@router.post("/{request_id}/answer")
def answer(request_id: str, caller: Writer, request: Request, body: AnswerIn | None = None
           ) -> dict[str, Any]:
    """Execute and answer the request; the full answer (it may list PD) is returned."""
    container = _container(request)
    current = service.show(container.uow(), request_id, operator_id=caller.operator_id).request
    if current.type is RequestType.ACCESS:
        apikeys.authorize(caller, Scope.READ)
    if current.type is RequestType.DESTRUCTION:
        apikeys.authorize(caller, Scope.DESTROY)
    result = service.answer_request(
        container.uow(), container.keystore, request_id, _actor(caller), container.clock,
        stores=_stores(container), settings=container.settings,
        decision_point=container.decision_point,
        response=body.response if body else None, operator_id=caller.operator_id,
        rules=container.rules)
    return {"request": service.show(container.uow(), request_id).as_dict(),
            "answer": dict(result.answer)}


@router.post("/{request_id}/refuse")
def refuse(request_id: str, body: RefuseIn, caller: Writer, request: Request
           ) -> dict[str, Any]:
    """Refuse with reasons (no PD in them)."""
    container = _container(request)
    service.refuse(container.uow(), request_id, body.reasons, _actor(caller), container.clock,
                   operator_id=caller.operator_id)
    return service.show(container.uow(), request_id).as_dict()


@router.post("/{request_id}/withdraw")
def withdraw(request_id: str, caller: Writer, request: Request, body: WithdrawIn | None = None
             ) -> dict[str, Any]:
    """The requester takes the request back."""
    container = _container(request)
    service.withdraw_request(container.uow(), request_id, _actor(caller), container.clock,
                             reason=body.reason if body else None,
                             operator_id=caller.operator_id)
    return service.show(container.uow(), request_id).as_dict()


@router.get("/{request_id}")
def show(request_id: str, caller: Reader, request: Request) -> dict[str, Any]:
    """The request, its state, due date, transitions and answer summary (no PD)."""
    container = _container(request)
    return service.show(container.uow(), request_id, operator_id=caller.operator_id).as_dict()


@router.get("")
def list_requests(
    caller: Reader,
    request: Request,
    state: Annotated[list[str] | None, Query()] = None,
    overdue: bool = False,
    due: Annotated[Literal["tomorrow"] | None, Query()] = None,
    operator: Annotated[str | None, Query(max_length=100)] = None,
    as_of: Day | None = None,
) -> dict[str, Any]:
    """Requests by state; ``overdue=true`` the late ones, ``due=tomorrow`` those due tomorrow
    (``as_of``: the local date to judge by, default today in Asia/Almaty)."""
    container = _container(request)
    day = as_of or service.today(container.clock, container.settings)
    where = RequestFilter(
        operator_id=_operator(caller, operator),
        states=tuple(parse_state(s) for s in state or ()),
        due_before=day if overdue else None,
        due_on=date.fromordinal(day.toordinal() + 1) if due == "tomorrow" else None,
    )
    found = service.list_requests(container.uow(), where)
    return {"as_of": day.isoformat(), "requests": [
        {"id": r.id, "operator_id": r.operator_id, "type": r.type.value, "state": r.state.value,
         "received_at": r.received_at.isoformat(), "due_date": r.due_date.isoformat(),
         "overdue": r.overdue_on(day), "pending_reason": r.pending_reason}
        for r in found]}


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
    body = service.letter(container.uow(), container.keystore, request_id, format, lang,
                          operator_id=caller.operator_id)
    return Response(content=body, media_type=MEDIA_TYPES[format])

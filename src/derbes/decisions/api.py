"""``/v1/decisions`` and ``/v1/transfers``: the decision point and the transfer log.

``POST /v1/decisions`` answers a batch of up to 10,000 actions in one call
with one database round trip for the subjects not seen within the cache's
lifetime. The request is validated by its model; the answer is serialised by
``orjson`` straight from the domain objects (no response model at run time;
the schema below documents it).

``POST /v1/transfers`` decides a disclosure and records it only when every
subject is allowed; a refusal is a 409 ``legal-restriction`` problem listing
every reason. ``GET /v1/subjects/{id}/transfers`` is the subject's view.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from derbes.access.model import Scope
from derbes.api.auth import Caller, require_scope
from derbes.api.deps import container as _container
from derbes.api.deps import echo_request_id as _request_id
from derbes.api.deps import required_operator as _operator
from derbes.api.inputs import Day
from derbes.decisions.model import Action, ActionKind, ReasonCode
from derbes.decisions.service import MAX_BATCH
from derbes.errors import NotFoundError
from derbes.platform.labels import Lang
from derbes.register.service import registers as register_service
from derbes.transfers import service as transfer_service

router = APIRouter(tags=["decisions"])

Reader = Annotated[Caller, Depends(require_scope(Scope.READ))]
Writer = Annotated[Caller, Depends(require_scope(Scope.WRITE))]
RequestId = Annotated[str | None, Header(alias="X-Request-ID", max_length=100)]
Id = Annotated[str, Field(min_length=1, max_length=100)]


# ------------------------------------------------------------------ models


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_id: str = Field(min_length=1, max_length=36)
    action: ActionKind = Field(description=(
        "use (for a purpose), transfer (to a recipient for a purpose), cross_border "
        "(to a recipient abroad), publish (in public sources)."))
    purpose: str | None = Field(default=None, max_length=100,
                                description="Required for use, transfer, cross_border.")
    recipient: str | None = Field(default=None, max_length=100,
                                  description="Required for transfer and cross_border.")
    categories: list[Id] = Field(min_length=1, max_length=200)


class DecisionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operator: str | None = Field(default=None, max_length=100, description=(
        "Operator id; may be left out when the API key is bound to an operator."))
    lang: Lang = Field(default=Lang.EN, description="Language of the reasons' messages.")
    actions: list[ActionIn] = Field(min_length=1, max_length=MAX_BATCH)


class ReasonOut(BaseModel):
    code: ReasonCode
    allowed: bool
    message: str
    citation: str
    ref: str | None = Field(description=(
        "What the reason is about: the consent id for consent reasons, else the "
        "category, recipient or purpose."))


class DecisionOut(BaseModel):
    allowed: bool
    reasons: list[ReasonOut]


class DecisionsOut(BaseModel):
    decisions: list[DecisionOut] = Field(description="One per action, in the same order.")


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operator: str | None = Field(default=None, max_length=100)
    recipient: str = Field(min_length=1, max_length=100)
    purpose: str = Field(min_length=1, max_length=100)
    categories: list[Id] = Field(min_length=1, max_length=200)
    subject_ids: list[Annotated[str, Field(min_length=1, max_length=36)]] = Field(
        min_length=1, max_length=MAX_BATCH)
    state_body: str | None = Field(default=None, max_length=300, description=(
        "Law 94-V Art. 9: the state body whose motivated request this transfer answers."))
    request_number: str | None = Field(default=None, max_length=100)
    request_date: Day | None = None
    law_citation: str | None = Field(default=None, max_length=1000, description=(
        "The law the state body's request rests on (required with a state request)."))
    lang: Lang = Lang.EN


class TransferSubjectOut(BaseModel):
    subject_id: str
    consent_ids: list[str]


class TransferOut(BaseModel):
    id: str
    at: datetime
    recipient: str
    purpose: str
    categories: list[str]
    basis_kind: str
    law_citation: str | None
    state_body: str | None
    request_number: str | None
    request_date: date | None
    subjects: list[TransferSubjectOut]


class SubjectTransferOut(BaseModel):
    id: str
    at: datetime
    recipient: str
    recipient_name: str | None
    purpose: str
    purpose_label: str | None
    categories: list[str]
    basis_kind: str
    consent_ids: list[str]
    law_citation: str | None
    state_body: str | None
    request_number: str | None
    request_date: date | None


class SubjectTransfersOut(BaseModel):
    subject_id: str
    transfers: list[SubjectTransferOut]


# ----------------------------------------------------------------- helpers








# ------------------------------------------------------------------ routes


@router.post(
    "/v1/decisions",
    response_class=Response,
    responses={200: {"model": DecisionsOut, "description": "One decision per action."}},
)
def decide_batch(body: DecisionsIn, caller: Reader, request: Request) -> Response:
    """Allow or deny each action, with every reason and its citation.

    An unknown purpose, recipient or category is a 422 problem whose ``field``
    names the action (``actions[3].purpose``): a mistake of the caller, not a
    denial. A subject the operator does not hold is denied (``subject_unknown``).
    """
    operator = _operator(caller, body.operator)
    actions = [Action(a.action, a.subject_id, a.purpose, a.recipient, tuple(a.categories))
               for a in body.actions]
    decisions = _container(request).decision_point.decide(operator, actions, body.lang)
    return Response(orjson.dumps({"decisions": decisions}), media_type="application/json")


@router.post("/v1/transfers", status_code=status.HTTP_201_CREATED, response_model=TransferOut)
def record_transfer(
    body: TransferIn, caller: Writer, request: Request, response: Response,
    x_request_id: RequestId = None,
) -> TransferOut:
    """Decide the disclosure for every subject, then record it; 409 with reasons if refused."""
    container = _container(request)
    record = transfer_service.record_transfer(
        container.uow(), container.clock,
        transfer_service.TransferRequest(
            operator_id=_operator(caller, body.operator), recipient=body.recipient,
            purpose=body.purpose, categories=tuple(body.categories),
            subject_ids=tuple(body.subject_ids), state_body=body.state_body,
            request_number=body.request_number, request_date=body.request_date,
            law_citation=body.law_citation, lang=body.lang,
        ),
        actor=f"api:{caller.name}", request_id=_request_id(x_request_id, response),
    )
    response.headers["Location"] = f"/v1/transfers/{record.id}"
    return TransferOut(
        id=record.id, at=record.at, recipient=record.recipient_id, purpose=record.purpose,
        categories=list(record.categories), basis_kind=record.basis_kind,
        law_citation=record.law_citation, state_body=record.state_body,
        request_number=record.request_number, request_date=record.request_date,
        subjects=[TransferSubjectOut(subject_id=s, consent_ids=list(c))
                  for s, c in record.consent_ids.items()],
    )


@router.get("/v1/subjects/{subject_id}/transfers", response_model=SubjectTransfersOut,
            tags=["subjects"])
def subject_transfers(
    subject_id: str,
    caller: Reader,
    request: Request,
    lang: Annotated[Lang, Query(description="Language of names and labels.")] = Lang.RU,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> SubjectTransfersOut:
    """The subject's view: to whom their PD were disclosed, when, why, on what basis."""
    container = _container(request)
    records = transfer_service.list_transfers(container.uow(), subject_id,
                                              operator_id=caller.operator_id, limit=limit)
    registers: dict[str, object] = {}
    out: list[SubjectTransferOut] = []
    for r in records:
        if r.operator_id not in registers:
            try:
                registers[r.operator_id] = register_service.in_force(
                    container.uow(), r.operator_id).register
            except NotFoundError:
                registers[r.operator_id] = None
        register = registers[r.operator_id]
        recipient = getattr(register, "recipients", {}).get(r.recipient_id)
        purpose = getattr(register, "purposes", {}).get(r.purpose)
        out.append(SubjectTransferOut(
            id=r.id, at=r.at, recipient=r.recipient_id,
            recipient_name=recipient.names.get(lang) if recipient else None,
            purpose=r.purpose, purpose_label=purpose.labels.get(lang) if purpose else None,
            categories=list(r.categories), basis_kind=r.basis_kind,
            consent_ids=list(r.consent_ids.get(subject_id, ())),
            law_citation=r.law_citation, state_body=r.state_body,
            request_number=r.request_number, request_date=r.request_date,
        ))
    return SubjectTransfersOut(subject_id=subject_id, transfers=out)

"""``/v1/transfers``: the transfer log over HTTP.

``POST /v1/transfers`` decides a disclosure and records it only when every
subject is allowed; a refusal is a 409 ``legal-restriction`` problem listing
every reason. ``GET /v1/subjects/{id}/transfers`` is the subject's view.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from derbes.api.auth import Reader, Writer
from derbes.api.deps import RequestId, actor_of, operator_scope, required_operator
from derbes.api.deps import container as _container
from derbes.api.deps import echo_request_id as _request_id
from derbes.api.inputs import Day
from derbes.decisions.service import MAX_BATCH
from derbes.platform.labels import Lang
from derbes.transfers import service as transfer_service

router = APIRouter(tags=["decisions"])

Id = Annotated[str, Field(min_length=1, max_length=100)]


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


@router.post("/v1/transfers", status_code=status.HTTP_201_CREATED, response_model=TransferOut)
def record_transfer(
    body: TransferIn, caller: Writer, request: Request, response: Response,
    x_request_id: RequestId = None,
) -> TransferOut:
    """Decide the disclosure for every subject, then record it; 409 with reasons if refused."""
    container = _container(request)
    ctx = container.context(actor_of(caller), _request_id(x_request_id, response))
    record = transfer_service.record_transfer(
        ctx,
        transfer_service.TransferRequest(
            operator_id=required_operator(caller, body.operator), recipient=body.recipient,
            purpose=body.purpose, categories=tuple(body.categories),
            subject_ids=tuple(body.subject_ids), state_body=body.state_body,
            request_number=body.request_number, request_date=body.request_date,
            law_citation=body.law_citation, lang=body.lang,
        ),
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
    ctx = container.context(actor_of(caller), scope=operator_scope(caller, None),
                            read_only=True)
    out: list[SubjectTransferOut] = []
    for seen in transfer_service.subject_view(ctx, subject_id, limit=limit):
        r, recipient, purpose = seen.record, seen.recipient, seen.purpose
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

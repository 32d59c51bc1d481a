"""Consents, withdrawals, lifecycle events and the eGov callback over HTTP.

``POST /v1/consents`` records an act of consent (one consent per scope);
an ``Idempotency-Key`` header (or ``idempotency_key`` in the body) makes a
retry return the stored act instead of a second one. Withdrawals answer per
purpose. Personal data (IP, user agent, document numbers) travels only in
request bodies and is sealed before it is stored.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from derbes.api.auth import Reader, Writer
from derbes.api.deps import RequestId, caller_context, operator_scope
from derbes.api.deps import actor_of as _actor
from derbes.api.deps import container as _container
from derbes.api.inputs import Moment
from derbes.consent.adapters.evidence import render_certificate
from derbes.consent.model.consent import Consent, Evidence, Representative, Scope, ScopeKind
from derbes.consent.service import consent as service
from derbes.consent.service import egov as egov_consent
from derbes.consent.service import evidence
from derbes.consent.service.consent import ConsentRequest, GiveResult
from derbes.errors import InputError
from derbes.lifecycle import service as lifecycle
from derbes.register.model.register import ConsentChannel

router = APIRouter(tags=["consents"])

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


# ------------------------------------------------------------------ models


class ScopeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ScopeKind
    purposes: list[str] = Field(default_factory=list, max_length=200)
    recipients: list[str] = Field(default_factory=list, max_length=200, description=(
        "Recipient ids, or ['*'] for every recipient that needs consent."))
    cookie_categories: list[str] = Field(default_factory=list, max_length=10)


class EvidenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ip: str | None = Field(default=None, max_length=100)
    user_agent: str | None = Field(default=None, max_length=1000)
    document_number: str | None = Field(default=None, max_length=200)
    otp_reference: str | None = Field(default=None, max_length=200)
    otp_code: str | None = Field(default=None, max_length=20)
    three_ds_reference: str | None = Field(default=None, max_length=200)
    signature_reference: str | None = Field(default=None, max_length=200)
    service_reference: str | None = Field(default=None, max_length=200)


class RepresentativeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: str = Field(max_length=200)
    document_type: str = Field(max_length=200)
    document_number: str = Field(max_length=200)
    relation: str = Field(default="parent", max_length=200)


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_id: str = Field(max_length=36)
    scopes: list[ScopeIn] = Field(min_length=1, max_length=6)
    channel: ConsentChannel
    evidence: EvidenceIn = Field(default_factory=EvidenceIn)
    given_by: Literal["subject", "representative"] = "subject"
    representative: RepresentativeIn | None = None
    valid_until: Moment | None = None
    idempotency_key: str | None = Field(default=None, max_length=200)


class ScopeOut(BaseModel):
    kind: str
    purposes: list[str]
    recipients: list[str]
    cookie_categories: list[str]


class ConsentOut(BaseModel):
    id: str
    act_id: str
    subject_id: str
    operator_id: str
    scope: ScopeOut
    status: str
    channel: str
    evidence_refs: dict[str, str]
    given_by: str
    policy_version: str
    policy_hash: str
    given_at: datetime
    valid_until: datetime | None
    withdrawn_at: datetime | None
    expired_at: datetime | None
    needs_reconsent_since: datetime | None


class ActOut(BaseModel):
    act_id: str
    replayed: bool
    consents: list[ConsentOut]


class WithdrawalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_id: str = Field(max_length=36)
    scope: ScopeKind


class OutcomeOut(BaseModel):
    purpose: str | None
    recipient: str | None
    cookie_category: str | None
    status: str
    reason: str
    citation: str
    until: date | None = Field(description="The last day the purpose's data may be kept "
                                           "(the retention clock the sweep uses).")
    until_citation: str | None
    stop_by: date | None = Field(default=None, description=(
        "Processing on the withdrawn consent stops by this day (Law 94-V Art. 8 p.7)."))
    stop_citation: str | None = None
    stopped_on: date | None = Field(default=None, description=(
        "A contract purpose: the day the last contract with the subject closed."))


class WithdrawalOut(BaseModel):
    withdrawal_id: str
    subject_id: str
    scope: str
    event: str
    consent_ids: list[str]
    outcomes: list[OutcomeOut]
    at: datetime


class SubjectConsentsOut(BaseModel):
    subject_id: str
    operator_id: str
    consents: list[ConsentOut]


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(max_length=100)
    subject_id: str = Field(max_length=36)
    type: str = Field(max_length=30)
    contract_id: str | None = Field(default=None, max_length=100)
    occurred_at: Moment
    data: dict[str, Any] = Field(default_factory=dict)


class ContractOut(BaseModel):
    contract_id: str
    opened_at: datetime | None
    closed_at: datetime | None
    open: bool


class EventOut(BaseModel):
    event_id: str
    subject_id: str
    type: str
    recorded: bool
    contract: ContractOut | None


class EgovRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_id: str = Field(max_length=36)
    scopes: list[ScopeIn] = Field(min_length=1, max_length=6)
    valid_until: Moment | None = None


class EgovRequestOut(BaseModel):
    request_id: str
    subject_id: str
    status: str
    sent_at: datetime


class EgovCallbackOut(BaseModel):
    request_id: str
    status: str
    act: ActOut | None


# ----------------------------------------------------------------- helpers








def _scope(s: ScopeIn) -> Scope:
    return Scope(s.kind, tuple(s.purposes), tuple(s.recipients), tuple(s.cookie_categories))


def consent_out(c: Consent, at: datetime) -> ConsentOut:
    return ConsentOut(
        id=c.id, act_id=c.act_id, subject_id=c.subject_id, operator_id=c.operator_id,
        scope=ScopeOut(kind=c.scope.kind.value, purposes=list(c.scope.purposes),
                       recipients=list(c.scope.recipients),
                       cookie_categories=list(c.scope.cookie_categories)),
        status=c.status_on(at).value, channel=c.channel.value,
        evidence_refs=dict(c.evidence_refs), given_by=c.given_by.value,
        policy_version=c.policy_version, policy_hash=c.policy_hash, given_at=c.given_at,
        valid_until=c.valid_until, withdrawn_at=c.withdrawn_at, expired_at=c.expired_at,
        needs_reconsent_since=c.needs_reconsent_since,
    )


def _act(result: GiveResult, at: datetime) -> ActOut:
    return ActOut(act_id=result.act_id, replayed=result.replayed,
                  consents=[consent_out(c, at) for c in result.consents])


# ------------------------------------------------------------------ routes


@router.post("/v1/consents", status_code=status.HTTP_201_CREATED, response_model=ActOut)
def give(
    body: ConsentIn, caller: Writer, request: Request, response: Response,
    x_request_id: RequestId = None, idempotency_key: IdempotencyKey = None,
) -> ActOut:
    """Record an act of consent; a retry with the same idempotency key returns it (200)."""
    container = _container(request)
    if idempotency_key and body.idempotency_key and idempotency_key != body.idempotency_key:
        raise InputError("the Idempotency-Key header and idempotency_key differ",
                         field="idempotency_key")
    ev = body.evidence
    rep = body.representative
    ctx = caller_context(request, response, caller, x_request_id)
    result = service.give_consent(
        ctx, container.otp,
        ConsentRequest(
            subject_id=body.subject_id, scopes=[_scope(s) for s in body.scopes],
            channel=body.channel,
            evidence=Evidence(ip=ev.ip, user_agent=ev.user_agent,
                              document_number=ev.document_number,
                              otp_reference=ev.otp_reference, otp_code=ev.otp_code,
                              three_ds_reference=ev.three_ds_reference,
                              signature_reference=ev.signature_reference,
                              service_reference=ev.service_reference),
            given_by=body.given_by,
            representative=None if rep is None else Representative(
                rep.full_name, rep.document_type, rep.document_number, rep.relation),
            valid_until=body.valid_until,
            idempotency_key=idempotency_key or body.idempotency_key,
        ),
    )
    if result.replayed:
        response.status_code = status.HTTP_200_OK
    return _act(result, container.clock.now())


@router.post("/v1/consents/withdrawals", response_model=WithdrawalOut)
def withdraw(
    body: WithdrawalIn, caller: Writer, request: Request, response: Response,
    x_request_id: RequestId = None,
) -> WithdrawalOut:
    """Withdraw one scope; the answer says, per purpose, what stops and what continues."""
    ctx = caller_context(request, response, caller, x_request_id)
    result = service.withdraw_consent(ctx, body.subject_id, body.scope)
    return WithdrawalOut(
        withdrawal_id=result.withdrawal_id, subject_id=result.subject_id,
        scope=result.scope.value, event=result.event.value,
        consent_ids=list(result.consent_ids), at=result.at,
        outcomes=[OutcomeOut(purpose=o.purpose, recipient=o.recipient,
                             cookie_category=o.cookie_category, status=o.status.value,
                             reason=o.reason.value, citation=o.citation, until=o.until,
                             until_citation=o.until_citation, stop_by=o.stop_by,
                             stop_citation=o.stop_citation, stopped_on=o.stopped_on)
                  for o in result.outcomes],
    )


@router.get("/v1/subjects/{subject_id}/consents", response_model=SubjectConsentsOut)
def list_consents(subject_id: str, caller: Reader, request: Request) -> SubjectConsentsOut:
    """The subject's consents with their current status."""
    container = _container(request)
    found = service.consents_of(
        container.context(_actor(caller), scope=operator_scope(caller, None)), subject_id)
    return SubjectConsentsOut(subject_id=found.subject_id, operator_id=found.operator_id,
                              consents=[consent_out(c, found.at) for c in found.consents])


@router.get("/v1/subjects/{subject_id}/consents/evidence")
def export(
    subject_id: str, caller: Reader, request: Request, response: Response,
    format: Annotated[Literal["json", "pdf", "html"], Query()] = "json",
    lang: Annotated[Literal["ru", "kk", "en"], Query()] = "ru",
    x_request_id: RequestId = None,
) -> Response:
    """The evidence of every consent of the subject: JSON, or a certificate (PDF/HTML)."""
    container = _container(request)
    ctx = caller_context(request, response, caller, x_request_id)
    data = evidence.export_evidence(ctx, container.ledger_key, subject_id)
    headers = {"X-Request-ID": response.headers["X-Request-ID"]}
    if format == "json":
        import json

        return Response(json.dumps(data, ensure_ascii=False), media_type="application/json",
                        headers=headers)
    media = "application/pdf" if format == "pdf" else "text/html; charset=utf-8"
    return Response(render_certificate(data, lang, format), media_type=media,
                    headers=headers)


@router.post("/v1/events", response_model=EventOut)
def record_event(
    body: EventIn, caller: Writer, request: Request, response: Response,
) -> EventOut:
    """A lifecycle event (contract opened / closed, …); a redelivery changes nothing."""
    container = _container(request)
    result = lifecycle.record_event(
        container.context(_actor(caller), scope=operator_scope(caller, None)),
        body.event_id, body.subject_id, body.type, body.occurred_at, body.contract_id,
        body.data,
    )
    response.status_code = status.HTTP_201_CREATED if result.recorded else status.HTTP_200_OK
    c = result.contract
    return EventOut(
        event_id=result.event.event_id, subject_id=result.event.subject_id,
        type=result.event.type.value, recorded=result.recorded,
        contract=None if c is None else ContractOut(contract_id=c.contract_id,
                                                    opened_at=c.opened_at,
                                                    closed_at=c.closed_at, open=c.is_open),
    )


@router.post("/v1/egov/consent-requests", status_code=status.HTTP_201_CREATED,
             response_model=EgovRequestOut)
def egov_request(
    body: EgovRequestIn, caller: Writer, request: Request, response: Response,
    x_request_id: RequestId = None,
) -> EgovRequestOut:
    """Ask the subject for consent through the eGov service; pending until it calls back."""
    container = _container(request)
    ctx = caller_context(request, response, caller, x_request_id)
    sent = egov_consent.request_consent(ctx, container.egov, body.subject_id,
                                        [_scope(s) for s in body.scopes], body.valid_until)
    return EgovRequestOut(request_id=sent.request_id, subject_id=sent.subject_id,
                          status=sent.status, sent_at=sent.sent_at)


@router.post("/v1/egov/callback", response_model=EgovCallbackOut)
async def egov_callback(
    request: Request,
    x_egov_signature: Annotated[str | None, Header(alias="X-Egov-Signature",
                                                   max_length=200)] = None,
) -> EgovCallbackOut:
    """The eGov service's answer (signed by the service, not an API key)."""
    from starlette.concurrency import run_in_threadpool

    container = _container(request)
    body = await request.body()
    result = await run_in_threadpool(
        egov_consent.handle_callback, container.context("egov"), container.egov, body,
        x_egov_signature,
    )
    at = container.clock.now()
    return EgovCallbackOut(request_id=result.request_id, status=result.status,
                           act=None if result.consents is None else _act(result.consents, at))

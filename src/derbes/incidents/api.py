"""``/v1/incidents``: the register of PD security incidents over HTTP.

An incident record holds no PD in clear (subjects are counted and named by
internal id only), so reading it takes the ``read`` scope and changing it the
``write`` scope. Beyond the scope, who may act is decided per operator
(Order 179/НҚ: access within job duties): a staff person's key acts with that
person's roles (``incidents.read``, ``incidents.manage``), a service's key only
with ``admin``; a key bound to an operator sees only that operator's incidents.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from derbes.access.model import Scope
from derbes.api.auth import Caller, require_scope
from derbes.api.deps import container as container_of
from derbes.api.deps import key_context
from derbes.api.inputs import Moment
from derbes.context import Context
from derbes.incidents import service
from derbes.incidents.model import (
    MAX_TEXT,
    Incident,
    Severity,
    Source,
    State,
    Transition,
    describe_left,
    next_moves,
)
from derbes.incidents.ports import Evidence, Notified, SealedExport
from derbes.incidents.service.evidence import MAX_BYTES, MEDIA_TYPES

__all__ = ["router"]

router = APIRouter(prefix="/v1/incidents", tags=["incidents"])

Names = list[Annotated[str, Field(max_length=100)]]


def _acting(scope: Scope) -> Any:
    checked = Depends(require_scope(scope))

    # The key's scope first (a 401/403 problem), then the person's roles per operator,
    # which the use cases check with ``require`` (a refusal is audited).
    def dependency(request: Request, response: Response, caller: Caller = checked,
                   x_request_id: Annotated[str | None, Header(max_length=200)] = None
                   ) -> Context:
        return key_context(request, response, caller, x_request_id, None)

    dependency.__name__ = f"incidents_{scope.value}"
    return dependency


Reader = Annotated[Context, Depends(_acting(Scope.READ))]
Writer = Annotated[Context, Depends(_acting(Scope.WRITE))]


class IncidentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operator: str = Field(min_length=1, max_length=100)
    detected_at: Moment = Field(description="When it was detected: ISO 8601 with a zone.")
    source: Source = Field(description="How the operator learnt of it.")
    summary: str = Field(min_length=1, max_length=MAX_TEXT, description="What happened.")
    severity: Severity = Severity.MEDIUM
    categories: Names = Field(default_factory=list, max_length=200)
    systems: Names = Field(default_factory=list, max_length=200)
    subject_count: int | None = Field(default=None, ge=0, le=1_000_000_000,
                                      description="Approximate number of subjects.")
    subject_ids: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=10_000,
        description="Internal subject ids (never a subject's value).")
    measures_taken: str = Field(default="", max_length=MAX_TEXT)
    planned_measures: str = Field(default="", max_length=MAX_TEXT)


class ChangesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    summary: str | None = Field(default=None, max_length=MAX_TEXT)
    severity: Severity | None = None
    categories: Names | None = Field(default=None, max_length=200)
    systems: Names | None = Field(default=None, max_length=200)
    subject_count: int | None = Field(default=None, ge=0, le=1_000_000_000)
    subject_ids: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None, max_length=10_000)
    measures_taken: str | None = Field(default=None, max_length=MAX_TEXT)
    planned_measures: str | None = Field(default=None, max_length=MAX_TEXT)


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    move: Transition = Field(description="confirm, dismiss (with a reason), notify, contain, "
                                         "close (with the lessons).")
    reason: str = Field(default="", max_length=MAX_TEXT)
    lessons: str = Field(default="", max_length=MAX_TEXT)


class ClockOut(BaseModel):
    state: str
    due_at: datetime
    left_seconds: int = Field(description="Negative when overdue.")
    left: str
    citation: str


class IncidentOut(BaseModel):
    id: str
    operator_id: str
    state: State
    allowed: list[Transition]
    source: Source
    severity: Severity
    detected_at: datetime
    summary: str
    categories: list[str]
    systems: list[str]
    subject_count: int | None
    measures_taken: str
    planned_measures: str
    lessons: str
    dismiss_reason: str
    trigger: str | None
    notified_at: datetime | None
    contained_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    clock: ClockOut


class EventOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    kind: str
    details: dict[str, Any]


class IncidentDetail(IncidentOut):
    subjects_named: int
    timeline: list[EventOut]


def _out(ctx: Context, i: Incident) -> dict[str, Any]:
    clock = service.notification_clock(ctx, i)
    return {
        "id": i.id, "operator_id": i.operator_id, "state": i.state,
        "allowed": list(next_moves(i)), "source": i.source, "severity": i.severity,
        "detected_at": i.detected_at, "summary": i.summary, "categories": list(i.categories),
        "systems": list(i.systems), "subject_count": i.subject_count,
        "measures_taken": i.measures_taken, "planned_measures": i.planned_measures,
        "lessons": i.lessons, "dismiss_reason": i.dismiss_reason,
        "trigger": i.trigger.value if i.trigger else None, "notified_at": i.notified_at,
        "contained_at": i.contained_at, "closed_at": i.closed_at, "created_at": i.created_at,
        "created_by": i.created_by, "updated_at": i.updated_at,
        "clock": ClockOut(state=clock.state.value, due_at=clock.due_at,
                          left_seconds=int(clock.left.total_seconds()),
                          left=describe_left(clock.left), citation=clock.citation)}


@router.get("", response_model=list[IncidentOut])
def list_incidents(
    ctx: Reader,
    operator: Annotated[str | None, Query(max_length=100)] = None,
    state: Annotated[list[State] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[IncidentOut]:
    """Incidents, the latest detected first, each with its notification clock."""
    found = service.listing(ctx, operator, tuple(state or ()), limit)
    return [IncidentOut(**_out(ctx, i)) for i in found]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=IncidentOut)
def open_incident(body: IncidentIn, ctx: Writer, response: Response) -> IncidentOut:
    """Register an incident; the one-working-day clock runs from its detection."""
    incident = service.open_incident(ctx, service.NewIncident(
        operator_id=body.operator, detected_at=body.detected_at, source=body.source,
        summary=body.summary, severity=body.severity, categories=tuple(body.categories),
        systems=tuple(body.systems), subject_count=body.subject_count,
        subject_ids=tuple(body.subject_ids), measures_taken=body.measures_taken,
        planned_measures=body.planned_measures))
    response.headers["Location"] = f"{router.prefix}/{incident.id}"
    return IncidentOut(**_out(ctx, incident))


@router.get("/{incident_id}", response_model=IncidentDetail)
def show_incident(incident_id: str, ctx: Reader) -> IncidentDetail:
    """One incident: what is known, its clock and its timeline."""
    shown = service.show(ctx, incident_id)
    return IncidentDetail(
        **_out(ctx, shown.incident), subjects_named=len(shown.subject_ids),
        timeline=[EventOut(seq=e.seq, at=e.at, actor=e.actor, kind=e.kind, details=e.details)
                  for e in shown.events])


@router.patch("/{incident_id}", response_model=IncidentOut)
def update_incident(incident_id: str, body: ChangesIn, ctx: Writer) -> IncidentOut:
    """Change what is known of an incident (each change a line of its timeline)."""
    done = service.update(ctx, incident_id, service.Changes(
        summary=body.summary, severity=body.severity,
        categories=None if body.categories is None else tuple(body.categories),
        systems=None if body.systems is None else tuple(body.systems),
        subject_count=body.subject_count,
        subject_ids=None if body.subject_ids is None else tuple(body.subject_ids),
        measures_taken=body.measures_taken, planned_measures=body.planned_measures))
    return IncidentOut(**_out(ctx, done))


@router.post("/{incident_id}/transitions", response_model=IncidentOut)
def move_incident(incident_id: str, body: MoveIn, ctx: Writer) -> IncidentOut:
    """Move the incident: confirm or dismiss (with a reason) a candidate, record that the
    authorised body was notified (Law 94-V Art. 25 p.2 sp.8), contain, close."""
    done = service.move(ctx, incident_id, body.move, reason=body.reason, lessons=body.lessons)
    return IncidentOut(**_out(ctx, done))


@router.get("/{incident_id}/notice", response_class=Response,
            responses={200: {"content": {"application/json": {}, "application/pdf": {},
                                         "text/html": {}}}})
def incident_notice(
    incident_id: str, ctx: Reader,
    format: Annotated[Literal["json", "html", "pdf"], Query()] = "json",
    lang: Annotated[Literal["ru", "kk", "en"], Query()] = "ru",
) -> Response:
    """The notice to the authorised body (Law 94-V Art. 25 p.2 sp.8), in ru, kk or en: a
    fact the record and the register do not hold is written as "not stated"."""
    from derbes.incidents.adapters.notice import MEDIA_TYPES, render_notice

    notice = service.body_notice(ctx, incident_id)
    return Response(render_notice(notice, lang, format), media_type=MEDIA_TYPES[format])


# ------------------------------------------------------------------ affected subjects


class ListOut(BaseModel):
    """A sealed list of affected subjects: what it is, never what it holds."""

    id: str
    incident_id: str
    subjects: int
    created_at: datetime
    created_by: str


class ContactOut(BaseModel):
    subject_id: str
    name: str | None
    iin: str | None
    phone: str | None
    email: str | None
    gone: bool = Field(description="The subject was destroyed: nothing is held.")


class NotifySubjectsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_ids: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None, max_length=10_000,
        description="Subjects named in the incident to notify; default: every one named.")
    channel: Literal["auto", "sms", "email"] = Field(
        default="auto", description="auto: SMS when a mobile number is held, else e-mail.")
    language: Literal["ru", "kk", "en"] = Field(
        default="ru", description="For a subject whose language is not known from a request.")


class NotifiedOut(BaseModel):
    subject_id: str
    language: str
    channel: str | None
    delivery_id: str | None
    outcome: str
    at: datetime
    actor: str


class NotifyOut(BaseModel):
    notified: list[NotifiedOut]
    already: int = Field(description="Subjects notified of this incident before this call.")


def _list_out(export: SealedExport) -> ListOut:
    return ListOut(id=export.id, incident_id=export.incident_id, subjects=export.subjects,
                   created_at=export.created_at, created_by=export.created_by)


@router.post("/{incident_id}/lists", status_code=status.HTTP_201_CREATED,
             response_model=ListOut)
def seal_list(incident_id: str, ctx: Writer, response: Response) -> ListOut:
    """Resolve the named subjects from the vault (name, IIN, mobile, e-mail) and seal the
    list for their notification (Order 481/НҚ); needs ``incidents.export``."""
    export = service.seal_list(ctx, incident_id)
    response.headers["Location"] = f"{router.prefix}/{incident_id}/lists/{export.id}"
    return _list_out(export)


@router.get("/{incident_id}/lists", response_model=list[ListOut])
def sealed_lists(incident_id: str, ctx: Reader) -> list[ListOut]:
    """The lists sealed for an incident (what they hold stays sealed)."""
    return [_list_out(e) for e in service.exports(ctx, incident_id)]


@router.get("/{incident_id}/lists/{export_id}", response_model=list[ContactOut])
def open_list(incident_id: str, export_id: str, ctx: Reader, response: Response
              ) -> list[ContactOut]:
    """Open a sealed list: personal data in clear, for ``incidents.export`` only; each
    opening is kept in the access audit log with the subjects' ids."""
    contacts = service.open_list(ctx, incident_id, export_id)
    response.headers["Cache-Control"] = "no-store"
    return [ContactOut(subject_id=c.subject_id, name=c.name, iin=c.iin, phone=c.phone,
                       email=c.email, gone=c.gone) for c in contacts]


def _notified_out(n: Notified) -> NotifiedOut:
    return NotifiedOut(subject_id=n.subject_id, language=n.language, channel=n.channel,
                       delivery_id=n.delivery_id, outcome=n.outcome, at=n.at, actor=n.actor)


@router.post("/{incident_id}/subject-notifications", response_model=NotifyOut)
def notify_subjects(incident_id: str, body: NotifySubjectsIn, ctx: Writer,
                    request: Request) -> NotifyOut:
    """Notify the affected subjects by SMS or e-mail in their language, once each; every
    delivery is recorded against the incident. Twice: a 409 naming ``subject_ids``."""
    couriers = container_of(request).couriers
    report = service.notify_subjects(
        ctx, couriers, incident_id,
        subject_ids=None if body.subject_ids is None else tuple(body.subject_ids),
        channel=body.channel, default_language=body.language)
    return NotifyOut(notified=[_notified_out(n) for n in report.notified],
                     already=report.already)


@router.get("/{incident_id}/subject-notifications", response_model=list[NotifiedOut])
def subject_notifications(incident_id: str, ctx: Reader) -> list[NotifiedOut]:
    """Who was notified of the incident, how, and how each delivery went."""
    return [_notified_out(n) for n in service.notifications(ctx, incident_id)]


# ------------------------------------------------------------------ evidence


class EvidenceOut(BaseModel):
    """A file attached to an incident: what it is, never what it holds."""

    id: str
    incident_id: str
    name: str = Field(description="A neutral name; the name it was given is sealed with it.")
    media_type: str
    size: int
    sha256: str
    added_at: datetime
    added_by: str


def _evidence_out(e: Evidence) -> EvidenceOut:
    return EvidenceOut(id=e.id, incident_id=e.incident_id, name=e.name,
                       media_type=e.media_type, size=e.size, sha256=e.sha256,
                       added_at=e.added_at, added_by=e.added_by)


@router.post("/{incident_id}/evidence", status_code=status.HTTP_201_CREATED,
             response_model=EvidenceOut,
             openapi_extra={"requestBody": {"required": True, "content": {
                 t: {"schema": {"type": "string", "format": "binary"}} for t in MEDIA_TYPES}}})
async def attach_evidence(
    incident_id: str, request: Request, ctx: Writer, response: Response,
    name: Annotated[str, Query(min_length=1, max_length=300,
                               description="The file's name (sealed with it).")],
    content_type: Annotated[str, Header(max_length=200)] = "",
) -> EvidenceOut:
    """Attach the request body as evidence (sealed: it may hold PD); the body's media type
    is one of the listed ones, at most 20 MiB."""
    media_type = content_type.split(";")[0].strip().lower()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BYTES:
            break
    item = await run_in_threadpool(service.attach, ctx, incident_id, name, media_type,
                                   bytes(body))
    response.headers["Location"] = f"{router.prefix}/{incident_id}/evidence/{item.id}"
    return _evidence_out(item)


@router.get("/{incident_id}/evidence", response_model=list[EvidenceOut])
def list_evidence(incident_id: str, ctx: Reader) -> list[EvidenceOut]:
    """The evidence attached, oldest first."""
    return [_evidence_out(e) for e in service.evidence(ctx, incident_id)]


@router.get("/{incident_id}/evidence/{evidence_id}", response_class=Response,
            responses={200: {"content": {t: {} for t in MEDIA_TYPES}}})
def open_evidence(incident_id: str, evidence_id: str, ctx: Writer) -> Response:
    """One file as attached (``incidents.manage``; each opening audited)."""
    opened = service.open_evidence(ctx, incident_id, evidence_id)
    return Response(opened.content, media_type=opened.evidence.media_type, headers={
        "Content-Disposition": f'attachment; filename="{opened.evidence.name}"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

"""The incident pages: the register, opening one, one incident with its timeline, its
updates and moves, and the notice to the authorised body (Law 94-V Art. 25 p.2 sp.8)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from derbes.console.adapters.incident_texts import FIELD_HINTS
from derbes.console.api.requests import Operator
from derbes.console.api.web import (
    Changer,
    ConsoleRoute,
    Visiting,
    Visitor,
    Where,
    field_hints,
    page,
    redirect,
)
from derbes.console.service import incidents as console
from derbes.errors import InputError
from derbes.incidents import service as incidents
from derbes.incidents.adapters.notice import MEDIA_TYPES, render_notice
from derbes.incidents.model import Severity, Source, Transition
from derbes.platform.i18n import gettext
from derbes.platform.labels import N_

router = APIRouter(prefix="/console", route_class=ConsoleRoute)

IncidentId = Annotated[str, Path(max_length=64, pattern=r"^[0-9a-f]+$")]
Text = Annotated[str, Form(max_length=4000)]
_DONE = {"opened": N_("The incident is registered: the notification clock runs from its "
                      "detection."),
         "updated": N_("The incident is updated."),
         "confirm": N_("The candidate is confirmed as an incident."),
         "dismiss": N_("The candidate is dismissed; the reason is kept."),
         "notify": N_("Recorded: the authorised body was notified."),
         "contain": N_("Recorded: the breach is contained."),
         "close": N_("The incident is closed.")}
_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _hints(visitor: Visitor, errors: console.FormErrors | None) -> dict[str, str]:
    return field_hints(visitor, errors.fields if errors else {}, FIELD_HINTS)


def _register(request: Request, visitor: Visitor, operator: str, *,
              errors: console.FormErrors | None = None, done: str | None = None) -> Response:
    shown = console.incidents_page(visitor.ctx, operator)
    said = _DONE.get(done or "")
    return page(visitor, "incidents.html.j2", gettext(visitor.lang, "Incidents"),
                Where.of(request, operator, "incidents"), page=shown,
                status=422 if errors else 200, form=errors.form if errors else None,
                errors=_hints(visitor, errors), sources=list(Source),
                severities=list(Severity), done=gettext(visitor.lang, said) if said else None)


@router.get("/{operator}/incidents")
def register(request: Request, operator: Operator, visitor: Visiting,
             done: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    return _register(request, visitor, operator, done=done)


class IncidentFields(BaseModel):
    """The open and update forms' fields, as typed (checked by the console's service)."""

    model_config = ConfigDict(extra="ignore")

    detected_at: str = Field(default="", max_length=40)
    source: str = Field(default="", max_length=100)
    severity: str = Field(default="", max_length=100)
    summary: str = Field(default="", max_length=4000)
    categories: str = Field(default="", max_length=4000)
    systems: str = Field(default="", max_length=4000)
    subject_count: str = Field(default="", max_length=20)
    measures_taken: str = Field(default="", max_length=4000)
    planned_measures: str = Field(default="", max_length=4000)

    def form(self) -> console.IncidentForm:
        return console.IncidentForm(**self.model_dump())


Fields = Annotated[IncidentFields, Form()]


@router.post("/{operator}/incidents")
def open_incident(request: Request, operator: Operator, visitor: Changer, fields: Fields
                  ) -> Response:
    """A form with mistakes comes back with each mistake next to its field and what was
    typed kept (nothing is lost); a form without is registered."""
    try:
        made = console.open_from(visitor.ctx, operator, fields.form())
    except console.FormErrors as errors:
        return _register(request, visitor, operator, errors=errors)
    return redirect(f"/console/{operator}/incidents/{made.id}?done=opened")


@dataclass(frozen=True)
class Shown:
    """What the incident page shows beyond the incident: a form's mistakes and text,
    the message of what was just done."""

    errors: console.FormErrors | None = None
    done: str | None = None
    typed: dict[str, str] | None = None


def _one(request: Request, visitor: Visitor, operator: str, incident_id: str,
         extra: Shown) -> Response:
    shown = console.incident_page(visitor.ctx, operator, incident_id)
    errors, typed = extra.errors, extra.typed
    said = _DONE.get(extra.done or "")
    return page(visitor, "incident.html.j2", gettext(visitor.lang, "Incidents"),
                Where.of(request, operator, "incidents"), page=shown,
                status=422 if errors else 200, errors=_hints(visitor, errors),
                form=errors.form if errors else None, severities=list(Severity),
                typed=typed or {}, done=gettext(visitor.lang, said) if said else None)


@router.get("/{operator}/incidents/{incident_id}")
def one(request: Request, operator: Operator, incident_id: IncidentId, visitor: Visiting,
        done: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    return _one(request, visitor, operator, incident_id, Shown(done=done))


@router.post("/{operator}/incidents/{incident_id}/update")
def update(request: Request, operator: Operator, incident_id: IncidentId, visitor: Changer,
           fields: Fields) -> Response:
    try:
        console.change(visitor.ctx, operator, incident_id, fields.form())
    except console.FormErrors as errors:
        return _one(request, visitor, operator, incident_id, Shown(errors=errors))
    return redirect(f"/console/{operator}/incidents/{incident_id}?done=updated")


@router.post("/{operator}/incidents/{incident_id}/move")
def move(request: Request, operator: Operator, incident_id: IncidentId, visitor: Changer,
         transition: Annotated[Transition, Form(alias="move")],
         reason: Text = "", lessons: Text = "",
         measures_taken: Annotated[str | None, Form(max_length=4000)] = None) -> Response:
    """Confirm or dismiss a candidate (with a reason), record the notice as sent, record
    containment, close with the measures and the lessons."""
    try:
        console.move(visitor.ctx, operator, incident_id, transition, reason=reason,
                     lessons=lessons, measures_taken=measures_taken)
    except InputError as exc:
        # What was typed stays in the form, the mistake next to its field.
        typed = {"reason": reason, "lessons": lessons, "measures_taken": measures_taken or "",
                 "move": transition.value}
        return _one(request, visitor, operator, incident_id, Shown(
            errors=console.FormErrors({exc.field or "reason": exc.message}), typed=typed))
    return redirect(f"/console/{operator}/incidents/{incident_id}?done={transition.value}")


@router.get("/{operator}/incidents/{incident_id}/notice")
def notice(operator: Operator, incident_id: IncidentId, visitor: Visiting,
           fmt: Annotated[Literal["pdf", "json"], Query(alias="format")] = "pdf",
           lang: Annotated[Literal["ru", "kk", "en"], Query()] = "ru") -> Response:
    """The notice to the authorised body, to download and send (PDF to read and sign,
    JSON for a portal); it names no subject."""
    console.incident_page(visitor.ctx, operator, incident_id)  # within this operator
    found = incidents.body_notice(visitor.ctx, incident_id)
    return Response(render_notice(found, lang, fmt), media_type=MEDIA_TYPES[fmt], headers={
        **_NO_STORE, "Content-Disposition":
        f'attachment; filename="incident-notice-{incident_id[:8]}-{lang}.{fmt}"'})


__all__ = ["router"]

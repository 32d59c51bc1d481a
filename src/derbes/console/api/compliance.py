"""The compliance page: the responsible person (recorded here, audited), the approved
documents, the persons with access, and the compliance pack as PDF in one click."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from derbes.compliance import service as compliance
from derbes.compliance.adapters.chains import chain_walker
from derbes.compliance.adapters.pack import render_pack
from derbes.compliance.model import NewAppointment
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
from derbes.console.service import compliance as console
from derbes.console.service.deadlines import local_today
from derbes.errors import InputError
from derbes.platform.i18n import gettext
from derbes.platform.labels import N_

router = APIRouter(prefix="/console", route_class=ConsoleRoute)

_DONE = N_("The appointment is recorded.")
_HINTS = {
    "name": N_("Name the person."),
    "position": N_("Give the person's position."),
    "email": N_("Give a work e-mail of the form name@domain, or a phone."),
    "phone": N_("A phone number: digits, with + ( ) - and spaces only."),
    "appointed_on": N_("Give the date of appointment; it cannot be in the future."),
    "document": N_("At most 200 characters."),
}


class AppointmentFields(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(default="", max_length=200)
    position: str = Field(default="", max_length=500)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=40)
    appointed_on: str = Field(default="", max_length=20)
    document: str = Field(default="", max_length=200)


def _page(request: Request, visitor: Visitor, operator: str, *,
          refused: tuple[AppointmentFields, dict[str, str]] | None = None,
          done: bool = False) -> Response:
    """The page; ``refused``: the form as typed and its mistakes by field."""
    typed, errors = refused if refused else (None, {})
    shown = console.compliance_page(visitor.ctx, operator, local_today(visitor.ctx))
    hints = field_hints(visitor, errors, {**FIELD_HINTS, **_HINTS})
    return page(visitor, "compliance.html.j2", gettext(visitor.lang, "Compliance"),
                Where.of(request, operator, "compliance"), status=422 if refused else 200,
                page=shown,
                errors=hints, typed=typed, roles=visitor.ctx.rules.staff.roles,
                done=gettext(visitor.lang, _DONE) if done else None)


@router.get("/{operator}/compliance")
def compliance_page(request: Request, operator: Operator, visitor: Visiting,
                    done: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    return _page(request, visitor, operator, done=done == "appointed")


@router.post("/{operator}/compliance/responsible")
def appoint(request: Request, operator: Operator, visitor: Changer,
            fields: Annotated[AppointmentFields, Form()]) -> Response:
    """Record who is appointed; a mistake comes back next to its field, typed text kept."""
    try:
        day = date.fromisoformat(fields.appointed_on) if fields.appointed_on else None
    except ValueError:
        return _page(request, visitor, operator,
                     refused=(fields, {"appointed_on": "enter a date"}))
    try:
        console.appoint(visitor.ctx, NewAppointment(
            operator, fields.name, fields.position, day, fields.email, fields.phone,
            fields.document))
    except InputError as exc:
        return _page(request, visitor, operator,
                     refused=(fields, {exc.field or "name": exc.message}))
    return redirect(f"/console/{operator}/compliance?done=appointed")


@router.get("/{operator}/compliance/pack")
def pack(operator: Operator, visitor: Visiting,
         since: Annotated[date | Literal[""] | None, Query(alias="from")] = None,
         until: Annotated[date | Literal[""] | None, Query(alias="to")] = None,
         lang: Annotated[Literal["ru", "kk", "en"] | None, Query()] = None) -> Response:
    """The compliance pack as PDF; the audit chains are walked for it."""
    found = compliance.compliance_pack(visitor.ctx, operator, since or None, until or None,
                                       chain_walker(visitor.container))
    chosen = lang or visitor.lang.value
    return Response(render_pack(found, chosen, "pdf"), media_type="application/pdf", headers={
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'attachment; filename="compliance-{operator}-'
                               f'{found.period.since.isoformat()}-'
                               f'{found.period.until.isoformat()}-{chosen}.pdf"'})


__all__ = ["router"]

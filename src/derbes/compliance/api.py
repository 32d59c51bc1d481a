"""``/v1/compliance``: the responsible person's register and the compliance pack over HTTP.

Reading takes the key's ``read`` scope, recording an appointment the ``write`` scope;
beyond the scope a staff person's key acts with that person's roles at the operator
(``compliance.read``, ``compliance.manage``), a service's key only with ``admin``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from derbes.access.model import Scope
from derbes.api.auth import Caller, require_scope
from derbes.api.deps import container as container_of
from derbes.api.deps import key_context
from derbes.api.inputs import Day
from derbes.compliance import service as compliance
from derbes.compliance.model import Appointment
from derbes.context import Context

__all__ = ["router"]

router = APIRouter(prefix="/v1/compliance", tags=["compliance"])
Operator = Annotated[str, Path(max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


def _caller_context(scope: Scope) -> Any:
    checked = Depends(require_scope(scope))

    def dependency(request: Request, response: Response, operator: Operator,
                   caller: Caller = checked,
                   x_request_id: Annotated[str | None, Header(max_length=200)] = None
                   ) -> Context:
        return key_context(request, response, caller, x_request_id, operator)

    dependency.__name__ = f"compliance_{scope.value}"
    return dependency


Reader = Annotated[Context, Depends(_caller_context(Scope.READ))]
Writer = Annotated[Context, Depends(_caller_context(Scope.WRITE))]


class AppointmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    position: str = Field(min_length=1, max_length=500)
    appointed_on: Day = Field(description="The day the person was appointed.")
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    document: str | None = Field(default=None, max_length=200,
                                 description="The order or decision that appointed them.")


class AppointmentOut(BaseModel):
    id: int
    name: str
    position: str
    appointed_on: date
    email: str | None
    phone: str | None
    document: str | None
    recorded_at: datetime
    recorded_by: str


class ResponsibleOut(BaseModel):
    operator: str
    current: AppointmentOut | None = Field(description="None: no appointment recorded.")
    history: list[AppointmentOut]
    in_policy: dict[str, Any] | None = Field(
        description="What the published policy says of the responsible person.")


def _out(a: Appointment) -> AppointmentOut:
    return AppointmentOut(id=a.id, name=a.name, position=a.position,
                          appointed_on=a.appointed_on, email=a.email, phone=a.phone,
                          document=a.document, recorded_at=a.recorded_at,
                          recorded_by=a.recorded_by)


@router.get("/{operator}/responsible", response_model=ResponsibleOut)
def get_responsible(operator: Operator, ctx: Reader) -> ResponsibleOut:
    """The operator's responsible person in force and the earlier appointments."""
    found = compliance.responsible(ctx, operator)
    policy = found.in_policy
    return ResponsibleOut(
        operator=operator, current=_out(found.current) if found.current else None,
        history=[_out(a) for a in found.history],
        in_policy=None if policy is None else {
            "role": policy.role.as_dict(), "name": policy.name, "email": policy.email,
            "phone": policy.phone})


@router.put("/{operator}/responsible", response_model=AppointmentOut)
def put_responsible(operator: Operator, body: AppointmentIn, ctx: Writer) -> AppointmentOut:
    """Record who is appointed (Law 94-V Art. 25 p.2 sp.10); audited."""
    return _out(compliance.appoint(ctx, compliance.NewAppointment(
        operator, body.name, body.position, body.appointed_on, body.email, body.phone,
        body.document)))


@router.get("/{operator}/pack", response_class=Response,
            responses={200: {"content": {"application/pdf": {}, "text/html": {}}}})
def pack(request: Request, operator: Operator, ctx: Reader,
         since: Annotated[Day | None, Query(alias="from")] = None,
         until: Annotated[Day | None, Query(alias="to")] = None,
         lang: Annotated[Literal["ru", "kk", "en"], Query()] = "ru",
         format: Annotated[Literal["pdf", "html"], Query()] = "pdf",
         verify: Annotated[bool, Query()] = True) -> Response:
    """The compliance pack for a period (by default the year to date)."""
    from derbes.compliance.adapters.chains import chain_walker
    from derbes.compliance.adapters.pack import MEDIA_TYPES, render_pack

    walk = chain_walker(container_of(request)) if verify else None
    found = compliance.compliance_pack(ctx, operator, since, until, walk)
    return Response(render_pack(found, lang, format), media_type=MEDIA_TYPES[format],
                    headers={"Cache-Control": "no-store", "Content-Disposition":
                             f'attachment; filename="compliance-{operator}-{lang}.{format}"'})

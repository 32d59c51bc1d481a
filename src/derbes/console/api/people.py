"""People and keys of an operator: the list of persons with access, grants, revocations,
API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from derbes.access.model import Scope
from derbes.console import service as console
from derbes.console.api.requests import Operator
from derbes.console.api.web import (
    Changer,
    ConsoleRoute,
    Visiting,
    Visitor,
    Where,
    page,
    redirect,
)
from derbes.platform.i18n import gettext
from derbes.platform.labels import N_

router = APIRouter(prefix="/console", route_class=ConsoleRoute)

_DONE = {"granted": N_("The role is granted."),
         "revoked": N_("The role is revoked; the person's sessions and API keys have ended."),
         "key_revoked": N_("The key is revoked.")}


def _page(request: Request, visitor: Visitor, operator: str, *, done: str | None = None,
          created: str | None = None, status: int = 200) -> Response:
    shown = console.people_page(visitor.ctx, operator)
    said = _DONE.get(done or "")
    return page(visitor, "people.html.j2", gettext(visitor.lang, "People and keys"),
                Where.of(request, operator, "people"), status=status,
                page=shown, scopes=[s.value for s in Scope], created=created,
                done=gettext(visitor.lang, said) if said else None)


@router.get("/{operator}/people")
def people(request: Request, operator: Operator, visitor: Visiting,
           done: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    return _page(request, visitor, operator, done=done)


@router.post("/{operator}/people/grant")
def grant(operator: Operator, visitor: Changer,
          person: Annotated[str, Form(max_length=100)],
          role: Annotated[str, Form(max_length=50)]) -> Response:
    console.grant(visitor.ctx, operator, person, role)
    return redirect(f"/console/{operator}/people?done=granted")


@router.post("/{operator}/people/revoke")
def revoke(operator: Operator, visitor: Changer,
           person: Annotated[str, Form(max_length=100)],
           role: Annotated[str | None, Form(max_length=50)] = None) -> Response:
    console.revoke(visitor.ctx, operator, person, role)
    return redirect(f"/console/{operator}/people?done=revoked")


@router.post("/{operator}/keys")
def create_key(request: Request, operator: Operator, visitor: Changer,
               name: Annotated[str, Form(max_length=200)],
               expires: Annotated[str, Form(max_length=40)],
               scopes: Annotated[list[str] | None, Form()] = None) -> Response:
    """A key bound to this operator; its token is shown on this answer only (never in a
    URL, never again)."""
    made = console.create_key(visitor.ctx, operator, name, scopes or [], expires)
    return _page(request, visitor, operator, created=made.token, status=201)


@router.post("/{operator}/keys/{key_id}/revoke")
def revoke_key(operator: Operator, visitor: Changer,
               key_id: Annotated[str, Path(max_length=64, pattern=r"^[0-9a-f]+$")]
               ) -> Response:
    console.revoke_key(visitor.ctx, operator, key_id)
    return redirect(f"/console/{operator}/people?done=key_revoked")


__all__ = ["router"]

"""Staff over HTTP: sign in and out, who am I, roles, revocation, the list of persons with access.

A staff person signs in at ``POST /staff/session`` and gets a session cookie
(``__Host-derbes-session``: HttpOnly, Secure, SameSite=Strict, path /) and a
CSRF token. Every state-changing call that rides on the cookie must send the
token back, in ``X-CSRF-Token`` or (a form posted by a page without JavaScript)
in the form field ``csrf_token``. API keys keep working here: a key of a person
acts with that person's roles, a service's key with its ``admin`` scope.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, Field

from derbes.api.auth import api_key_token, authenticated
from derbes.api.deps import container as container_of
from derbes.api.deps import echo_request_id
from derbes.bootstrap import Container
from derbes.context import Context
from derbes.platform.labels import Lang
from derbes.staff import service
from derbes.staff.model.roles import Grant, Principal

router = APIRouter(prefix="/staff", tags=["staff"])

COOKIE = "__Host-derbes-session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


class SignInBody(BaseModel):
    login: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)
    totp: str | None = Field(default=None, max_length=20)


class Me(BaseModel):
    person_id: str
    login: str
    name: str
    actor: str
    roles: dict[str, list[str]]
    session_id: str | None = None
    signed_in_at: datetime | None = None


class SignedInOut(Me):
    csrf_token: str


def _roles(principal: Principal) -> dict[str, list[str]]:
    return {op: sorted(held) for op, held in sorted((principal.roles or {}).items())}


async def csrf_given(request: Request,
                     x_csrf_token: Annotated[str | None, Header()] = None) -> str | None:
    """The CSRF token a call carries: the header, else the ``csrf_token`` field of a posted
    form (the console's pages work without JavaScript, so a form cannot set a header)."""
    if x_csrf_token or request.method in _SAFE:
        return x_csrf_token
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in _FORMS:
        return None
    # Starlette keeps the parsed form on the request: the route's Form() fields read it too.
    found = (await request.form()).get(CSRF_FIELD)
    return found if isinstance(found, str) else None


def acting(request: Request, response: Response,
           token: Annotated[str | None, Depends(api_key_token)],
           csrf: Annotated[str | None, Depends(csrf_given)],
           x_request_id: Annotated[str | None, Header()] = None) -> Context:
    """The context of whoever calls: a signed-in session (its CSRF token checked on any
    call that changes state), else an API key."""
    container = container_of(request)
    rid = echo_request_id(x_request_id, response)
    cookie = request.cookies.get(COOKIE)
    if cookie and not token:
        ctx = container.context("staff:session", rid)
        current = service.who(ctx, cookie)
        ctx = ctx.as_principal(current.principal)
        if request.method not in _SAFE and not service.csrf_matches(cookie, csrf):
            service.refuse_csrf(ctx)
        return ctx
    caller = authenticated(request, token)
    principal = service.principal_of_key(container.uow(), caller)
    return container.context(principal.actor, rid).as_principal(principal)


Acting = Annotated[Context, Depends(acting)]


def set_session_cookie(response: Response, token: str, container: Container) -> None:
    """The session cookie: HttpOnly, Secure, SameSite=Strict, for the whole site, living
    no longer than the session's absolute timeout (``data/staff.yaml``)."""
    rules = container.rules.staff.policy.sessions
    response.set_cookie(COOKIE, token, max_age=int(rules.absolute.total_seconds()),
                        path="/", secure=True, httponly=True, samesite="strict")
    response.headers["Cache-Control"] = "no-store"


def end_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="strict")


@router.post("/session", status_code=201, response_model=SignedInOut)
def sign_in(body: SignInBody, request: Request, response: Response,
            x_request_id: Annotated[str | None, Header()] = None) -> SignedInOut:
    """Sign in with login, password and (for the roles that need it) a TOTP code."""
    container = container_of(request)
    ctx = container.context("staff:signin", echo_request_id(x_request_id, response))
    done = service.sign_in(ctx, container.password_hasher, body.login, body.password, body.totp)
    set_session_cookie(response, done.token, container)
    return SignedInOut(person_id=done.person.id, login=done.person.login, name=done.person.name,
                       actor=done.person.actor, roles=_roles(done.principal),
                       session_id=done.session.id, signed_in_at=done.session.created_at,
                       csrf_token=done.csrf)


@router.get("/session", response_model=Me)
def who_am_i(request: Request, response: Response,
             x_request_id: Annotated[str | None, Header()] = None) -> Me:
    """The signed-in person and their roles per operator."""
    container = container_of(request)
    ctx = container.context("staff:session", echo_request_id(x_request_id, response))
    current = service.who(ctx, request.cookies.get(COOKIE))
    return Me(person_id=current.person.id, login=current.person.login,
              name=current.person.name, actor=current.person.actor,
              roles=_roles(current.principal), session_id=current.session.id,
              signed_in_at=current.session.created_at)


@router.delete("/session", status_code=204)
def sign_out(ctx: Acting, request: Request, response: Response) -> Response:
    """End this session (the CSRF token is required, as for every change)."""
    service.sign_out(ctx, request.cookies.get(COOKIE))
    done = Response(status_code=204)
    end_session_cookie(done)
    return done


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    PDF = "pdf"


_MEDIA = {ExportFormat.CSV: "text/csv; charset=utf-8", ExportFormat.PDF: "application/pdf"}


@router.get("/operators/{operator_id}/access", response_model=list[service.AccessRow])
def access_list(operator_id: str, ctx: Acting, history: bool = False,
                fmt: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.JSON,
                lang: Annotated[Lang, Query()] = Lang.RU) -> object:
    """The persons with access to the operator's PD, their roles, since when, granted by
    whom (Order 179/НҚ); ``format=csv`` or ``pdf`` for the export."""
    rows = service.access_list(ctx, operator_id, history=history)
    if fmt is ExportFormat.JSON:
        return rows
    from derbes.staff.adapters.access_list import render_access_list

    data = render_access_list(operator_id, rows, ctx.rules.staff.roles, lang, ctx.now(),
                              fmt.value)
    filename = f"access-{operator_id}.{fmt.value}"
    return Response(data, media_type=_MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


class GrantBody(BaseModel):
    person: str = Field(min_length=1, max_length=100, description="Id or login.")
    role: str = Field(min_length=1, max_length=50)


@router.post("/operators/{operator_id}/grants", status_code=201, response_model=Grant)
def grant(operator_id: str, body: GrantBody, ctx: Acting) -> Grant:
    """Give a person a role at this operator (needs ``staff.manage`` here)."""
    return service.grant(ctx, body.person, operator_id, body.role)


class RevokeBody(BaseModel):
    operator: str | None = Field(default=None, max_length=100)
    role: str | None = Field(default=None, max_length=50)


class RevokedOut(BaseModel):
    person_id: str
    grants_ended: int
    sessions_ended: int
    api_keys_revoked: int
    disabled: bool


@router.post("/people/{person}/revoke", response_model=RevokedOut)
def revoke(person: str, body: RevokeBody, ctx: Acting) -> RevokedOut:
    """End roles of a person, and at once all their sessions and API keys."""
    done = service.revoke(ctx, person, body.operator, body.role)
    return RevokedOut(person_id=done.person.id, grants_ended=len(done.grants),
                      sessions_ended=done.sessions, api_keys_revoked=len(done.keys),
                      disabled=done.disabled)


__all__ = ["COOKIE", "CSRF_FIELD", "CSRF_HEADER", "acting", "csrf_given", "end_session_cookie",
           "router", "set_session_cookie"]

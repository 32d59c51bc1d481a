"""Signing in and out of the console, the language switch, and the console's front door."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from derbes import errors
from derbes.api.deps import container as container_of
from derbes.console import service as console
from derbes.console.api.web import (
    Changer,
    ConsoleRoute,
    Visiting,
    Where,
    page,
    public_page,
    redirect,
)
from derbes.console.model.pages import pick_language, safe_next
from derbes.platform.i18n import format_date, gettext
from derbes.platform.labels import N_, Lang
from derbes.staff import service as staff
from derbes.staff.api import COOKIE, end_session_cookie, set_session_cookie

router = APIRouter(prefix="/console", route_class=ConsoleRoute)

_WRONG = N_("Wrong login, password or one-time code. Check them and try again; after several "
            "failed attempts the account is locked for a while.")
_LOCKED = N_("Too many failed sign-ins: the account is locked until %(time)s UTC. Ask the "
             "security officer if it was not you.")
_SIGNED_OUT = N_("You have signed out.")
_ENDED = N_("Your session has ended: sign in again.")


@router.get("/sign-in")
def sign_in_form(request: Request,
                 next_: Annotated[str | None, Query(alias="next", max_length=300)] = None,
                 lang: Annotated[str | None, Query(max_length=5)] = None,
                 done: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    reader = pick_language(lang, request.headers.get("accept-language"))
    info = {"out": _SIGNED_OUT, "ended": _ENDED}.get(done or "")
    return public_page(reader, "sign_in.html.j2", gettext(reader, "Sign in"), problem=None,
                       info=gettext(reader, info) if info else None, login="",
                       next=safe_next(next_), oidc=_provider(request))


@router.post("/sign-in")
def sign_in(request: Request, login: Annotated[str, Form(max_length=200)],
            password: Annotated[str, Form(max_length=1024)],
            totp: Annotated[str | None, Form(max_length=20)] = None,
            next_: Annotated[str | None, Form(alias="next", max_length=300)] = None,
            lang: Annotated[str | None, Form(max_length=5)] = None) -> Response:
    """Check the login, password and one-time code (the staff slice audits each try)."""
    container = container_of(request)
    ctx = container.context("staff:signin", str(uuid.uuid4()))
    reader = pick_language(lang, request.headers.get("accept-language"))
    try:
        done = staff.sign_in(ctx, container.password_hasher, login, password, totp or None)
    except errors.RateLimitedError as exc:
        until = exc.until.strftime("%H:%M") if exc.until else "—"
        when = f"{format_date(exc.until.date(), reader)}, {until}" if exc.until else until
        return _refused(request, reader, login, next_,
                        gettext(reader, _LOCKED) % {"time": when}, 429)
    except errors.UnauthenticatedError:
        return _refused(request, reader, login, next_, gettext(reader, _WRONG), 401)
    target = safe_next(next_)
    if target == "/console" and done.person.language is None and lang:
        staff.set_language(ctx, done.person.id, reader.value)
    answer = redirect(target)
    set_session_cookie(answer, done.token, container)
    return answer


def _provider(request: Request) -> str | None:
    """The name on the "Sign in with …" link (None: no identity provider configured)."""
    setup = container_of(request).oidc
    return None if setup is None else setup.provider.name


def _refused(request: Request, lang: Lang, login: str, next_: str | None, message: str,
             status: int) -> Response:
    return public_page(lang, "sign_in.html.j2", gettext(lang, "Sign in"), status=status,
                       problem=message, info=None, login=login[:200], next=safe_next(next_),
                       oidc=_provider(request))


@router.post("/sign-out")
def sign_out(visitor: Changer) -> Response:
    staff.sign_out(visitor.ctx, visitor.token)
    answer = redirect(f"/console/sign-in?done=out&lang={visitor.lang.value}")
    end_session_cookie(answer)
    return answer


@router.post("/language")
def choose_language(visitor: Changer, lang: Annotated[str, Form(max_length=5)],
                    next_: Annotated[str | None, Form(alias="next", max_length=300)] = None
                    ) -> Response:
    """Remember the language for this person (every later sign-in opens in it)."""
    staff.set_language(visitor.ctx, visitor.person.id, lang)
    return redirect(safe_next(next_))


@router.get("")
def front_door(request: Request, visitor: Visiting,
               operator: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    """The operator's Today page; with several operators, the one chosen (or a choice)."""
    mine = console.operators_of(visitor.ctx)
    if operator in mine:
        return redirect(f"/console/{operator}/today")
    if len(mine) == 1:
        return redirect(f"/console/{mine[0]}/today")
    lang = visitor.lang
    message = (N_("Choose the operator to work on.") if mine else
               N_("You hold no role at any operator yet: ask the administrator."))
    return page(visitor, "message.html.j2", "derbes", Where.of(request),
                tone="ok" if mine else "warn", message=gettext(lang, message), detail=None,
                choices=mine, back="/console")


__all__ = ["COOKIE", "router"]

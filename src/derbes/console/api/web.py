"""What every console page shares: who visits, the language, CSRF on forms, rendering,
and errors shown as pages.

A console route raises the one error tree like any other entry point; the route class
here turns the error into a page in the reader's language with the status the API
would give (a missing or ended session becomes a way back to the sign-in page).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from derbes import errors
from derbes.api.deps import container as container_of
from derbes.api.pages import PAGE_HEADERS, PageRoute
from derbes.api.problems import status_for
from derbes.bootstrap import Container
from derbes.console import service as console
from derbes.console.adapters.pages import render_page
from derbes.console.model.pages import FIELD_HINTS, Page, pick_language, safe_next, visible_pages
from derbes.context import Context
from derbes.platform.i18n import gettext
from derbes.platform.labels import N_, Lang
from derbes.platform.text import bad_text
from derbes.platform.text import problem as text_problem
from derbes.staff import service as staff
from derbes.staff.api import COOKIE, csrf_given
from derbes.staff.model.people import Person

__all__ = ["Changer", "ConsoleRoute", "Visiting", "Visitor", "Where", "field_hints", "page",
           "public_page", "redirect"]

_CHECK = N_("Check what you entered")
_TITLES = {
    400: _CHECK, 401: N_("Sign in first"),
    403: N_("Not allowed"), 404: N_("Not found"), 409: N_("This cannot be done now"),
    422: _CHECK, 429: N_("Too many attempts"),
}
_EXPLAINED = {
    403: N_("Your roles do not allow this at this operator. The attempt was recorded."),
    404: N_("There is nothing here, or it belongs to an operator you hold no role at."),
    409: N_("The request or the person is not in a state that allows this."),
    429: N_("Too many attempts: wait a while and try again."),
}


_NOT_DONE = N_("The action was not done.")
_WENT_WRONG = N_("Something went wrong")


@dataclass(frozen=True)
class Visitor:
    """The signed-in person on this visit: their context, language and CSRF token."""

    ctx: Context
    person: Person
    lang: Lang
    csrf: str
    container: Container
    token: str

    def chrome(self, operator: str | None, current: str, here: str) -> dict[str, Any]:
        """What the frame of every page needs: navigation, operators, language, sign-out."""
        pages: list[Page] = []
        if operator is not None:
            pages = visible_pages(console.held(self.ctx, operator))
        return {"me": self.person.name, "operator": operator, "operators":
                console.operators_of(self.ctx), "pages": pages, "current": current,
                "csrf": self.csrf, "here": here}


def _lang_of(request: Request) -> Lang:
    chosen = getattr(request.state, "console_lang", None)
    if isinstance(chosen, Lang):
        return chosen
    return pick_language(request.query_params.get("lang"),
                         request.headers.get("accept-language"))


def visitor(request: Request) -> Visitor:
    """The person of the session cookie; no valid session: back to the sign-in page."""
    container = container_of(request)
    token = request.cookies.get(COOKIE) or ""
    ctx = container.context("staff:session", str(uuid.uuid4()))
    current = staff.who(ctx, token)
    lang = pick_language(current.person.language, request.headers.get("accept-language"))
    request.state.console_lang = lang
    return Visitor(ctx.as_principal(current.principal), current.person, lang,
                   staff.csrf_token(token), container, token)


Visiting = Annotated[Visitor, Depends(visitor)]


async def changer(request: Request, visitor: Visiting,
                  csrf: Annotated[str | None, Depends(csrf_given)]) -> Visitor:
    """The visitor of a form that changes something: its CSRF token must match the
    session's (refused, and recorded, otherwise), and no field may carry NUL or an
    unpaired surrogate (no text: it cannot be stored, PostgreSQL refuses NUL), as the
    API refuses them in a JSON body."""
    if not staff.csrf_matches(visitor.token, csrf):
        staff.refuse_csrf(visitor.ctx)
    if "form" in request.headers.get("content-type", ""):
        for name, value in (await request.form()).multi_items():
            if isinstance(value, str) and bad_text(value):
                raise text_problem(name)
    return visitor


Changer = Annotated[Visitor, Depends(changer)]


@dataclass(frozen=True)
class Where:
    """Where a page stands: the operator it shows, its navigation key, its path."""

    operator: str | None = None
    current: str = ""
    path: str = "/console"

    @classmethod
    def of(cls, request: Request, operator: str | None = None, current: str = "") -> Where:
        return cls(operator, current, request.url.path)


def page(visitor: Visitor, template: str, title: str, where: Where, *, status: int = 200,
         **values: Any) -> HTMLResponse:
    """A page of the console for a signed-in visitor."""
    body = render_page(template, visitor.lang, title=title,
                       **visitor.chrome(where.operator, where.current, where.path), **values)
    return HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)


def public_page(lang: Lang, template: str, title: str, *, status: int = 200,
                **values: Any) -> HTMLResponse:
    """A page shown before signing in (no navigation, languages as links)."""
    body = render_page(template, lang, title=title, me=None, operator=None, operators=[],
                       pages=[], current="", csrf="", here="/console", **values)
    return HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)


def redirect(path: str) -> RedirectResponse:
    """After a form: see the result with a GET (the browser's back button posts nothing)."""
    return RedirectResponse(path, status_code=303, headers={"Cache-Control": "no-store"})


def field_hints(visitor: Visitor, refused: Mapping[str, str],
                hints: Mapping[str, str]) -> dict[str, str]:
    """What a form page says next to each refused field: its hint in the reader's language
    and, on the English page only, the service's own message (as every console error)."""
    return {name: gettext(visitor.lang, hints.get(name) or _CHECK)
            + (f" ({message})" if visitor.lang is Lang.EN else "")
            for name, message in refused.items()}


def error_page(request: Request, exc: errors.DerbesError) -> HTMLResponse:
    lang = _lang_of(request)
    status = status_for(exc)
    hint = FIELD_HINTS.get(exc.field or "")
    message = gettext(lang, hint or _EXPLAINED.get(status, _NOT_DONE))
    title = gettext(lang, _TITLES.get(status, _WENT_WRONG))
    # The service's own words are English; they go on the English page only.
    detail = exc.message if lang is Lang.EN and status < 500 else None
    return public_page(lang, "message.html.j2", title, status=status, tone="error",
                       message=message, detail=detail, choices=[], back="/console")


def _to_sign_in(request: Request) -> Response:
    """Back to the sign-in page; one that came with a session cookie is told that its
    session ended (timed out, signed out elsewhere, or the person's access revoked)."""
    target = safe_next(request.url.path) if request.method == "GET" else "/console"
    ended = "done=ended&" if request.cookies.get(COOKIE) else ""
    return redirect(f"/console/sign-in?{ended}next={quote(target, safe='/')}")


class ConsoleRoute(PageRoute):
    """A console route: errors become pages, a missing session the sign-in page."""

    def error_page(self, request: Request, exc: errors.DerbesError) -> Response:
        return error_page(request, exc)

    def unauthenticated(self, request: Request, exc: errors.UnauthenticatedError) -> Response:
        return _to_sign_in(request)

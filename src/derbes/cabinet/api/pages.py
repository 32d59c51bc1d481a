"""The cabinet's pages: every core action is a plain form (no JavaScript needed).

The session cookie is ``__Host-derbes-my`` (HttpOnly, Secure, SameSite=Strict, path /);
changes carry the session's CSRF token in a form field. Nothing personal goes in a
URL: the phone and the code are posted, pages are named by opaque ids. An error is a
page in the subject's language with the status the API would give; a missing or
ended session leads back to the sign-in page.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from derbes import errors
from derbes.api.deps import container as container_of
from derbes.api.pages import FRAMED_DOCUMENT_POLICY, PAGE_HEADERS, PageRoute
from derbes.api.problems import status_for
from derbes.banner.service import choices
from derbes.bootstrap import Container
from derbes.cabinet.adapters.pages import render_page
from derbes.cabinet.service import cite, mine, signin
from derbes.console.model.pages import pick_language
from derbes.datasets.adapters.directory import stores_from_dir
from derbes.platform.i18n import gettext
from derbes.platform.labels import N_, Lang
from derbes.requests import service as requests
from derbes.requests.adapters.letters import MEDIA_TYPES, render_letter

__all__ = ["COOKIE", "router"]

COOKIE = "__Host-derbes-my"
VISITOR_COOKIE = "derbes_vid"  # the cookie banner's pseudonymous visitor id (banner.js)
LANG_COOKIE = "__Host-derbes-my-lang"
_HINTS = {
    "phone": N_("Enter your mobile phone number, for example +7 701 234 56 78."),
    "code": N_("The code is wrong or has expired. Check it, or ask for a new code."),
    "email": N_("Enter your e-mail address (with the @ sign)."),
    "link": N_("This link is wrong, has been used or has expired. Ask for a new one."),
    "otp": N_("Too many codes were sent: wait a while before asking for a new one."),
    "document": N_("Attach a PDF, JPEG or PNG file of at most 5 MB."),
    "category": N_("Choose what is to be corrected."),
    "value": N_("Enter the correct value."),
    "type": N_("This operator does not take this kind of request in the cabinet. A "
               "complaint goes to the authorised body or a court; a consent is withdrawn "
               "on the consents page."),
    "consent": N_("There is no such consent of yours in force."),
    "request": N_("There is no such request of yours."),
    "csrf_token": N_("This form is out of date: open the page again and repeat."),
}
_TITLES = {401: N_("Sign in first"), 404: N_("Not found"), 429: N_("Too many attempts")}
_LOCKED = N_("Too many wrong codes: signing in is locked for a while. Try again later.")

def _lang(request: Request, chosen: str | None = None) -> Lang:
    return pick_language(chosen or request.query_params.get("lang")
                         or request.cookies.get(LANG_COOKIE),
                         request.headers.get("accept-language"))


def _page(request: Request, template: str, title: str, *, status: int = 200,
          **values: Any) -> HTMLResponse:
    lang = _lang(request)
    operator = request.path_params.get("operator", "")
    body = render_page(template, lang, title=gettext(lang, title), operator=operator,
                       here=request.url.path, **values)
    answer = HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)
    _remember_lang(request, answer)
    return answer


def _remember_lang(request: Request, answer: Response) -> None:
    """A language chosen with ``?lang=`` is kept in a cookie (not PD) for the next pages."""
    chosen = request.query_params.get("lang")
    if chosen in ("ru", "kk", "en"):
        answer.set_cookie(LANG_COOKIE, chosen, path="/", secure=True, httponly=True,
                          samesite="strict", max_age=365 * 24 * 3600)


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303, headers={"Cache-Control": "no-store"})


def _error(request: Request, exc: errors.DerbesError) -> Response:
    status = status_for(exc)
    if isinstance(exc, errors.UnauthenticatedError):
        return _redirect(f"/my/{request.path_params.get('operator', '')}/sign-in")
    lang = _lang(request)
    hint = _HINTS.get(exc.field or "")
    if isinstance(exc, errors.RateLimitedError) and exc.field != "otp":
        hint = _LOCKED
    message = gettext(lang, hint) if hint else gettext(lang, "The action was not done.")
    return _page(request, "message.html.j2", _TITLES.get(status, N_("Check what you entered")),
                 status=status, message=message, signed_in=False)


class CabinetRoute(PageRoute):
    """A cabinet route: errors become pages, a missing session the sign-in page."""

    def error_page(self, request: Request, exc: errors.DerbesError) -> Response:
        return _error(request, exc)


router = APIRouter(prefix="/my/{operator}", include_in_schema=False, route_class=CabinetRoute)


def _ctx_of(request: Request) -> tuple[Container, Any]:
    container = container_of(request)
    return container, container.context("cabinet:visitor", str(uuid.uuid4()))


def _visit(request: Request, operator: str) -> signin.Visit:
    _, ctx = _ctx_of(request)
    return signin.who(ctx, request.cookies.get(COOKIE), operator)


def _changing(request: Request, operator: str, csrf: str | None) -> signin.Visit:
    visit = _visit(request, operator)
    if not signin.csrf_matches(request.cookies.get(COOKIE) or "", csrf):
        raise errors.AuthError("the CSRF token is missing or wrong", field="csrf_token")
    return visit


def _set_cookie(answer: Response, token: str, container: Container) -> None:
    life = container.rules.cabinet.sessions.absolute
    answer.set_cookie(COOKIE, token, max_age=int(life.total_seconds()), path="/",
                      secure=True, httponly=True, samesite="strict")


def _chrome(request: Request, visit: signin.Visit) -> dict[str, Any]:
    return {"signed_in": True, "csrf": signin.csrf_token(request.cookies.get(COOKIE) or "")}


def _purpose_names(request: Request, visit: signin.Visit) -> Callable[[str | None], str]:
    purposes, lang = mine.register_of(visit).purposes, _lang(request)

    def name(purpose: str | None) -> str:
        found = purposes.get(purpose or "")
        return found.labels.get(lang) if found is not None else (purpose or "—")

    return name


@router.get("")
def front_door(request: Request, operator: str) -> Response:
    return _redirect(f"/my/{operator}/data")


@router.get("/sign-in")
def sign_in_form(request: Request, operator: str) -> Response:
    return _page(request, "sign_in.html.j2", N_("Sign in to your cabinet"), signed_in=False)


@router.post("/sign-in")
def sign_in(request: Request, operator: str, phone: Annotated[str, Form(max_length=40)]
            ) -> Response:
    """The phone typed: the same answer whether or not it is known (a code goes only to a
    known subject)."""
    container, ctx = _ctx_of(request)
    opened = signin.start(ctx, container.otp, container.couriers, operator, phone,
                          _lang(request).value)
    answer = _redirect(f"/my/{operator}/code")
    _set_cookie(answer, opened.token, container)
    _remember_lang(request, answer)
    return answer


@router.get("/code")
def code_form(request: Request, operator: str) -> Response:
    return _page(request, "code.html.j2", N_("Enter the code"), signed_in=False,
                 csrf=signin.csrf_token(request.cookies.get(COOKIE) or ""))


@router.post("/code")
def code(request: Request, operator: str, code: Annotated[str, Form(max_length=20)],
         csrf_token: Annotated[str, Form(max_length=100)]) -> Response:
    container, ctx = _ctx_of(request)
    token = request.cookies.get(COOKIE) or ""
    if not signin.csrf_matches(token, csrf_token):
        raise errors.AuthError("the CSRF token is missing or wrong", field="csrf_token")
    try:
        opened = signin.confirm(ctx, container.otp, token, operator, code)
    except errors.UnauthenticatedError:
        raise errors.InputError("no code is awaited: sign in again", field="code") from None
    _link_banner(request, ctx, operator, opened)
    answer = _redirect(f"/my/{operator}/data")
    _set_cookie(answer, opened.token, container)
    return answer


def _public_base(container: Container) -> str:
    settings = container.settings
    return settings.public_url or f"http://{settings.api_host}:{settings.api_port}"


@router.post("/sign-in/email")
def sign_in_email(request: Request, operator: str,
                  email: Annotated[str, Form(max_length=254)]) -> Response:
    """The e-mail typed: the same answer whether or not it is known (a link goes only to
    a known subject)."""
    container, ctx = _ctx_of(request)
    signin.send_link(ctx, container.otp, container.couriers, operator, email,
                     (_lang(request).value, _public_base(container)))
    answer = _redirect(f"/my/{operator}/link-sent")
    _remember_lang(request, answer)
    return answer


@router.get("/link-sent")
def link_sent(request: Request, operator: str) -> Response:
    return _page(request, "link_sent.html.j2", N_("Check your e-mail"), signed_in=False)


@router.get("/link/{token}")
def link_form(request: Request, operator: str, token: str) -> Response:
    """The link opened: a button signs in (a mail scanner's visit spends nothing)."""
    return _page(request, "link.html.j2", N_("Sign in to your cabinet"), signed_in=False,
                 token=token)


@router.post("/link")
def link(request: Request, operator: str, token: Annotated[str, Form(max_length=200)]
         ) -> Response:
    container, ctx = _ctx_of(request)
    opened = signin.follow_link(ctx, container.otp, operator, token)
    _link_banner(request, ctx, operator, opened)
    answer = _redirect(f"/my/{operator}/data")
    _set_cookie(answer, opened.token, container)
    return answer


def _link_banner(request: Request, ctx: Any, operator: str, opened: signin.Opened) -> None:
    """The cookie banner's visitor on this site is this subject now: their answers become
    the subject's evidence (an entry of the consent ledger, audited)."""
    subject_id = opened.session.subject_id
    if subject_id is not None:
        choices.link_visitor(ctx.acting(f"subject:{subject_id}", ctx.request_id), operator,
                             request.cookies.get(VISITOR_COOKIE), subject_id,
                             opened.session.id)


@router.post("/sign-out")
def sign_out(request: Request, operator: str,
             csrf_token: Annotated[str, Form(max_length=100)]) -> Response:
    signin.sign_out(_changing(request, operator, csrf_token))
    answer = _redirect(f"/my/{operator}/sign-in")
    answer.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return answer


@router.get("/data")
def my_data(request: Request, operator: str) -> Response:
    visit = _visit(request, operator)
    found = mine.my_requests(visit)
    return _page(request, "data.html.j2", N_("What the operator holds about you"),
                 latest=mine.latest_access(found), **_chrome(request, visit))


@router.get("/consents")
def my_consents(request: Request, operator: str) -> Response:
    visit = _visit(request, operator)
    given, at = mine.my_consents(visit)
    return _page(request, "consents.html.j2", N_("Your consents"), consents=given, at=at,
                 register=mine.register_of(visit), **_chrome(request, visit))


@router.get("/consents/{consent_id}/withdraw")
def withdraw_preview(request: Request, operator: str, consent_id: str) -> Response:
    visit = _visit(request, operator)
    answer = mine.withdrawal_answer(visit, consent_id)
    return _page(request, "withdraw.html.j2", N_("Withdraw a consent"), answer=answer,
                 done=False, purpose_name=_purpose_names(request, visit),
                 cite=cite.citations(visit, _lang(request).value),
                 **_chrome(request, visit))


@router.post("/consents/{consent_id}/withdraw")
def withdraw(request: Request, operator: str, consent_id: str,
             csrf_token: Annotated[str, Form(max_length=100)]) -> Response:
    visit = _changing(request, operator, csrf_token)
    answer = mine.withdraw(visit, consent_id)
    return _page(request, "withdraw.html.j2", N_("Consent withdrawn"), answer=answer,
                 done=True, purpose_name=_purpose_names(request, visit),
                 cite=cite.citations(visit, _lang(request).value),
                 **_chrome(request, visit))


@router.get("/requests")
def my_requests(request: Request, operator: str) -> Response:
    visit = _visit(request, operator)
    return _page(request, "requests.html.j2", N_("Your requests"),
                 found=mine.my_requests(visit), register=mine.register_of(visit),
                 types=visit.ctx.rules.cabinet.request_types, **_chrome(request, visit))


@router.post("/requests")
async def file_request(request: Request, operator: str,
                       csrf_token: Annotated[str, Form(max_length=100)],
                       kind: Annotated[str, Form(alias="type", max_length=40)],
                       category: Annotated[str | None, Form(max_length=100)] = None,
                       value: Annotated[str | None, Form(max_length=500)] = None,
                       text: Annotated[str | None, Form(max_length=2000)] = None,
                       document: Annotated[UploadFile | None, File()] = None) -> Response:
    visit = _changing(request, operator, csrf_token)
    content = b""
    if document is not None and document.filename:
        content = await document.read(visit.ctx.rules.cabinet.uploads.max_bytes + 1)
    filing = mine.Filing(kind, category, value, content or None, text)
    container = container_of(request)
    answering = requests.Answering(stores=stores_from_dir(container.settings.datasets_dir))
    mine.file(visit, filing, _lang(request).value, answering)
    return _redirect(f"/my/{operator}/requests")


@router.get("/requests/{request_id}/letter")
def letter(request: Request, operator: str, request_id: str,
           format: Annotated[str, Query(max_length=4)] = "pdf",
           lang: Annotated[str | None, Query(max_length=5)] = None) -> Response:
    visit = _visit(request, operator)
    chosen = _lang(request, lang).value
    body = mine.letter(visit, request_id, render_letter, format, chosen)
    headers = dict(PAGE_HEADERS)
    if format == "pdf":
        headers["Content-Disposition"] = f'attachment; filename="letter-{chosen}.pdf"'
    else:
        # The pages' policy would strip the letter's inline layout on a phone.
        headers["Content-Security-Policy"] = FRAMED_DOCUMENT_POLICY
    return Response(body, media_type=MEDIA_TYPES.get(format, "text/html"), headers=headers)

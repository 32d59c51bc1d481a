"""The Today page, the requests inbox, one request and the actions on it."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from derbes.api.pages import FRAMED_DOCUMENT_POLICY
from derbes.console import service as console
from derbes.console.api.web import Changer, ConsoleRoute, Visiting, Where, page, redirect
from derbes.datasets.adapters.directory import stores_from_dir
from derbes.integrity.model.anchor import Chain
from derbes.platform.i18n import gettext
from derbes.platform.labels import N_
from derbes.requests import service as requests
from derbes.requests.adapters.letters import MEDIA_TYPES, render_letter
from derbes.requests.model import RequestState, RequestType
from derbes.staff import service as staff

router = APIRouter(prefix="/console", route_class=ConsoleRoute)

Operator = Annotated[str, Path(max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
RequestId = Annotated[str, Path(max_length=36, pattern=r"^[A-Za-z0-9-]+$")]
_DONE = {"verified": N_("The requester's identity is confirmed."),
         "answered": N_("The request is answered: the letter is ready."),
         "refused": N_("The request is refused: the letter is ready.")}


@router.get("/{operator}/today")
def today(request: Request, operator: Operator, visitor: Visiting) -> Response:
    container = visitor.container
    view = console.today(visitor.ctx, operator, container.reader(),
                         container.latest_anchor(Chain.AUDIT).anchor)
    return page(visitor, "today.html.j2", gettext(visitor.lang, "Today"),
                Where.of(request, operator, "today"), view=view)


@router.get("/{operator}/requests")
def inbox(request: Request, operator: Operator, visitor: Visiting,
          state: Annotated[RequestState | Literal[""], Query()] = "",
          type_: Annotated[RequestType | Literal[""], Query(alias="type")] = "",
          overdue: Annotated[bool, Query()] = False) -> Response:
    where = console.InboxFilter(state or None, type_ or None, overdue)
    found = console.inbox(visitor.ctx, operator, where)
    return page(visitor, "requests.html.j2", gettext(visitor.lang, "Requests"),
                Where.of(request, operator, "requests"), inbox=found)


@router.get("/{operator}/requests/{request_id}")
def one_request(request: Request, operator: Operator, request_id: RequestId,
                visitor: Visiting,
                done: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    shown = console.request_page(visitor.ctx, operator, request_id)
    said = _DONE.get(done or "")
    names = {person.actor: person.name for person, _ in staff.people(visitor.ctx)}
    return page(visitor, "request.html.j2", gettext(visitor.lang, "Requests"),
                Where.of(request, operator, "requests"), page=shown,
                names=names, done=gettext(visitor.lang, said) if said else None)


def _after(operator: str, request_id: str, done: str) -> Response:
    return redirect(f"/console/{operator}/requests/{request_id}?done={done}")


@router.post("/{operator}/requests/{request_id}/verify")
def verify(operator: Operator, request_id: RequestId, visitor: Changer,
           document_ref: Annotated[str, Form(max_length=200)],
           reason: Annotated[str, Form(max_length=2000)]) -> Response:
    """Staff saw an identity document: who (this person), which, and why are recorded."""
    console.verify(visitor.ctx, operator, request_id, document_ref, reason,
                   f"{visitor.person.name} ({visitor.person.actor})")
    return _after(operator, request_id, "verified")


@router.post("/{operator}/requests/{request_id}/answer")
def answer(operator: Operator, request_id: RequestId, visitor: Changer,
           response: Annotated[str | None, Form(max_length=2000)] = None) -> Response:
    container = visitor.container
    console.answer(visitor.ctx, operator, request_id, requests.Answering(
        stores=stores_from_dir(container.settings.datasets_dir),
        decision_point=container.decision_point, response=response))
    return _after(operator, request_id, "answered")


@router.post("/{operator}/requests/{request_id}/refuse")
def refuse(operator: Operator, request_id: RequestId, visitor: Changer,
           reasons: Annotated[str, Form(max_length=4000)]) -> Response:
    console.refuse(visitor.ctx, operator, request_id, reasons)
    return _after(operator, request_id, "refused")


@router.get("/{operator}/requests/{request_id}/letter")
def letter(operator: Operator, request_id: RequestId, visitor: Visiting,
           fmt: Annotated[Literal["html", "pdf"], Query(alias="format")] = "pdf",
           lang: Annotated[Literal["ru", "kk", "en"] | None, Query()] = None) -> Response:
    """The letter in the subject's language (or ``lang``): PDF to download, HTML to preview."""
    body = console.letter(visitor.ctx, operator, request_id, render_letter, fmt, lang)
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if fmt == "pdf":
        headers["Content-Disposition"] = (
            f'attachment; filename="letter-{request_id[:8]}-{lang or "subject"}.pdf"')
    else:
        headers["Content-Security-Policy"] = FRAMED_DOCUMENT_POLICY
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)



@router.get("/{operator}/requests/{request_id}/dry-run")
def dry_run(request: Request, operator: Operator, request_id: RequestId,
            visitor: Visiting) -> Response:
    """What answering the destruction request would do, changing nothing."""
    container = visitor.container
    shown = console.dry_run(visitor.ctx, operator, request_id,
                            stores_from_dir(container.settings.datasets_dir))
    return page(visitor, "dry_run.html.j2", gettext(visitor.lang, "Requests"),
                Where.of(request, operator, "requests"), plan=shown)


__all__ = ["router"]

"""Audit, registers, retention and acts: the pages of those who oversee the processing."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from derbes.api.pages import FRAMED_DOCUMENT_POLICY
from derbes.console import service as console
from derbes.console.api.requests import Operator
from derbes.console.api.web import Changer, ConsoleRoute, Visiting, Visitor, Where, page
from derbes.integrity.model.anchor import Anchor, Chain
from derbes.platform.i18n import gettext
from derbes.platform.labels import N_
from derbes.retention.adapters.acts import render_act

router = APIRouter(prefix="/console", route_class=ConsoleRoute)

_PUBLISHED = N_("The version is published. Consents now waiting for a re-consent: %(count)s.")
_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _anchors(visitor: Visitor) -> dict[Chain, Anchor | None]:
    return {chain: visitor.container.latest_anchor(chain).anchor for chain in Chain}


def _audit(request: Request, visitor: Visitor, operator: str, where: console.AuditFilter,
           check: console.ChainCheck | None = None) -> Response:
    shown = console.audit_page(visitor.ctx, operator, where, _anchors(visitor))
    return page(visitor, "audit.html.j2", gettext(visitor.lang, "Audit"),
                Where.of(request, operator, "audit"), page=shown, check=check)


@router.get("/{operator}/audit")
def audit_log(request: Request, operator: Operator, visitor: Visiting,
              actor: Annotated[str | None, Query(max_length=200)] = None,
              action: Annotated[str | None, Query(max_length=50)] = None,
              since: Annotated[date | Literal[""] | None, Query()] = None,
              until: Annotated[date | Literal[""] | None, Query()] = None,
              before: Annotated[int | None, Query(ge=1)] = None) -> Response:
    """The operator's entries, newest first; filters and the next page in the query
    (they name actors and actions, never a subject's data). The filter form sends a date
    left blank as an empty value: no bound, as when it is absent."""
    where = console.AuditFilter(actor or None, action or None, since or None, until or None,
                                before)
    return _audit(request, visitor, operator, where)


@router.post("/{operator}/audit/verify")
def verify(request: Request, operator: Operator, visitor: Changer) -> Response:
    """Walk both chains in full: asked for by a button, as it reads every entry."""
    container = visitor.container
    check = console.verify_chains(visitor.ctx, operator, container.reader,
                                  (container.audit_key, container.ledger_key),
                                  _anchors(visitor))
    return _audit(request, visitor, operator, console.AuditFilter(), check)


@router.get("/{operator}/registers")
def register(request: Request, operator: Operator, visitor: Visiting,
             done: Annotated[Literal["published"] | None, Query()] = None,
             marked: Annotated[int, Query(ge=0)] = 0) -> Response:
    """The register in force; after a publication, how many consents it asked again."""
    shown = console.register_page(visitor.ctx, operator)
    said = None
    if done:
        said = gettext(visitor.lang, _PUBLISHED) % {"count": marked}
    return page(visitor, "registers.html.j2", gettext(visitor.lang, "Registers"),
                Where.of(request, operator, "registers"), page=shown, done=said)


@router.get("/{operator}/registers/notice")
def notice(operator: Operator, visitor: Visiting,
           lang: Annotated[Literal["ru", "kk", "en"], Query()] = "ru") -> Response:
    """The notice's HTML, framed by the registers page only (it runs nothing)."""
    body = console.notice(visitor.ctx, operator, lang, visitor.container.notices)
    return Response(body, media_type="text/html; charset=utf-8", headers={
        **_NO_STORE, "Content-Security-Policy": FRAMED_DOCUMENT_POLICY})


@router.get("/{operator}/retention")
def retention(request: Request, operator: Operator, visitor: Visiting) -> Response:
    shown = console.retention_page(visitor.ctx, operator)
    return page(visitor, "retention.html.j2", gettext(visitor.lang, "Retention and acts"),
                Where.of(request, operator, "retention"), page=shown)


@router.get("/{operator}/retention/acts/{act_id}")
def act_pdf(operator: Operator, visitor: Visiting,
            act_id: Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9-]+$")],
            lang: Annotated[Literal["ru", "kk", "en"] | None, Query()] = None) -> Response:
    """A destruction act as PDF (it names subjects only by keyed references)."""
    found = console.act(visitor.ctx, operator, act_id)
    chosen = lang or visitor.lang.value
    return Response(render_act(found, chosen, "pdf"), media_type="application/pdf",
                    headers={**_NO_STORE, "Content-Disposition":
                             f'attachment; filename="act-{found.number.year}-'
                             f'{found.number.seq}-{chosen}.pdf"'})


__all__ = ["router"]

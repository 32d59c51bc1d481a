"""Subjects: the look-up by identifier (a form posted, never a URL), one subject's
record masked, the reveal of a value with a reason, and the subject's consents."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from derbes.consent.adapters.evidence import render_certificate
from derbes.console import service as console
from derbes.console.api.requests import Operator
from derbes.console.api.web import Changer, ConsoleRoute, Visiting, Visitor, Where, page
from derbes.platform.i18n import gettext
from derbes.vault.service.subjects import MAX_REASON

router = APIRouter(prefix="/console", route_class=ConsoleRoute)

SubjectId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9-]+$")]


@router.get("/{operator}/subjects")
def lookup_form(request: Request, operator: Operator, visitor: Visiting) -> Response:
    console.scoped(visitor.ctx, operator, console.Permission.SUBJECTS_READ)
    return page(visitor, "subjects.html.j2", gettext(visitor.lang, "Data subjects"),
                Where.of(request, operator, "subjects"), kinds=console.LOOKUP_KINDS,
                found=None, kind="iin")


@router.post("/{operator}/subjects/find")
def lookup(request: Request, operator: Operator, visitor: Changer,
           kind: Annotated[str, Form(max_length=10)],
           value: Annotated[str, Form(max_length=320)]) -> Response:
    """The identifier travels in the form's body only; the answer names subjects by
    their internal ids."""
    found = console.find(visitor.ctx, operator, kind, value)
    return page(visitor, "subjects.html.j2", gettext(visitor.lang, "Data subjects"),
                Where.of(request, operator, "subjects"), kinds=console.LOOKUP_KINDS,
                found=found, kind=kind)


def _subject(request: Request, visitor: Visitor, operator: str, subject_id: str, *,
             revealed: console.Revealed | None = None) -> Response:
    shown = console.subject_page(visitor.ctx, operator, subject_id)
    return page(visitor, "subject.html.j2", gettext(visitor.lang, "Data subjects"),
                Where.of(request, operator, "subjects"), page=shown, revealed=revealed,
                max_reason=MAX_REASON)


@router.get("/{operator}/subjects/{subject_id}")
def subject(request: Request, operator: Operator, subject_id: SubjectId,
            visitor: Visiting) -> Response:
    return _subject(request, visitor, operator, subject_id)


@router.post("/{operator}/subjects/{subject_id}/reveal")
def reveal(request: Request, operator: Operator, subject_id: SubjectId, visitor: Changer,
           category: Annotated[str, Form(max_length=100)],
           seq: Annotated[int, Form(ge=0, le=2**31)],
           reason: Annotated[str, Form(max_length=MAX_REASON)],
           purpose: Annotated[str | None, Form(max_length=100)] = None) -> Response:
    """The value is shown on this answer only (never in a URL, never cached)."""
    shown = console.reveal(visitor.ctx, operator, subject_id, category, seq, purpose or "",
                           reason)
    return _subject(request, visitor, operator, subject_id, revealed=shown)


@router.get("/{operator}/subjects/{subject_id}/consents")
def consents(request: Request, operator: Operator, subject_id: SubjectId,
             visitor: Visiting) -> Response:
    shown = console.consents_page(visitor.ctx, operator, subject_id,
                                  visitor.container.ledger_key)
    return page(visitor, "consents.html.j2", gettext(visitor.lang, "Consents"),
                Where.of(request, operator, "subjects"), page=shown)


@router.get("/{operator}/subjects/{subject_id}/consents/certificate")
def certificate(operator: Operator, subject_id: SubjectId, visitor: Visiting,
                lang: Annotated[Literal["ru", "kk", "en"] | None, Query()] = None) -> Response:
    """The evidence certificate (PDF), in the reader's language or ``lang``."""
    chosen = lang or visitor.lang.value
    body = console.certificate(visitor.ctx, operator, subject_id,
                               visitor.container.ledger_key, render_certificate, chosen, "pdf")
    name = f"consents-{subject_id[:8]}-{chosen}.pdf"
    return Response(body, media_type="application/pdf", headers={
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'attachment; filename="{name}"'})


__all__ = ["router"]

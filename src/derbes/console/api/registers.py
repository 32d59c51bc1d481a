"""A new register version from the console: upload, paste or pick one; see what it changes
and whom it asks again; confirm to publish.

Three plain forms, no JavaScript: the change form posts the version to compare; the
comparison page carries it (URL-safe base64: no browser rewrites its line breaks, and the
posted form does not grow by percent-escapes) with the
hashes the DPO was shown, to the publish form, which needs a ticked confirmation.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from derbes import errors
from derbes.console import service as console
from derbes.console.api.requests import Operator
from derbes.console.api.web import Changer, ConsoleRoute, Visiting, Visitor, Where, page, redirect
from derbes.console.model.registers import (
    EFFECT_LABELS,
    KIND_LABELS,
    SCOPE_KINDS,
    SECTION_TITLES,
    sections,
)
from derbes.platform.i18n import gettext
from derbes.register.model.diff import Effect

router = APIRouter(prefix="/console", route_class=ConsoleRoute)

# Bytes of YAML: the largest seed register is about a seventh of it. Its base64 on the
# confirmation form stays under the 1 MiB a form field may hold (Starlette's limit).
MAX_REGISTER = 750_000


def _form(request: Request, visitor: Visitor, operator: str, *, status: int = 200,
          problems: list[errors.Problem] | None = None, text: str = "") -> Response:
    shown = console.change_form(visitor.ctx, operator)
    return page(visitor, "register_change.html.j2",
                gettext(visitor.lang, "Publish a new register version"),
                Where.of(request, operator, "registers"), status=status, form=shown,
                problems=problems or [], text=text, max_register=MAX_REGISTER)


@router.get("/{operator}/registers/change")
def change(request: Request, operator: Operator, visitor: Visiting) -> Response:
    return _form(request, visitor, operator)


async def _uploaded(file: UploadFile | None) -> tuple[str, str]:
    if file is None or not file.filename:
        return "", ""
    body = await file.read(MAX_REGISTER + 1)
    if len(body) > MAX_REGISTER:
        raise errors.InputError("the register file is larger than derbes accepts",
                                field="file")
    try:
        return body.decode("utf-8-sig"), file.filename[:200]
    except UnicodeDecodeError:
        raise errors.InputError("the register file is not UTF-8 text", field="file") from None


@router.post("/{operator}/registers/diff")
async def compare(request: Request, operator: Operator, visitor: Changer,
                  file: Annotated[UploadFile | None, File()] = None,
                  text: Annotated[str, Form(max_length=MAX_REGISTER)] = "",
                  version: Annotated[str, Form(max_length=20)] = "") -> Response:
    """The comparison with the version in force, or the form again with each problem of
    the text (its line and path). The person's permission is checked before the form is
    read."""
    console.scoped(visitor.ctx, operator, console.Permission.REGISTERS_MANAGE)
    if version and not version.isdigit():
        raise errors.InputError("pick one of the versions listed", field="version")
    body, name = await _uploaded(file)
    if not body:
        # A browser sends a textarea's line breaks as CRLF; the register is kept with LF.
        body, name = text.replace("\r\n", "\n"), "<pasted>"
    source = console.Source(body, name, int(version) if version else None)
    try:
        shown = console.preview(visitor.ctx, operator, source, visitor.container.register_reader)
    except errors.RegisterError as exc:
        return _form(request, visitor, operator, status=422, problems=list(exc.problems),
                     text=body)
    encoded = base64.urlsafe_b64encode(shown.new.source.encode("utf-8")).decode("ascii")
    return page(visitor, "register_diff.html.j2", gettext(visitor.lang, "Compare and publish"),
                Where.of(request, operator, "registers"), shown=shown,
                sections=sections(shown.change.diff.changes), section_title=SECTION_TITLES,
                kind_label=KIND_LABELS, effect_label=EFFECT_LABELS, effect=Effect,
                scope_kind=SCOPE_KINDS, encoded=encoded)


@router.post("/{operator}/registers/publish")
def publish(operator: Operator, visitor: Changer,
            source: Annotated[str, Form(max_length=2 * MAX_REGISTER)] = "",
            in_force: Annotated[str, Form(max_length=64)] = "",
            new_sha256: Annotated[str, Form(max_length=64)] = "",
            confirm: Annotated[str, Form(max_length=10)] = "") -> Response:
    """Publish the version compared, once confirmed (audited with the person). The fields
    are checked by the service after the person's permission, so that a person who may
    not publish learns nothing from the form's shape."""
    done = console.publish(visitor.ctx, operator, source, (in_force, new_sha256), confirm,
                           visitor.container.register_reader)
    return redirect(f"/console/{operator}/registers?done=published&marked={done.marked}")


__all__ = ["router"]


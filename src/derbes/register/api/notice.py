"""``/notice/{operator}``: the operator's privacy notice, generated from its register."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from derbes.bootstrap import Container
from derbes.deadlines.model.wording import as_lang
from derbes.register.adapters.notice import MEDIA_TYPES, NoticeFormat
from derbes.register.model.notice_format import as_format
from derbes.register.service.notice import find_register, notice_for

router = APIRouter(tags=["notice"])


@router.get(
    "/notice/{operator}",
    response_class=Response,
    responses={
        200: {
            "description": "The notice as HTML, PDF (A4) or Markdown.",
            "content": {media: {} for media in MEDIA_TYPES.values()},
        },
        404: {"description": "No register for this operator (problem+json)."},
        422: {"description": "Unknown language or format, or the register has unwaived lint "
                             "errors and no draft was asked for (problem+json)."},
    },
)
def get_notice(
    request: Request,
    operator: str,
    lang: str | None = Query(None, description="ru, kk or en (default: the configured one)."),
    fmt: str = Query("html", alias="format", description="html, pdf or md."),
    draft: bool = Query(False, description="Render a watermarked draft despite lint errors."),
) -> Response:
    """The privacy notice of ``operator`` from its register in ``registers_dir``."""
    container: Container = request.app.state.container
    settings = container.settings
    language = as_lang(lang or settings.default_language)
    form = as_format(fmt)
    loaded = find_register(settings.registers_dir, operator, container.register_reader)
    body = notice_for(loaded, language, form, regime=container.rules.regime,
                      renderer=container.notices, draft=draft)
    headers = {"Content-Language": language.value}
    if form is NoticeFormat.PDF:
        headers["Content-Disposition"] = f'inline; filename="notice-{language.value}.pdf"'
    return Response(content=body, media_type=MEDIA_TYPES[form], headers=headers)

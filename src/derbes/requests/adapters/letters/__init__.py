"""Letters to data subjects: the answer to a request (or its refusal), HTML or PDF.

Written in the subject's language (ru, kk, en) from the Babel catalogues of
``platform/i18n.py``; laid out by ``templates/letter.html.j2``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import jinja2

from derbes.deadlines.model.regime import Regime
from derbes.errors import InputError
from derbes.platform import i18n
from derbes.platform.i18n import Lang
from derbes.platform.templates import package_templates
from derbes.register.model.register import Register
from derbes.requests.adapters.letters.view import build_view
from derbes.requests.model import SubjectRequest

__all__ = ["FORMATS", "MEDIA_TYPES", "render_letter"]

FORMATS = ("html", "pdf")
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


@cache
def _environment(lang: Lang) -> jinja2.Environment:
    env = package_templates("derbes.requests.adapters.letters", ["jinja2.ext.i18n"])
    env.install_gettext_translations(  # type: ignore[attr-defined]
        i18n.translations(lang), newstyle=True
    )
    return env


def render_letter(request: SubjectRequest, full: Mapping[str, Any], register: Register,
                  lang: Lang | str, fmt: str = "html", *, regime: Regime | None = None
                  ) -> bytes:
    """The letter answering ``request`` in ``lang``: ``html`` or ``pdf``.

    ``regime`` (the law and this operator's promises) gives the deadline's
    citation in the letter's language; without it the English stored with the
    request is shown in English letters only.
    """
    language = i18n.as_lang(lang)
    if fmt not in FORMATS:
        raise InputError("a letter is rendered as html or pdf", field="format")
    view = build_view(request, full, register, language, regime=regime)
    html = _environment(language).get_template("letter.html.j2").render(v=view)
    if fmt == "html":
        return html.encode("utf-8")
    import weasyprint  # Pango and fonts: only PDF needs them

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf

"""Render the privacy notice as HTML, PDF (WeasyPrint, A4) or Markdown."""

from __future__ import annotations

from functools import cache

import jinja2

from derbes.deadlines.adapters.regime_yaml import load_regime
from derbes.deadlines.model.regime import Regime, apply_overrides
from derbes.errors import NoticeRefusedError, Problem
from derbes.platform import i18n
from derbes.platform.i18n import Lang
from derbes.register.adapters.notice.view import NoticeView, build_view
from derbes.register.model.lint import lint
from derbes.register.model.loaded import LoadedRegister
from derbes.register.model.notice_format import NoticeFormat, as_format

MEDIA_TYPES: dict[NoticeFormat, str] = {
    NoticeFormat.HTML: "text/html; charset=utf-8",
    NoticeFormat.PDF: "application/pdf",
    NoticeFormat.MD: "text/markdown; charset=utf-8",
}


def _md_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: no pipe ends the cell, no newline the row."""
    text = " ".join(str(value).split())
    return text.replace("\\", "\\\\").replace("|", "\\|")


@cache
def _environment(lang: Lang) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("derbes.register.adapters.notice", "templates"),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "html.j2"), default_for_string=False, default=False
        ),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.install_gettext_translations(  # type: ignore[attr-defined]
        i18n.translations(lang), newstyle=True
    )
    env.filters["md"] = _md_cell
    return env


def render_view(view: NoticeView, fmt: NoticeFormat | str) -> bytes:
    """Lay out an already built notice view."""
    form = as_format(fmt)
    env = _environment(Lang(view.lang))
    if form is NoticeFormat.MD:
        return env.get_template("notice.md.j2").render(v=view).encode("utf-8")
    html = env.get_template("notice.html.j2").render(v=view, for_print=form is NoticeFormat.PDF)
    if form is NoticeFormat.HTML:
        return html.encode("utf-8")
    # Imported here: WeasyPrint loads Pango and fonts, which only PDF needs.
    import weasyprint

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf


def effective_regime(loaded_register: LoadedRegister, regime: Regime | None = None) -> Regime:
    """The default regime (the shipped one when omitted) with this operator's promises."""
    base = regime if regime is not None else load_regime()
    register = loaded_register.register
    return apply_overrides(base, register.regime_overrides, operator=register.operator.id)


def refuse_unless_clean(loaded_register: LoadedRegister, regime: Regime) -> None:
    """Raise :class:`NoticeRefusedError` listing every unwaived lint error."""
    errors = [f for f in lint(loaded_register.register, regime) if f.is_error and not f.waived]
    if errors:
        raise NoticeRefusedError([
            Problem(f"{f.message} (render with --draft for a watermarked draft)", f.path,
                    file=loaded_register.file,
                    line=loaded_register.line_of(f.path) or loaded_register.lines.get(""),
                    code=f.code)
            for f in errors
        ])


def render_notice(
    loaded_register: LoadedRegister,
    lang: Lang | str,
    fmt: NoticeFormat | str,
    regime: Regime | None = None,
    *,
    draft: bool = False,
) -> bytes:
    """The notice of a loaded register in ``lang`` and ``fmt`` (html, pdf, md).

    ``regime`` is the default regime table (the shipped one when omitted); the
    register's own stricter deadlines (``regime_overrides``) are applied here.
    A register with unwaived lint errors is refused (:class:`NoticeRefusedError`)
    unless ``draft``, which marks every page as a draft not to be published.
    """
    language = i18n.as_lang(lang)
    form = as_format(fmt)
    base = regime if regime is not None else load_regime()
    if not draft:
        refuse_unless_clean(loaded_register, base)
    effective = effective_regime(loaded_register, base)
    return render_view(build_view(loaded_register, effective, language, draft=draft), form)


class NoticeRenderer:
    """The notice renderer of the use cases (``register/ports.py: NoticeRenderer``)."""

    def render(self, loaded: LoadedRegister, lang: Lang, fmt: str, *, regime: Regime,
               draft: bool = False) -> bytes:
        return render_notice(loaded, lang, fmt, regime, draft=draft)


RENDERER = NoticeRenderer()

"""The compliance pack as HTML or PDF, in ru, kk or en.

Texts come from the catalogues through ``_()`` in the template; the PDF is rendered
by WeasyPrint, like the acts and letters, and its chart is SVG drawn from numbers
(WeasyPrint draws SVG itself: nothing is fetched). Instants and days are shown in
Asia/Almaty time, where the pack is read. A fact no record holds is written as
"not stated"; a section with nothing in the period says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

import jinja2

from derbes.compliance.service.documents import notices
from derbes.compliance.service.pack import CompliancePack
from derbes.console.adapters.incident_texts import SEVERITY_LABELS, STATE_LABELS
from derbes.errors import InputError
from derbes.platform import i18n
from derbes.platform.clock import KZ_ZONE
from derbes.platform.labels import N_, Labels, Lang
from derbes.platform.templates import package_templates
from derbes.register.model.lint.catalogue import Finding
from derbes.register.service.lint import FileReport

__all__ = ["FORMATS", "MEDIA_TYPES", "OUTCOMES", "render_pack", "unwaived_by_code"]

FORMATS = ("html", "pdf")
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
# The chart's bars: what became of the period's requests.
OUTCOMES = {
    "answered_in_time": N_("Answered in time"),
    "answered_late": N_("Answered after the due date"),
    "refused": N_("Refused with reasons"),
    "open_in_term": N_("Open, within the term"),
    "open_overdue": N_("Open, overdue"),
}


# A lint finding's severity as the pack names it.
_SEVERITIES = {"error": N_("error"), "warning": N_("warning")}


@cache
def _environment() -> jinja2.Environment:
    return package_templates("derbes.compliance.adapters", ["jinja2.ext.i18n"])


def _when(value: date | datetime | None, lang: Lang) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        local = value.astimezone(KZ_ZONE)
        return f"{i18n.format_date(local.date(), lang)}, {local:%H:%M}"
    return i18n.format_date(value, lang)


@dataclass(frozen=True)
class CodeCount:
    code: str
    severity: str
    count: int
    citation: str


def unwaived_by_code(report: FileReport) -> list[CodeCount]:
    """The unwaived findings, one line per code (errors first), each with its count."""
    grouped: dict[str, list[Finding]] = {}
    for located in report.findings:
        if not located.finding.waived:
            grouped.setdefault(located.finding.code, []).append(located.finding)
    lines = [CodeCount(code, found[0].severity.value, len(found), found[0].citation)
             for code, found in grouped.items()]
    return sorted(lines, key=lambda line: (line.severity != "error", line.code))


def render_pack(pack: CompliancePack, lang: Lang | str, fmt: str = "pdf") -> bytes:
    """The pack as ``html`` or ``pdf`` in ``lang``."""
    if fmt not in FORMATS:
        raise InputError(f"the pack is rendered as {', '.join(FORMATS)}", field="format")
    language = i18n.as_lang(lang)
    catalogue = i18n.translations(language)

    def label(value: Labels | None) -> str | None:
        return value.get(language) if value is not None else None

    html = _environment().get_template("pack.html.j2").render(
        p=pack, lang=language.value, _=catalogue.ugettext, gettext=catalogue.ugettext,
        ngettext=catalogue.ungettext, when=lambda v: _when(v, language), label=label,
        outcomes=OUTCOMES, findings=unwaived_by_code(pack.lint),
        notices=notices(pack.register.register.policy), chart=pack.requests.chart(),
        role_label=lambda name: label(pack.roles.get(name)) or name,
        who=lambda actor: pack.names.get(actor, actor), severity=_SEVERITIES,
        incident_state=STATE_LABELS, severity_label=SEVERITY_LABELS)
    if fmt == "html":
        return html.encode("utf-8")
    import weasyprint  # Pango and fonts: only PDF needs them

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf

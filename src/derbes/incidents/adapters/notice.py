"""The notice to the authorised body as JSON, HTML or PDF, in ru, kk or en.

Headings come from the catalogues (``platform/i18n.py``); the PDF is rendered by
WeasyPrint, like the acts and letters. Instants are shown in Asia/Almaty time,
where the notice is read. A fact the record and the register do not hold is
written as "not stated".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

import jinja2

from derbes.errors import InputError
from derbes.incidents.service.notice import BodyNotice
from derbes.platform import i18n
from derbes.platform.clock import KZ_ZONE
from derbes.platform.labels import N_, Lang
from derbes.platform.templates import package_templates

__all__ = ["FORMATS", "MEDIA_TYPES", "TEXTS", "notice_data", "render_notice"]

FORMATS = ("json", "html", "pdf")
MEDIA_TYPES = {"json": "application/json", "html": "text/html; charset=utf-8",
               "pdf": "application/pdf"}

TEXTS: Mapping[str, str] = {
    "title": N_("Notice of a breach of personal data security"),
    "to": N_("To the authorised body in the field of personal data protection"),
    "basis": N_("Basis"),
    "operator": N_("Operator"),
    "bin": N_("BIN"),
    "responsible": N_("Person responsible for organising personal data processing"),
    "contact": N_("Contact"),
    "what": N_("What happened"),
    "detected_at": N_("Detected at (Asia/Almaty)"),
    "categories": N_("Categories of personal data"),
    "subjects": N_("Approximate number of subjects"),
    "measures_taken": N_("Measures taken"),
    "planned_measures": N_("Planned measures"),
    "due_at": N_("Notification due by (Asia/Almaty)"),
    "incident": N_("Incident"),
    "prepared_at": N_("Prepared at (Asia/Almaty)"),
    "not_stated": N_("not stated"),
}


def _when(at: datetime) -> str:
    return at.astimezone(KZ_ZONE).strftime("%Y-%m-%d %H:%M")


def notice_data(notice: BodyNotice, lang: Lang | str) -> dict[str, Any]:
    """The notice's facts in ``lang``; a missing one is None (shown as "not stated")."""
    language = i18n.as_lang(lang)
    i = notice.incident
    person = notice.responsible_name
    contact = ", ".join(c for c in (notice.responsible_email, notice.responsible_phone) if c)
    role = notice.responsible_position or (
        notice.responsible_role.get(language) if notice.responsible_role else None)
    return {
        "lang": language.value, "incident": i.id, "operator_id": i.operator_id,
        "operator": notice.operator_names.get(language) if notice.operator_names else None,
        "bin": notice.bin,
        "responsible": " — ".join(p for p in (person, role) if p) or None,
        "contact": contact or None, "responsible_source": notice.responsible_source,
        "what": i.summary or None, "detected_at": _when(i.detected_at),
        "categories": [label.get(language) if label else cid
                       for cid, label in notice.categories] or None,
        "subjects": i.subject_count, "measures_taken": i.measures_taken or None,
        "planned_measures": i.planned_measures or None, "due_at": _when(notice.due_at),
        "basis": notice.citation, "prepared_at": _when(notice.prepared_at)}


@cache
def _environment() -> jinja2.Environment:
    return package_templates("derbes.incidents.adapters")


def render_notice(notice: BodyNotice, lang: Lang | str, fmt: str = "pdf") -> bytes:
    """The notice as ``json``, ``html`` or ``pdf``."""
    if fmt not in FORMATS:
        raise InputError(f"the notice is rendered as {', '.join(FORMATS)}", field="format")
    data = notice_data(notice, lang)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    t = {k: i18n.gettext(data["lang"], v) for k, v in TEXTS.items()}
    html = _environment().get_template("notice.html.j2").render(v=data, t=t)
    if fmt == "html":
        return html.encode("utf-8")
    import weasyprint  # Pango and fonts: only PDF needs them

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf

"""The list of persons with access (Order 179/НҚ) as CSV or PDF, in ru, kk or en.

Headings come from the catalogues (``platform/i18n.py``), role names from the
role table. The PDF is rendered by WeasyPrint, like the acts and letters.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

import jinja2

from derbes.errors import InputError
from derbes.platform import i18n
from derbes.platform.clock import KZ_ZONE
from derbes.platform.labels import N_, Lang
from derbes.platform.templates import package_templates
from derbes.staff.model.roles import RoleBook
from derbes.staff.service.people import AccessRow

__all__ = ["FORMATS", "TEXTS", "render_access_list"]

FORMATS = ("csv", "html", "pdf")

TEXTS: Mapping[str, str] = {
    "title": N_("List of persons with access to personal data"),
    "operator": N_("Operator"),
    "as_of": N_("As of"),
    "person": N_("Person"),
    "login": N_("Login"),
    "role": N_("Role"),
    "since": N_("Since"),
    "granted_by": N_("Granted by"),
    "until": N_("Revoked"),
    "revoked_by": N_("Revoked by"),
    "basis": N_("Basis of the role"),
    "none": N_("Nobody holds a role at this operator."),
    "note": N_("Access is limited to the duties of each role; every action with personal "
               "data is recorded in the access audit log."),
    "page": N_("Page"),
}
# A cell a spreadsheet would run as a formula (CSV injection) starts with one of these.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _when(at: datetime | None) -> str:
    return "" if at is None else at.astimezone(KZ_ZONE).strftime("%Y-%m-%d %H:%M")


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA) else text


def _rows(rows: Sequence[AccessRow], roles: RoleBook, lang: Lang) -> list[dict[str, str]]:
    out = []
    for row in rows:
        known = roles.roles.get(row.role)
        out.append({"person": row.name, "login": row.login,
                    "role": known.label.get(lang) if known else row.role,
                    "basis": known.citation if known else "",
                    "since": _when(row.granted_at), "granted_by": row.granted_by,
                    "until": _when(row.revoked_at), "revoked_by": row.revoked_by or ""})
    return out


def view(operator_id: str, rows: Sequence[AccessRow], roles: RoleBook, lang: Lang | str,
         as_of: datetime) -> dict[str, Any]:
    language = i18n.as_lang(lang)
    return {"lang": language.value, "operator": operator_id, "as_of": _when(as_of),
            "t": {k: i18n.gettext(language, v) for k, v in TEXTS.items()},
            "rows": _rows(rows, roles, language),
            "history": any(r.revoked_at is not None for r in rows)}


@cache
def _environment() -> jinja2.Environment:
    return package_templates("derbes.staff.adapters")


def render_access_list(operator_id: str, rows: Sequence[AccessRow], roles: RoleBook,
                       lang: Lang | str, as_of: datetime, fmt: str = "pdf") -> bytes:
    """The list as ``csv`` (UTF-8 with a BOM, for spreadsheet programs), ``html`` or ``pdf``."""
    if fmt not in FORMATS:
        raise InputError(f"the list is exported as {', '.join(FORMATS)}", field="format")
    v = view(operator_id, rows, roles, lang, as_of)
    if fmt == "csv":
        columns = ["person", "login", "role", "since", "granted_by", "until", "revoked_by",
                   "basis"]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([v["t"][c] for c in columns])
        for row in v["rows"]:
            writer.writerow([_cell(row[c]) for c in columns])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    html = _environment().get_template("access_list.html.j2").render(v=v)
    if fmt == "html":
        return html.encode("utf-8")
    import weasyprint  # Pango and fonts: only PDF needs them

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf

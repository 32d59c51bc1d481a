"""Render a destruction act as JSON, HTML or PDF (A4), in Russian, Kazakh or English.

The wording of the act is below, side by side in the three languages, so that
a lawyer can read each sentence against its translations; register choices
(legal bases, retention triggers) and periods come from the shared catalogues
of ``platform/i18n.py`` and ``deadlines/model/wording.py``, as in the notice and letters.
The PDF embeds a small SVG bar chart of the subjects per group.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from derbes.deadlines.model.wording import format_clause
from derbes.errors import InputError
from derbes.platform import i18n
from derbes.platform.i18n import N_
from derbes.platform.labels import Lang
from derbes.platform.templates import package_templates
from derbes.register.model.register import AfterRetention, Retention
from derbes.retention.adapters.acts.rules import load_act_rules
from derbes.retention.model.acts import Act, ActGroup, Method, as_dict, references_digest

FORMATS = ("json", "html", "pdf")

TEXTS: Mapping[str, str] = {
    "title": N_("Personal data destruction act"),
    "no": N_("No."),
    "approve": N_("APPROVED"),
    "head": N_("Head of the operator"),
    "date_blank": N_("date ______________"),
    "s1": N_("1. General information"),
    "operator": N_("Operator"),
    "bin": N_("BIN"),
    "not_stated": N_("not stated in the policy"),
    "address": N_("Legal address"),
    "responsible": N_("Person responsible for organising personal data processing"),
    "policy": N_("Policy (register) version"),
    "general_basis": N_("Legal ground of destruction"),
    "run": N_("Destruction run (identifier)"),
    "as_of": N_("Retention periods counted as of"),
    "window": N_("Carried out"),
    "from_to": N_("from {start} to {end}"),
    "actor": N_("Started by"),
    "statement": N_(
        "This act records that, on expiry of the retention periods set for the purposes of "
        "processing, the personal data listed in section 2 were destroyed (anonymised) by the "
        "methods listed in section 3, in the procedure established by the operator. Data covered "
        "by a legal hold or by a longer retention period of another purpose were not destroyed. "
        "Subjects are named by pseudonymous references (annex); no personal data of the subjects "
        "are included in the act."
    ),
    "s2": N_("2. Personal data destroyed"),
    "summary": N_("Summary by group"),
    "chart": N_("Subjects per group"),
    "group": N_("Group"),
    "purpose": N_("Purpose of processing"),
    "clause": N_("policy clause"),
    "basis": N_("Legal basis of processing"),
    "retention": N_("Retention period"),
    "retention_citation": N_("Legal basis of the period"),
    "criterion": N_("Destruction criterion in the policy"),
    "ended": N_("Periods ended"),
    "categories": N_("Categories of personal data"),
    "action": N_("Action"),
    "method": N_("Method"),
    "subjects": N_("Number of subjects"),
    "subjects_short": N_("Subjects"),
    "pairs": N_("Values destroyed (subject × category)"),
    "not_in_register": N_("not in the register in force"),
    "s3": N_("3. Methods of destruction"),
    "vault": N_("derbes personal data vault"),
    "store": N_("Operator's database"),
    "rows": N_("rows"),
    "subjects_of": N_("subjects"),
    "shredded": N_("Subjects whose encryption key was destroyed"),
    "partial": N_("Subjects with some categories destroyed (key replaced)"),
    "values_deleted": N_("Vault records deleted"),
    "skipped": N_(
        "Not destroyed: a legal hold applied when reached, or the data were already gone"
    ),
    "logging": N_("Logging of actions"),
    "logged": N_(
        "Every destruction is recorded in the log of actions with personal data (a hash chain), "
        "checked with «derbes audit verify»."
    ),
    "s4": N_("4. Result"),
    "total": N_("Subjects whose data were destroyed (anonymised), in total"),
    "references": N_("Pseudonymous subject references"),
    "references_note": N_(
        "A reference is the first 64 bits of an HMAC-SHA-256 of the subject's internal "
        "identifier under a key held in the operator's key store. Without the key a reference "
        "does not identify the subject; with it the operator can check whether a subject is "
        "listed in the act."
    ),
    "list_digest": N_("SHA-256 of the full list of references"),
    "digest": N_("Checksum of the act (SHA-256)"),
    "signatures": N_("Signatures"),
    "commission": N_("Members of the commission"),
    "sig_position": N_("(position)"),
    "sig_signature": N_("(signature)"),
    "sig_name": N_("(name)"),
    "annex": N_("Annex to act No. {number}"),
    "annex_title": N_("List of pseudonymous subject references"),
    "printed": N_(
        "{printed} of {total} references are printed. The full list is in the act's electronic "
        "annex (JSON); its SHA-256 is given above."
    ),
    "none": N_("No data were due for destruction."),
    "page": N_("Page"),
}

ACTIONS: Mapping[AfterRetention, str] = {
    AfterRetention.DESTROY: N_("Destruction"),
    AfterRetention.ANONYMISE: N_("Anonymisation"),
}

METHODS: Mapping[Method, str] = {
    Method.CRYPTO_SHREDDING: N_(
        "Crypto-shredding: the subject's encryption key destroyed in the key store, the records "
        "deleted; backups hold only ciphertext that cannot be read"
    ),
    Method.DELETION: N_(
        "Deletion of the categories' records; the subject's former key destroyed, the remaining "
        "data re-encrypted under a new key"
    ),
    Method.ANONYMISATION: N_(
        "Anonymisation: values replaced so that they can no longer be attributed to the subject"
    ),
    Method.STORE_DELETE_ROW: N_("Deletion of rows"),
    Method.STORE_NULL: N_("Values cleared (NULL)"),
    Method.STORE_MASK: N_("Values masked"),
    Method.STORE_HASH: N_("Values replaced by a keyed hash"),
}


# Short names for the group tables; METHODS explains each in section 3.
METHOD_NAMES: Mapping[Method, str] = {
    Method.CRYPTO_SHREDDING: N_("Crypto-shredding"),
    Method.DELETION: N_("Deletion with key replacement"),
    Method.ANONYMISATION: N_("Anonymisation"),
    Method.STORE_DELETE_ROW: METHODS[Method.STORE_DELETE_ROW],
    Method.STORE_NULL: METHODS[Method.STORE_NULL],
    Method.STORE_MASK: METHODS[Method.STORE_MASK],
    Method.STORE_HASH: METHODS[Method.STORE_HASH],
}


def _t(key: str, lang: Lang) -> str:
    return i18n.gettext(lang, TEXTS[key])


def _when(value: datetime, zone: ZoneInfo) -> str:
    local = value.astimezone(zone)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def _number(n: int, lang: Lang) -> str:
    # Thousands grouped with a narrow no-break space in ru/kk, a comma in en.
    text = f"{n:,}"
    return text if lang is Lang.EN else text.replace(",", "\u202f")


def _retention_text(group: ActGroup, lang: Lang) -> str:
    if group.trigger is None or group.period is None:
        return "—"
    rule = Retention(trigger=group.trigger, period=group.period,
                     citation=group.retention_citation or "")
    return i18n.retention_phrase(rule, lang)


def _group_view(group: ActGroup, lang: Lang) -> dict[str, Any]:
    methods = []
    for use in group.methods:
        name = i18n.gettext(lang, METHOD_NAMES[use.method])
        if use.store is None:
            methods.append(f"{name} — {_t('vault', lang)}: {_number(use.count, lang)} "
                           f"{_t('subjects_of', lang)}")
        else:
            methods.append(f"{name} — {_t('store', lang)} «{use.store}»: "
                           f"{_number(use.count, lang)} {_t('rows', lang)}")
    ended = ""
    if group.ended_from and group.ended_to:
        ended = _t("from_to", lang).format(start=i18n.format_date(group.ended_from, lang),
                                           end=i18n.format_date(group.ended_to, lang))
    return {
        "no": group.no,
        "purpose": group.purpose.get(lang),
        "purpose_id": group.purpose_id,
        "clause": format_clause(group.clause, lang) if group.clause else None,
        "basis": i18n.enum_label(group.basis, lang) if group.basis else
        _t("not_in_register", lang),
        "basis_citation": (group.basis_cite.get(lang) if group.basis_cite
                           else group.basis_citation),
        "retention": _retention_text(group, lang),
        "retention_citation": (group.retention_cite.get(lang) if group.retention_cite
                               else group.retention_citation or "—"),
        "ended": ended,
        "criterion": group.criterion.get(lang) if group.criterion else None,
        "categories": [{"id": c.id, "label": c.labels.get(lang)} for c in group.categories],
        "action": i18n.gettext(lang, ACTIONS[group.action]),
        "methods": methods,
        "subjects": _number(group.subjects, lang),
        "pairs": None if group.items is None else _number(group.items, lang),
    }


def bar_chart(bars: list[tuple[str, int]], title: str, lang: Lang) -> str:
    """A horizontal bar chart as inline SVG (no script, no external font)."""
    row, top, left, width = 20, 26, 70, 330
    height = top + row * max(1, len(bars)) + 8
    peak = max((n for _, n in bars), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 90}" '
        f'height="{height}" viewBox="0 0 {left + width + 90} {height}" role="img" '
        f'aria-label="{escape(title)}" font-family="DejaVu Sans, sans-serif">',
        f'<text x="0" y="13" font-size="11" font-weight="bold" fill="#1d2b3a">'
        f'{escape(title)}</text>',
        f'<line x1="{left}" y1="{top - 4}" x2="{left}" y2="{height - 6}" stroke="#6b7785" '
        f'stroke-width="0.8"/>',
    ]
    for i, (label, n) in enumerate(bars):
        y = top + i * row
        length = max(1.5, width * n / peak) if n else 0
        parts.append(f'<text x="{left - 6}" y="{y + 12}" font-size="10" text-anchor="end" '
                     f'fill="#333">{escape(label)}</text>')
        parts.append(f'<rect x="{left}" y="{y + 2}" width="{length:.1f}" height="{row - 7}" '
                     f'fill="#3d5a80"/>')
        parts.append(f'<text x="{left + length + 5:.1f}" y="{y + 12}" font-size="10" '
                     f'fill="#111">{escape(_number(n, lang))}</text>')
    parts.append("</svg>")
    return "".join(parts)


@cache
def _environment() -> jinja2.Environment:
    return package_templates("derbes.retention.adapters.acts")


def _annex(act: Act, budget: int) -> tuple[list[dict[str, Any]], int]:
    printed = 0
    groups = []
    for group in act.groups:
        take = list(group.references[: max(0, budget - printed)])
        printed += len(take)
        groups.append({"no": group.no, "purpose": group.purpose_id, "references": take,
                       "total": len(group.references)})
    return groups, printed


def view(act: Act, lang: Lang | str) -> dict[str, Any]:
    """Everything the template shows, in ``lang``."""
    language = i18n.as_lang(lang)
    rules = load_act_rules()
    zone = ZoneInfo(rules.timezone)
    number = str(act.number)
    annex, printed = _annex(act, rules.printed_references)
    all_refs = sum(len(g.references) for g in act.groups)
    chart_title = _t("chart", language)
    bars = [(f"{_t('group', language)} {g.no}", g.subjects) for g in act.groups]
    operator = act.operator
    totals = act.totals
    stores = sorted({(m.method, m.store) for g in act.groups for m in g.methods if m.store},
                    key=lambda x: (x[1] or "", x[0].value))
    return {
        "lang": language.value,
        "t": {k: i18n.gettext(language, v) for k, v in TEXTS.items()},
        "number": number,
        "date": i18n.format_date(act.act_date, language),
        "operator": {"name": operator.names.get(language), "bin": operator.bin,
                     "address": operator.address.get(language)},
        "responsible": None if act.responsible is None else {
            "role": act.responsible.role.get(language), "name": act.responsible.name,
            "email": act.responsible.email},
        "policy_version": act.policy_version,
        "general_basis": act.general_basis.get(language),
        "general_citation": act.general_citation,
        "anonymisation": act.anonymisation.get(language) if any(
            g.action is AfterRetention.ANONYMISE for g in act.groups) else None,
        "anonymisation_label": i18n.gettext(language, ACTIONS[AfterRetention.ANONYMISE]),
        "logging": act.logging.get(language),
        "run_id": act.run_id,
        "actor": act.actor,
        "as_of": i18n.format_date(act.as_of, language),
        "window": i18n.gettext(language, TEXTS["from_to"]).format(
            start=_when(act.started_at, zone), end=_when(act.finished_at, zone)),
        "groups": [_group_view(g, language) for g in act.groups],
        "chart": bar_chart(bars, chart_title, language) if act.groups else "",
        "methods": [i18n.gettext(language, METHODS[m]) for m in act.methods if not m.in_store],
        "stores": [f"«{s}»: {i18n.gettext(language, METHODS[m])}"
                   for m, s in stores],
        "totals": None if totals is None else {
            "shredded": _number(totals.subjects_shredded, language),
            "partial": _number(totals.subjects_partial, language),
            "values_deleted": _number(totals.values_deleted, language),
            "skipped": _number(totals.items_skipped, language),
            "has_skipped": totals.items_skipped > 0},
        "subjects_total": _number(act.subjects_total, language),
        "references_digest": references_digest(r for g in act.groups for r in g.references),
        "digest": act.digest(),
        "annex": annex,
        "annex_title": i18n.gettext(language, TEXTS["annex"]).format(number=number),
        "printed_note": i18n.gettext(language, TEXTS["printed"]).format(
            printed=_number(printed, language), total=_number(all_refs, language))
        if printed < all_refs else "",
        "commission_lines": list(range(rules.commission_lines)),
    }


def act_json(act: Act) -> dict[str, Any]:
    """The JSON document of an act: its body plus the digest of that body."""
    body = as_dict(act)
    body["sha256"] = act.digest()
    return body


def render_act(act: Act, lang: Lang | str = Lang.RU, fmt: str = "pdf") -> bytes:
    """The act as ``json`` (every language at once), ``html`` or ``pdf`` in ``lang``."""
    if fmt not in FORMATS:
        raise InputError(f"an act is rendered as {', '.join(FORMATS)}", field="format")
    if fmt == "json":
        text = json.dumps(act_json(act), ensure_ascii=False, indent=2, sort_keys=False)
        return (text + "\n").encode("utf-8")
    html = _environment().get_template("act.html.j2").render(v=view(act, lang))
    if fmt == "html":
        return html.encode("utf-8")
    import weasyprint  # Pango and fonts: only PDF needs them

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf

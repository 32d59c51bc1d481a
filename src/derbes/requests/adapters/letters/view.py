"""What a letter to a data subject says, in one language, ready for the template.

The input is a request and its full answer (``requests/service``): ids,
labels in the three languages, retention rules, dates. Here they are turned
into the words of ``lang`` with the shared helpers (``platform/i18n.py``,
``deadlines/model/wording.py``); the template only lays them out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from derbes.deadlines.model.periods import Period
from derbes.deadlines.model.regime import DeadlineOrigin, Regime
from derbes.deadlines.model.wording import DateCase, format_clause, format_date
from derbes.platform import i18n
from derbes.platform.i18n import N_, Lang
from derbes.register.model import register as reg
from derbes.requests.model import RequestState, RequestType, SubjectRequest

TITLES: Mapping[RequestType, str] = {
    RequestType.ACCESS: N_("Answer to your request for access to your personal data"),
    RequestType.RECTIFICATION: N_("Answer to your request to rectify your personal data"),
    RequestType.BLOCKING: N_("Answer to your request to block your personal data"),
    RequestType.DESTRUCTION: N_("Answer to your request to destroy your personal data"),
    RequestType.CONSENT_WITHDRAWAL: N_("Answer to your withdrawal of consent"),
    RequestType.COMPLAINT: N_("Answer to your complaint"),
    RequestType.PRETRIAL_CLAIM: N_("Answer to your pre-trial claim"),
    RequestType.AUTOMATED_OBJECTION: N_(
        "Answer to your objection to automated processing of your personal data"),
}

# Digital Code Art. 43: what the subject may ask about an automated decision.
AUTOMATED_RIGHTS: Mapping[str, str] = {
    "to_be_told": N_("to be told that a decision about you was made by automated means"),
    "explanation": N_("to receive an explanation of such a decision"),
    "human_review": N_("to have such a decision reviewed by a person"),
}
DEFAULT_TERM = N_("The law sets no term: the operator applies this term by default.")
PROMISED_TERM = N_("The operator's own commitment (its policy, %(clause)s).")

SOURCES: Mapping[str, str] = {
    "subject": N_("from you"),
    "credit_bureau": N_("credit bureau"),
    "credit_bureaus": N_("credit bureau"),
    "pension_centre": N_("pension centre"),
    "state_database": N_("state databases"),
    "state_databases": N_("state databases"),
    "operator": N_("created by the operator"),
    "third_party": N_("third parties"),
    "third_parties": N_("third parties"),
    "subject_device": N_("received automatically from your device"),
    "analytics_services": N_("analytics services"),
}

METHODS: Mapping[str, str] = {
    "automated": N_("with automation tools"),
    "manual": N_("without automation tools"),
    "mixed": N_("mixed processing"),
}

OUTCOMES: Mapping[str, str] = {
    "stopped": N_("stopped"),
    "continues": N_("continues"),
}


def _t(lang: Lang, message: str) -> str:
    return i18n.gettext(lang, message)


def _label(labels: Mapping[str, str] | None, lang: Lang, fallback: str) -> str:
    if isinstance(labels, Mapping) and isinstance(labels.get(lang.value), str):
        return str(labels[lang.value])
    return fallback


def _day(value: str | date | None, lang: Lang, case: DateCase = DateCase.NOMINATIVE) -> str:
    """A date in the case its sentence needs (Kazakh: «2 наурызда», «1 қыркүйекке»)."""
    if value is None:
        return ""
    day = value if isinstance(value, date) else datetime.fromisoformat(value).date()
    return format_date(day, lang, case)


# The regime's deadline for stopping processing after a withdrawal (Art. 8 p.7).
STOP_DEADLINE = "consent_withdrawal_stop"


def _regime_cite(regime: Regime | None, deadline_id: str, lang: Lang) -> str:
    deadline = None if regime is None else regime.deadlines.get(deadline_id)
    return "" if deadline is None or deadline.cite is None else deadline.cite.get(lang)


def _deadline_citation(request: SubjectRequest, regime: Regime | None, lang: Lang) -> str:
    """The rule that sets the request's term, in ``lang``: the law's article, or the
    operator's own promise; never an internal note."""
    deadline = None if regime is None else regime.deadlines.get(request.deadline_id)
    if deadline is None:
        return request.deadline_citation if lang is Lang.EN else ""
    cite = deadline.cite or (deadline.default.cite if deadline.default else None)
    parts = [cite.get(lang)] if cite is not None else []
    if deadline.origin is DeadlineOrigin.DEFAULT:
        parts.append(_t(lang, DEFAULT_TERM))
    elif deadline.origin is DeadlineOrigin.PROMISE and deadline.source:
        parts.append(_t(lang, PROMISED_TERM) % {
            "clause": format_clause(deadline.source, lang)})
    return " ".join(parts)


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "—"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _retention(raw: Mapping[str, Any] | None, lang: Lang) -> str:
    if not raw:
        return _t(lang, N_("not stated in the policy"))
    retention = reg.Retention(trigger=reg.RetentionTrigger(raw["trigger"]),
                              period=Period.parse(raw["period"]), citation=raw["citation"],
                              then=reg.AfterRetention(raw.get("then", "destroy")))
    then = i18n.enum_label(retention.then, lang)
    text = f"{i18n.retention_phrase(retention, lang)}, {then}"
    if raw.get("achieved_when"):
        event = i18n.enum_label(reg.AchievedWhen(raw["achieved_when"]), lang)
        text += " (" + _t(lang, N_("the purpose counts as achieved when %(event)s")) % {
            "event": event} + ")"
    return text


def _kept(clock: Mapping[str, Any] | None, lang: Lang) -> str:
    """The date the one clock rule gives (as the sweep), or why there is none yet."""
    if not clock or clock.get("state") is None:
        return ""
    if clock["state"] == "no_end":
        return _t(lang, N_("kept with no end date"))
    if clock.get("until"):
        return _t(lang, N_("kept until %(date)s")) % {"date": _day(clock["until"], lang)}
    return ""


def _source(source: str, lang: Lang) -> str:
    """Every source in the letter's language; one the catalogue does not know is
    named generically rather than shown as an identifier."""
    return _t(lang, SOURCES.get(source, N_("other sources")))


def _recipient_names(register: reg.Register, ids: Sequence[str], lang: Lang) -> list[str]:
    out = []
    for rid in ids:
        recipient = register.recipients.get(rid)
        out.append(recipient.names.get(lang) if recipient else rid)
    return out


def _cited(register: reg.Register, purpose_id: str | None, which: str, given: str | None,
           lang: Lang) -> str:
    """A purpose's basis or retention citation in ``lang``: the register's ru/kk/en form
    when the answer cites what the register says; else the DPO's text, in English only."""
    purpose = register.purposes.get(purpose_id or "")
    if purpose is not None:
        rule = purpose.basis if which == "basis" else purpose.retention
        if rule is not None and rule.cite is not None and given in (None, "", rule.citation):
            return rule.cite.get(lang)
    return (given or "") if lang is Lang.EN else ""


def _purpose_label(register: reg.Register, purpose_id: str | None, lang: Lang) -> str:
    if purpose_id is None:
        return "—"
    purpose = register.purposes.get(purpose_id)
    return purpose.labels.get(lang) if purpose else purpose_id


def build_view(request: SubjectRequest, full: Mapping[str, Any], register: reg.Register,
               lang: Lang, *, regime: Regime | None = None) -> dict[str, Any]:
    """Everything the letter template shows, in ``lang``."""
    operator = register.operator
    view: dict[str, Any] = {
        "lang": lang.value,
        "title": _t(lang, TITLES[request.type]),
        "kind": request.type.value,
        "refused": request.state is RequestState.REFUSED,
        "operator_name": operator.names.get(lang),
        "operator_bin": operator.bin,
        "request_id": request.id,
        "received": _day(request.received_at.date().isoformat(), lang, DateCase.LOCATIVE),
        "due": _day(request.due_date, lang, DateCase.DATIVE),
        "answered": _day(request.closed_at.date() if request.closed_at else None, lang,
                         DateCase.LOCATIVE),
        "deadline_citation": _deadline_citation(request, regime, lang),
        "reasons": list(request.refusal_reasons),
        "held": bool(full.get("held")),
    }
    if request.type is RequestType.ACCESS and view["held"]:
        view.update(_access(full, register, lang))
    elif request.type is RequestType.DESTRUCTION and view["held"]:
        view.update(_destruction(full, register, lang))
    elif request.type is RequestType.CONSENT_WITHDRAWAL and view["held"]:
        view["outcomes"] = [{
            "purpose": _purpose_label(register, o.get("purpose"), lang),
            "status": _t(lang, OUTCOMES.get(o["status"], o["status"])),
            "continues": o["status"] == "continues",
            "citation": o.get("citation") or "",
            "until": _day(o.get("until"), lang, DateCase.DATIVE),
            "stop_by": _day(o.get("stop_by"), lang, DateCase.DATIVE),
            "stop_citation": (_regime_cite(regime, STOP_DEADLINE, lang) or (
                o.get("stop_citation") or "" if lang is Lang.EN else ""))
            if o.get("stop_by") or o.get("stop_citation") else "",
        } for o in full.get("outcomes", [])]
    elif request.type is RequestType.BLOCKING and view["held"]:
        blocked = full.get("blocked", [])
        view["blocked_all"] = "*" in blocked
        view["blocked"] = [register.categories[c].labels.get(lang)
                           if c in register.categories else c for c in blocked if c != "*"]
    elif request.type is RequestType.RECTIFICATION and view["held"]:
        view["changed"] = [register.categories[c].labels.get(lang)
                           if c in register.categories else c for c in full.get("changed", [])]
    elif request.type in (RequestType.COMPLAINT, RequestType.PRETRIAL_CLAIM):
        view["response"] = full.get("response") or ""
    elif request.type is RequestType.AUTOMATED_OBJECTION:
        view["response"] = full.get("explanation") or ""
        view["automated_purposes"] = [_purpose_label(register, p, lang)
                                      for p in full.get("purposes", [])]
        view["automated_rights"] = [_t(lang, AUTOMATED_RIGHTS[r]) for r in full.get("rights", [])
                                    if r in AUTOMATED_RIGHTS]
    return view


def _access(full: Mapping[str, Any], register: reg.Register, lang: Lang) -> dict[str, Any]:
    purposes = []
    for p in full.get("purposes", []):
        if p["id"] in register.purposes and register.assumed(
                f"{register.purpose_path(p['id'])}.retention"):
            # A term the policy does not state is not told as the operator's own.
            p = {**p, "retention": None}
        purposes.append({
            "label": _label(p.get("labels"), lang, p["id"]),
            "basis": i18n.enum_label(reg.BasisKind(p["basis"]), lang),
            "basis_citation": _cited(register, p["id"], "basis", p.get("basis_citation"), lang),
            "retention": _retention(p.get("retention"), lang),
            "kept": _kept(p.get("clock"), lang),
            "retention_citation": _cited(register, p["id"], "retention",
                                         (p.get("retention") or {}).get("citation"), lang),
            "categories": [_label(register.categories[c].labels.as_dict(), lang, c)
                           if c in register.categories else c for c in p.get("categories", [])],
            "recipients": _recipient_names(register, p.get("recipients", []), lang),
        })
    categories = [{
        "label": _label(c.get("labels"), lang, c["id"]),
        "values": [_value(v["value"]) for v in c.get("values", [])],
        "purposes": [_purpose_label(register, pid, lang) for pid in c.get("purposes", [])],
    } for c in full.get("categories", [])]
    transfers_by: dict[str, list[str]] = {}
    for t in full.get("transfers", []):
        transfers_by.setdefault(t["recipient"], []).append(_day(t["at"], lang))
    recipients = [{
        "name": _label(r.get("names"), lang, r["id"]),
        "role": i18n.enum_label(reg.RecipientRole(r["role"]), lang),
        # A country the policy does not state is said to be so, never guessed.
        "country": (i18n.country_name(r["country"], lang) if r.get("country")
                    else _t(lang, N_("not stated in the policy"))),
        "cross_border": bool(r.get("cross_border")),
        "country_stated": bool(r.get("country")),
        "received": transfers_by.get(r["id"], []),
    } for r in full.get("recipients", [])]
    return {
        "categories": categories,
        "purposes": purposes,
        "sources": list(dict.fromkeys(_source(s, lang) for s in full.get("sources", []))),
        "records": [{
            "table": r["table"],
            "columns": [_label(c.get("labels"), lang, c["category"]) for c in r["columns"]],
            "rows": [[_value(v) for v in row] for row in r["rows"]],
        } for r in full.get("records", [])],
        "methods": [_t(lang, METHODS[m]) if m in METHODS else m
                    for m in full.get("methods", [])],
        "recipients": recipients,
        "cross_border": [r for r in recipients if r["cross_border"]],
        # Where the policy names no country, the letter cannot say the data stay home.
        "country_unstated": [r for r in recipients
                             if not r["country_stated"] and not r["cross_border"]],
    }


def _destruction(full: Mapping[str, Any], register: reg.Register, lang: Lang
                 ) -> dict[str, Any]:
    destroyed = [_label(full.get("destroy_labels", {}).get(c), lang, c)
                 for c in full.get("destroy", [])]
    kept = []
    for item in full.get("keep", []):
        for f in item.get("kept_for", []):
            kept.append({
                "category": _label(item.get("labels"), lang, item["category"]),
                "purpose": _label(f.get("labels"), lang, f["purpose"]),
                "ground": _t(lang, N_("obligation under the law")
                             if f["ground"] == "legal_obligation"
                             else N_("an unfulfilled contract with you")),
                "citation": _cited(register, f.get("purpose"), "basis", f.get("citation"),
                                   lang) or _cited(register, f.get("purpose"), "retention",
                                                   f.get("citation"), lang),
                "until": (_day(f.get("until"), lang) if f.get("until")
                          else _retention(f.get("retention"), lang)),
            })
    return {"destroyed": destroyed, "kept": kept, "partial": bool(full.get("partial")),
            "keep_citation": full.get("citation", "")}

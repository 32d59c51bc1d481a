"""What the privacy notice says, in one language, ready for a template.

Everything the notice shows is taken from the loaded register (and the regime
table of deadlines, made stricter by the register's overrides), translated
here; the templates only lay it out. Keeping the wording here lets the HTML,
PDF and Markdown notices say exactly the same thing.

The notice says only what the register states. Where the policy is silent it
says so ("not stated in the policy"); where the policy says there is none, it
says that, with the clause; a modeller's assumption reads as not stated. The
deadlines are the law's and this operator's own promises, cited in the
notice's language. The first layer (``summary.py``) says it all on one page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from derbes.deadlines.model.regime import Regime
from derbes.deadlines.model.wording import DateCase
from derbes.platform import i18n
from derbes.platform.i18n import N_, Lang
from derbes.register.adapters.notice import sections
from derbes.register.adapters.notice import texts as t
from derbes.register.adapters.notice.parts import (
    ChannelView,
    CookieView,
    DeadlineView,
    Field,
    ItemView,
    RecipientView,
    TaskView,
    Words,
)
from derbes.register.adapters.notice.reference import protection_measures
from derbes.register.adapters.notice.summary import SummaryRow, summary
from derbes.register.model import register as reg
from derbes.register.model.loaded import LoadedRegister
from derbes.register.model.statement import Statement

SHORT_SHA = 12

# The detailed sections, in order; a section is numbered only when it is shown.
SECTIONS: tuple[str, ...] = (
    "operator", "purposes", "recipients", "cookies", "consent", "rights", "minors",
    "security", "commitments", "other_law", "processor", "version",
)


@dataclass(frozen=True)
class NoticeView:
    lang: str
    operator_name: str
    version_line: str
    draft: bool
    draft_mark: str
    draft_line: str
    numbers: dict[str, int]
    summary: tuple[SummaryRow, ...]
    operator: tuple[Field, ...]
    tasks: tuple[TaskView, ...]
    recipients: tuple[RecipientView, ...]
    recipients_note: str | None
    any_cross_border: bool
    cookies: tuple[CookieView, ...]
    cookies_note: str | None
    cookies_used: bool  # listed, or said to be used without a list
    cookie_default: str
    cookie_refusal: str
    browser_cookies: str
    consent_channels: tuple[str, ...]
    consent_note: str | None
    separate_scopes: tuple[str, ...]
    withdrawal: str
    withdrawal_limits: str
    rights: tuple[str, ...]
    request_channels: tuple[ChannelView, ...]
    channels_note: str | None
    account_deletion: tuple[ItemView, ...]
    complaint_routes: tuple[ItemView, ...]
    complaints_note: str | None
    deadlines: tuple[DeadlineView, ...]
    minors: tuple[str, ...]
    security: tuple[ItemView, ...]
    security_note: str | None
    security_cite: str | None
    commitments: tuple[ItemView, ...]
    other_law: tuple[ItemView, ...]
    processor_intro: str
    processor_roles: tuple[ItemView, ...]
    policy: tuple[Field, ...]
    editions: tuple[tuple[str, str, str, str], ...]
    sha256: str
    sha_short: str
    generated_line: str


def build_view(loaded: LoadedRegister, regime: Regime, lang: Lang | str,
               *, draft: bool = False) -> NoticeView:
    """The notice of ``loaded`` in ``lang``; ``regime`` already carries the overrides."""
    language = i18n.as_lang(lang)
    r = loaded.register
    w = Words(r, language)
    numbers = _numbers(r)
    sha_short = loaded.sha256[:SHORT_SHA]
    return NoticeView(
        lang=language.value,
        operator_name=r.operator.names.get(language),
        version_line=_version_line(w),
        draft=draft, draft_mark=w(t.DRAFT_MARK), draft_line=w(t.DRAFT_LINE),
        numbers=numbers,
        summary=summary(w, regime, numbers),
        operator=_operator_fields(w),
        tasks=sections.tasks(w),
        recipients=sections.recipients(w),
        recipients_note=w.none_or_silent(r.statement("recipients"), t.NONE_RECIPIENTS,
                                         t.NS_RECIPIENTS),
        any_cross_border=any(sections.stated_cross_border(r, x, f"recipients[{i}]")
                             for i, x in enumerate(r.recipients.values())
                             if r.assumed(f"recipients[{i}]") is None),
        cookies=sections.cookies(w),
        cookies_used=bool(r.cookies) or r.statement("cookies").status is Statement.UNLISTED,
        cookies_note=w.none_or_silent(r.statement("cookies"), t.NONE_COOKIES, t.NS_COOKIES,
                                      t.UNLISTED_COOKIES),
        cookie_default=sections.cookie_default(w),
        cookie_refusal=sections.cookie_refusal(w),
        browser_cookies=w(t.BROWSER_COOKIES),
        consent_channels=tuple(w.label(c) for c in r.consent.channels),
        consent_note=w.none_or_silent(r.statement("consent.channels"),
                                      t.NONE_CONSENT_CHANNELS, t.NS_CONSENT_CHANNELS),
        separate_scopes=tuple(w.label(s) for s in r.consent.separate_scopes),
        withdrawal=w.text(r.consent.withdrawal) or w(t.NS_WITHDRAWAL),
        withdrawal_limits=w(t.WITHDRAWAL_LIMITS),
        rights=sections.rights(w, regime),
        request_channels=sections.request_channels(w),
        channels_note=w.none_or_silent(r.statement("request_channels"),
                                       t.NONE_REQUEST_CHANNELS, t.NS_REQUEST_CHANNELS),
        **_rights_items(w),
        deadlines=sections.deadlines(w, regime),
        minors=_minors(w, regime),
        **_disclosure_items(w),
        policy=_policy_fields(w),
        editions=_editions(w),
        sha256=loaded.sha256,
        sha_short=sha_short,
        generated_line=w(t.GENERATED_LINE) % {"sha": sha_short},
    )


def _rights_items(w: Words) -> dict[str, Any]:
    """Account deletion, complaint routes: how the subject acts on the rights."""
    r, d = w.register, w.register.disclosures
    return {
        "account_deletion": tuple(
            ItemView(w.text(a.how) or "", w.policy_clause(a.source),
                     tuple(w(t.CONDITION) % {"condition": w.text(a.condition)}
                           for _ in (1,) if a.condition is not None))
            for a in d.account_deletion),
        "complaint_routes": tuple(
            ItemView(f"{w.label(c.kind)}: {w.text(c.name)}", w.policy_clause(c.source),
                     tuple(x for x in (w.text(c.address),) if x))
            for c in d.complaint_routes),
        "complaints_note": w.none_or_silent(r.statement("complaint_routes"), t.NS_COMPLAINTS,
                                            t.NS_COMPLAINTS),
    }


def _disclosure_items(w: Words) -> dict[str, Any]:
    """Security measures, commitments, other law, the operator as a processor."""
    r, d = w.register, w.register.disclosures
    return {
        "security": _security(w),
        "security_note": w.none_or_silent(r.statement("security_measures"), t.NONE_SECURITY,
                                          t.NS_SECURITY),
        "security_cite": (w(t.MEASURES_NAMED_AFTER)
                          % {"rules": protection_measures().cite.get(w.lang)}
                          if any(m.measures for m in d.security_measures) else None),
        "commitments": tuple(ItemView(w.text(c.text) or "", w.policy_clause(c.source))
                             for c in d.commitments),
        "other_law": tuple(
            ItemView(w.text(o.law) or "", w.policy_clause(o.source),
                     tuple(x for x in (w.text(o.scope), w.text(o.regulator)) if x))
            for o in d.other_law),
        "processor_intro": w(t.PROCESSOR_INTRO),
        "processor_roles": tuple(
            ItemView(w.text(p.for_whom) or "", w.policy_clause(p.source),
                     tuple(x for x in (w.text(p.processing),) if x))
            for p in d.processor_roles),
    }


def _numbers(r: reg.Register) -> dict[str, int]:
    d = r.disclosures
    optional = {"commitments": bool(d.commitments), "other_law": bool(d.other_law),
                "processor": bool(d.processor_roles)}
    shown = [s for s in SECTIONS if optional.get(s, True)]
    return {s: n for n, s in enumerate(shown, start=1)}


def _version_line(w: Words) -> str:
    policy = w.register.policy
    edition = policy.edition(w.lang)
    version = (w.text(edition.version) if edition and edition.version else None) or (
        w.text(policy.version_labels) or policy.version)
    day = (edition.date if edition and edition.date else None) or policy.date
    if version and day:
        return w(t.VERSION_LINE) % {"version": version,
                                     "date": w.date(day, DateCase.ATTRIBUTIVE)}
    if version:
        return w(t.VERSION_ONLY) % {"version": version}
    if day:
        return w(t.DATED_ONLY) % {"date": w.date(day, DateCase.ATTRIBUTIVE)}
    return w(t.UNVERSIONED)


def _operator_fields(w: Words) -> tuple[Field, ...]:
    op = w.register.operator
    kinds = ", ".join(w.label(k) for k in (op.kind, *op.other_kinds))
    fields = [
        Field(w(N_("Name")), (op.names.get(w.lang),)),
        Field(w(N_("BIN")), (w.said("operator.bin", op.bin),), not_stated=op.bin is None),
        Field(w(N_("Type of activity")), (kinds,)),
    ]
    if op.licence is not None:
        values = {"number": op.licence.number, "issuer": op.licence.issued_by.get(w.lang)}
        if op.licence.issued_on is not None:
            values["date"] = w.date(op.licence.issued_on)
            fields.append(Field(w(N_("Licence")), (w(t.LICENCE_WITH_DATE) % values,)))
        else:
            fields.append(Field(w(N_("Licence")), (w(t.LICENCE) % values,)))
    fields.append(Field(w(N_("Legal address")),
                        (w.said("operator.legal_address", w.text(op.legal_address)),),
                        not_stated=op.legal_address is None))
    contacts = op.contacts
    for label, value in ((w(N_("Postal address")), w.text(contacts.postal_address)),
                         (w(N_("E-mail")), contacts.email), (w(N_("Phone")), contacts.phone),
                         (w(N_("Website")), contacts.website)):
        if value:
            fields.append(Field(label, (value,)))
    person = op.responsible_person
    lines = ([person.role.get(w.lang)] + [x for x in (person.name, person.email, person.phone)
                                          if x]) if person else [w(t.NOT_STATED)]
    fields.append(Field(w(N_("Responsible person")), tuple(lines), not_stated=person is None))
    if op.sites:
        fields.append(Field(w(N_("Websites and services")), op.sites))
    if op.apps:
        fields.append(Field(w(N_("Mobile apps")), op.apps))
    database = op.primary_database_country
    if w.register.assumed("operator.primary_database_country"):
        database = None
    fields.append(Field(w(N_("Location of the primary database")),
                        (w.country(database) if database else w(t.NS_DATABASE),),
                        not_stated=database is None))
    if op.copies_abroad:
        fields.append(Field(w(N_("Additional copies of the database")),
                            tuple(w.country(c) for c in op.copies_abroad)))
    return tuple(fields)


def _minors(w: Words, regime: Regime) -> tuple[str, ...]:
    minors = w.register.minors
    if minors is None or w.register.assumed("minors"):
        return (w(t.NS_MINORS),)
    majority = regime.rules.get("age_of_majority")
    if not minors.processed:
        if minors.age_threshold is None:
            return (w(t.MINORS_NOT_PROCESSED),)
        lines = [w(t.MINORS_NOT_PROCESSED_UNDER) % {"age": minors.age_threshold}]
        if majority is not None and minors.age_threshold < majority.value.value:
            lines.append(w(t.MINORS_UNDER_MAJORITY) % {"majority": majority.value.value})
        return tuple(lines)
    if minors.representative_consent is None:
        return (w(t.MINORS_PROCESSED),)
    return (w(t.MINORS_WITH_REPRESENTATIVE) if minors.representative_consent
            else w(t.MINORS_WITHOUT_REPRESENTATIVE),)


def _security(w: Words) -> tuple[ItemView, ...]:
    known = protection_measures().measures
    out = []
    for m in w.register.disclosures.security_measures:
        mapped = [known[x.value].label.get(w.lang) for x in m.measures if x.value in known]
        details = (w(t.MEASURES_MAP_TO) % {"measures": "; ".join(mapped)},) if mapped else ()
        out.append(ItemView(w.text(m.text) or "", w.policy_clause(m.source), details))
    return tuple(out)


def _policy_fields(w: Words) -> tuple[Field, ...]:
    policy = w.register.policy
    version = w.text(policy.version_labels) or policy.version
    fields = [Field(w(N_("Document")), (policy.title.get(w.lang),))] if policy.title else []
    fields += [
        Field(w(N_("Policy version")), (w.said("policy.version", version),),
              not_stated=version is None),
        Field(w(N_("Date")), (w.said("policy.date", w.date(policy.date) if policy.date else None),),
              not_stated=policy.date is None),
    ]
    approval = policy.approval
    if approval is not None:
        lines = [w.text(approval.body) or ""]
        lines += [x for x in (w.text(approval.document),
                              w.date(approval.date) if approval.date else None,
                              w.text(approval.place)) if x]
        fields.append(Field(w(N_("Approved by")), tuple(lines)))
    if policy.url:
        fields.append(Field(w(N_("Published at")), (policy.url,)))
    change = policy.change
    fields.append(Field(w(N_("How changes are announced")),
                        (change.method.get(w.lang) if change else w(t.NS_CHANGE),),
                        not_stated=change is None))
    return tuple(fields)


def _editions(w: Words) -> tuple[tuple[str, str, str, str], ...]:
    return tuple(
        (i18n.language_name(e.lang, w.lang),
         w.text(e.version) or w(t.NOT_STATED),
         w.date(e.date) if e.date else w(t.NOT_STATED),
         e.url or "")
        for e in w.register.policy.editions
    )

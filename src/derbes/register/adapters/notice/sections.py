"""The detailed sections of the notice: purposes, recipients, cookies, consent,
rights and deadlines. Each states what the register states, or that the policy
does not state it."""

from __future__ import annotations

from derbes.deadlines.model.regime import DeadlineOrigin, Regime
from derbes.deadlines.model.wording import format_deadline
from derbes.platform import i18n
from derbes.platform.i18n import N_
from derbes.register.adapters.notice import texts as t
from derbes.register.adapters.notice.parts import (
    ChannelView,
    CookieView,
    DeadlineView,
    Field,
    PurposeView,
    RecipientView,
    TaskView,
    Words,
)
from derbes.register.model import register as reg
from derbes.register.model.disclosures import CookieDefault

# Deadlines a subject has no use for in the notice: those that run from an event
# inside the operator (a breach detected), not from something the subject does.
INTERNAL_TRIGGERS = frozenset({"detection"})
ACCESS_DEADLINE = "access"
OBJECTION_DEADLINE = "automated_objection"


def tasks(w: Words) -> tuple[TaskView, ...]:
    r = w.register
    views = []
    for task in r.tasks.values():
        shown = [(i, p) for i, p in enumerate(r.purposes.values())
                 if p.task == task.id and r.assumed(f"purposes[{i}]") is None]
        if shown:
            views.append(TaskView(task.labels.get(w.lang),
                                  tuple(purpose(w, p, f"purposes[{i}]") for i, p in shown)))
    return tuple(views)


def _basis_field(w: Words, p: reg.Purpose, path: str) -> Field:
    if p.basis.kind is reg.BasisKind.NOT_STATED or w.register.assumed(f"{path}.basis"):
        return Field(w(N_("Legal basis")), (w(t.NOT_STATED), w(t.NS_BASIS_NOTE)), not_stated=True)
    lines = [w.label(p.basis.kind)]
    lines += [x for x in (w.cite(p.basis.citation, p.basis.cite), w.text(p.basis.note)) if x]
    return Field(w(N_("Legal basis")), tuple(lines))


def _retention_field(w: Words, p: reg.Purpose, path: str) -> Field:
    ret = p.retention
    if ret is None or w.register.assumed(f"{path}.retention"):
        return Field(w(N_("Retention period")), (w(t.NOT_STATED),), not_stated=True)
    lines = [f"{i18n.retention_phrase(ret, w.lang)}; {w.label(ret.then)}"]
    if ret.condition is not None:
        lines.append(w(t.CONDITION) % {"condition": w.text(ret.condition)})
    lines += [x for x in (w.cite(ret.citation, ret.cite), w.text(ret.note)) if x]
    return Field(w(N_("Retention period")), tuple(lines))


def _list_field(w: Words, label: str, values: list[str], path: str) -> Field:
    if not values or w.register.assumed(path):
        return Field(label, (w(t.NOT_STATED),), not_stated=True)
    return Field(label, (", ".join(values),))


def _recipients_field(w: Words, p: reg.Purpose, path: str) -> Field:
    r = w.register
    names = [r.recipients[x].names.get(w.lang) for x in p.recipients
             if r.assumed(r.recipient_path(x)) is None]
    if names:
        return Field(w(N_("Recipients")), ("; ".join(names),))
    if r.statement("recipients").silent or r.assumed(f"{path}.recipients"):
        return Field(w(N_("Recipients")), (w(t.NOT_STATED),), not_stated=True)
    return Field(w(N_("Recipients")), (w(t.PURPOSE_NO_RECIPIENTS),))


def _automated_field(w: Words, p: reg.Purpose, path: str) -> Field:
    label = w(N_("Automated decision-making"))
    if p.automated_decision is None or w.register.assumed(f"{path}.automated_decision"):
        return Field(label, (w(t.NOT_STATED),), not_stated=True)
    return Field(label, (w(t.YES) if p.automated_decision else w(t.NO),))


def purpose(w: Words, p: reg.Purpose, path: str) -> PurposeView:
    r = w.register
    categories = [r.categories[c] for c in p.categories]
    rows = [
        _list_field(w, w(N_("Categories of subjects")),
                    [r.subject_categories[s].labels.get(w.lang) for s in p.subjects],
                    f"{path}.subjects"),
        _basis_field(w, p, path),
        _retention_field(w, p, path),
        _recipients_field(w, p, path),
        _list_field(w, w(N_("Sources of the data")), [w.label(s) for s in p.data_sources],
                    f"{path}.data_sources"),
        _list_field(w, w(N_("Methods of processing")), [w.label(m) for m in p.methods],
                    f"{path}.methods"),
        _automated_field(w, p, path),
    ]
    restrictions = tuple(
        (w(t.USE_RESTRICTED) % {"uses": w.text(x.text)})
        for x in r.disclosures.category_restrictions if x.category in p.categories
    )
    return PurposeView(
        label=p.labels.get(w.lang),
        description=w.text(p.description),
        clause=w.policy_clause(p.source),
        categories=tuple(c.labels.get(w.lang) for c in categories),
        special_categories=tuple(c.sensitivity is reg.Sensitivity.SPECIAL for c in categories),
        exhaustive=p.exhaustive,
        restrictions=restrictions,
        rows=tuple(rows),
    )


def recipients(w: Words) -> tuple[RecipientView, ...]:
    r = w.register
    return tuple(recipient(w, x, f"recipients[{i}]")
                 for i, x in enumerate(r.recipients.values()) if r.assumed(f"recipients[{i}]")
                 is None)


def stated_cross_border(r: reg.Register, x: reg.Recipient, path: str) -> bool:
    """The policy itself puts the recipient abroad (not the modeller's assumption)."""
    country_known = x.country is not None and r.assumed(f"{path}.country") is None
    abroad_stated = x.abroad and r.assumed(f"{path}.abroad") is None
    return (country_known or abroad_stated) and x.cross_border


def recipient(w: Words, x: reg.Recipient, path: str) -> RecipientView:
    r = w.register
    country_known = x.country is not None and r.assumed(f"{path}.country") is None
    cross = stated_cross_border(r, x, path)
    country = [w.country(x.country if country_known else None)]
    cbb = x.cross_border_basis
    if cross:
        country.append(w(N_("Cross-border transfer")))
        if cbb is not None:
            country += [x for x in (w.label(cbb.kind), w.cite(cbb.citation, cbb.cite)) if x]
    basis = (Field(w(N_("Legal basis")), (w(t.NOT_STATED),), not_stated=True)
             if x.basis.kind is reg.BasisKind.NOT_STATED or r.assumed(f"{path}.basis")
             else Field(w(N_("Legal basis")), tuple(
                 y for y in (w.label(x.basis.kind), w.cite(x.basis.citation, x.basis.cite))
                 if y)))
    rows = [Field(w(N_("Role")), (w.label(x.role),)),
            Field(w(N_("Country")), tuple(country), not_stated=not country_known),
            basis,
            _list_field(w, w(N_("Data received")),
                        [r.categories[c].labels.get(w.lang) for c in x.categories],
                        f"{path}.categories")]
    if x.actions:
        rows.append(Field(w(N_("Actions")), (", ".join(w.label(a) for a in x.actions),)))
    if x.safeguards is not None:
        rows.append(Field(w(N_("Safeguards")), (w.text(x.safeguards) or "",)))
    return RecipientView(name=x.names.get(w.lang), cross_border=cross,
                         description=w.text(x.description), is_class=x.is_class,
                         clause=w.policy_clause(x.source), rows=tuple(rows))


def cookies(w: Words) -> tuple[CookieView, ...]:
    r = w.register
    return tuple(
        CookieView(
            name=c.name,
            # A first-party cookie is the operator's by definition; a third party is
            # named only when the policy names it.
            provider=(c.provider or (r.operator.names.get(w.lang)
                                     if c.party is reg.CookieParty.FIRST else w(t.NOT_STATED))),
            category=w.label(c.category),
            party=w.label(c.party),
            lifetime=i18n.format_period(c.lifetime, w.lang),
            purpose=c.purpose.get(w.lang),
        )
        for i, c in enumerate(r.cookies) if r.assumed(f"cookies[{i}]") is None
    )


def cookie_default(w: Words) -> str:
    policy = w.register.disclosures.cookie_policy
    default = None if policy is None else policy.default
    if default is CookieDefault.CONSENT_FIRST:
        return w(t.COOKIES_CONSENT_FIRST)
    if default is CookieDefault.SET_BY_DEFAULT:
        return w(t.COOKIES_BY_DEFAULT)
    return w(t.NS_COOKIE_DEFAULT)


def cookie_refusal(w: Words) -> str:
    policy = w.register.disclosures.cookie_policy
    refusal = None if policy is None else w.text(policy.refusal)
    return refusal or w(t.NS_COOKIE_REFUSAL)


def request_channels(w: Words) -> tuple[ChannelView, ...]:
    return tuple(ChannelView(w.label(c.kind), c.address or w(t.ADDRESS_NOT_STATED),
                             w.text(c.note))
                 for c in w.register.request_channels)


def rights(w: Words, regime: Regime) -> tuple[str, ...]:
    objection = regime.deadlines.get(OBJECTION_DEADLINE)
    found = [w(right) for right in t.RIGHTS] + [w(t.RIGHT_ERASURE)]
    if objection is not None:
        found.append(w(t.RIGHT_AUTOMATED) % {"term": format_deadline(objection.term, w.lang)})
    return tuple(found)


def deadlines(w: Words, regime: Regime) -> tuple[DeadlineView, ...]:
    """The law's deadlines and this operator's own promises; never another operator's."""
    views = []
    for d in regime:
        if d.trigger in INTERNAL_TRIGGERS:
            continue
        if d.origin is DeadlineOrigin.PROMISE and d.operator not in (None, w.register.operator.id):
            continue
        origin: str | None = None
        if d.origin is DeadlineOrigin.DEFAULT:
            origin = w(t.DEADLINE_DEFAULT)
        elif d.origin is DeadlineOrigin.PROMISE:
            clause = w.clause(d.source)
            origin = (w(t.DEADLINE_PROMISE) % {"clause": clause} if clause
                      else w(t.DEADLINE_PROMISE_PLAIN))
        cite = d.cite if d.cite is not None else (d.default.cite if d.default else None)
        views.append(DeadlineView(
            label=d.labels.get(w.lang.value),
            term=format_deadline(d.term, w.lang),
            cite="" if cite is None else cite.get(w.lang),
            origin=origin,
        ))
    return tuple(views)

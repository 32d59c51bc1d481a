"""The first layer of the notice: one page in plain words, linking to the details.

Who, what, why, for how long, to whom, the subject's rights and how to use
them. Every line is drawn from the register (or says the policy does not
state it), like the detailed sections it links to.
"""

from __future__ import annotations

from dataclasses import dataclass

from derbes.deadlines.model.periods import Period
from derbes.deadlines.model.regime import DeadlineOrigin, Regime
from derbes.deadlines.model.wording import format_deadline
from derbes.platform import i18n
from derbes.register.adapters.notice import texts as t
from derbes.register.adapters.notice.parts import Words
from derbes.register.adapters.notice.reference import category_groups, group_of
from derbes.register.adapters.notice.sections import ACCESS_DEADLINE

MAX_CHANNELS = 3


@dataclass(frozen=True)
class SummaryRow:
    label: str
    lines: tuple[str, ...]
    anchor: str  # the detailed section it links to
    link: str  # "Details: section 2"


def _who(w: Words) -> tuple[str, ...]:
    op = w.register.operator
    name = op.names.get(w.lang)
    bin_line = f"{w('BIN')}: {w.said('operator.bin', op.bin)}"
    contacts = [x for x in (op.contacts.email, op.contacts.phone, op.contacts.website) if x]
    return (name, bin_line, *([", ".join(contacts)] if contacts else []))


def _what(w: Words) -> tuple[str, ...]:
    if not w.register.used_categories:
        return (w(t.NS_CATEGORIES),)
    groups = category_groups()
    seen: dict[str, str] = {}
    for category in sorted(w.register.used_categories):
        key = group_of(category)
        seen.setdefault(key, groups[key].get(w.lang))
    ordered = [label for key, label in seen.items() if key != "other"]
    ordered += [seen["other"]] if "other" in seen else []
    return ("; ".join(ordered) + ".",)


def _why(w: Words) -> tuple[str, ...]:
    r = w.register
    used = {p.task for p in r.purposes.values()}
    return ("; ".join(task.labels.get(w.lang) for task in r.tasks.values() if task.id in used)
            + ".",)


def _how_long(w: Words) -> tuple[str, ...]:
    r = w.register
    periods: list[Period] = []
    silent = 0
    for i, p in enumerate(r.purposes.values()):
        if p.retention is None or r.assumed(f"purposes[{i}].retention"):
            silent += 1
        else:
            periods.append(p.retention.period)
    if not periods:
        return (w(t.SUMMARY_NONE_STATED),)
    shortest = min(periods, key=lambda x: x.approx_days)
    longest = max(periods, key=lambda x: x.approx_days)
    if shortest == longest:
        text = w(t.SUMMARY_ONE) % {"period": i18n.format_period(shortest, w.lang)}
    else:
        text = w(t.SUMMARY_RANGE) % {"shortest": i18n.format_period(shortest, w.lang),
                                     "longest": i18n.format_period(longest, w.lang)}
    if silent:
        text += "; " + w(t.SUMMARY_SOME_NOT_STATED)
    return (text[:1].upper() + text[1:] + ".",)


def _to_whom(w: Words) -> tuple[str, ...]:
    r = w.register
    said = w.none_or_silent(r.statement("recipients"), t.NONE_RECIPIENTS, t.NS_RECIPIENTS)
    if said is not None:
        return (said,)
    shown = [(i, x) for i, x in enumerate(r.recipients.values())
             if r.assumed(f"recipients[{i}]") is None]
    roles = list(dict.fromkeys(w.label(x.role).lower() for _, x in shown))
    lines = [w(t.SUMMARY_RECIPIENTS) % {"count": len(shown), "roles": ", ".join(roles)}]
    # A country the modeller assumed is not the operator's statement.
    stated = {i: x.country for i, x in shown
              if x.country is not None and r.assumed(f"recipients[{i}].country") is None}
    abroad = sorted({c for c in stated.values() if c != "KZ"})
    if abroad:
        countries = ", ".join(w.country(c) for c in abroad)
        lines.append(w(t.SUMMARY_ABROAD) % {"countries": countries})
    if len(stated) < len(shown):
        lines.append(w(t.SUMMARY_COUNTRY_NOT_STATED))
    return (" ".join(lines),)


def _how(w: Words, regime: Regime) -> tuple[str, ...]:
    r = w.register
    lines: list[str] = []
    if r.request_channels:
        channels = [f"{w.label(c.kind)}: {c.address or w(t.ADDRESS_NOT_STATED)}"
                    for c in r.request_channels[:MAX_CHANNELS]]
        lines.append(f"{w(t.SUMMARY_SEND)} {'; '.join(channels)}.")
    else:
        lines.append(w(t.NS_REQUEST_CHANNELS))
    access = regime.deadlines.get(ACCESS_DEADLINE)
    if access is not None:
        lines.append(w(t.SUMMARY_ANSWER) % {"term": format_deadline(access.term, w.lang)})
        if access.origin is DeadlineOrigin.DEFAULT:
            lines.append(w(t.DEADLINE_DEFAULT))
    return tuple(lines)


def summary(w: Words, regime: Regime, numbers: dict[str, int]) -> tuple[SummaryRow, ...]:
    def row(label: str, lines: tuple[str, ...], anchor: str) -> SummaryRow:
        return SummaryRow(w(label), lines, anchor,
                          w(t.SUMMARY_DETAILS) % {"n": numbers[anchor]})

    return (
        row(t.SUMMARY_WHO, _who(w), "operator"),
        row(t.SUMMARY_WHAT, _what(w), "purposes"),
        row(t.SUMMARY_WHY, _why(w), "purposes"),
        row(t.SUMMARY_HOW_LONG, _how_long(w), "purposes"),
        row(t.SUMMARY_TO_WHOM, _to_whom(w), "recipients"),
        row(t.SUMMARY_RIGHTS, (w(t.SUMMARY_RIGHTS_TEXT),), "rights"),
        row(t.SUMMARY_HOW, _how(w, regime), "rights"),
    )

"""The regime table: every statutory deadline and named rule with its citation.

The default regime ships as data (``data/regime.yaml``) so a DPO can correct a
term or a citation without a release; an operator's register may make a
deadline stricter (shorter) but never looser (``apply_overrides``). This
module takes already-parsed dicts; reading files is the adapters' job.

Every deadline says where it comes from (:class:`DeadlineOrigin`): the law
(with its article), a configurable default where the law sets no term (said so
honestly), or — only after a register's overrides are applied — the promise of
that one operator's policy. The shipped table holds no operator's promise, so
an operator's notice and letters show the law and that operator's own promises
only. ``cite`` is the citation a customer reads (ru/kk/en); ``citation``,
``check`` and ``note`` are for the DPO and never reach customer text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from derbes.deadlines.model.calendar import (
    CountingRule,
    CountingRules,
    DueDate,
    WorkingCalendar,
    due_date,
)
from derbes.deadlines.model.periods import Period, Unit
from derbes.errors import InputError, NotFoundError, PeriodError
from derbes.platform.labels import Labels


class RegimeError(InputError):
    """The regime table or an override of it is invalid."""

    title = "Invalid regime table"


class LooserOverrideError(RegimeError):
    """An override would make a deadline longer than the law or the default allows."""

    title = "Override is looser than the default regime"

    def __init__(self, deadline: str, default: Period, proposed: Period, citation: str) -> None:
        super().__init__(
            f"deadline {deadline!r}: {proposed} is not provably at most {default} "
            f"(default regime: {citation}); a register may only shorten a deadline",
            field=deadline,
        )
        self.deadline = deadline
        self.default = default
        self.proposed = proposed


class DeadlineOrigin(StrEnum):
    LAW = "law"  # the law sets the term (cite the article)
    DEFAULT = "default"  # not in the law: a configurable default of derbes
    PROMISE = "promise"  # an operator's own, stricter promise (from its register)


@dataclass(frozen=True)
class Deadline:
    """A term the operator must meet, counted from ``trigger`` (receipt, detection…)."""

    id: str
    labels: Labels
    term: Period
    citation: str
    check: bool = False
    note: str = ""
    trigger: str = "receipt"
    # The default this deadline replaced, when a register made it stricter.
    default: Deadline | None = None
    origin: DeadlineOrigin = DeadlineOrigin.LAW
    cite: Labels | None = None  # what a customer reads, ru/kk/en
    operator: str | None = None  # whose promise (origin PROMISE)
    source: str | None = None  # the clause of that operator's policy


@dataclass(frozen=True)
class Rule:
    """A named period that is not a deadline (cookie lifetime, age of majority)."""

    id: str
    labels: Labels
    value: Period
    citation: str
    check: bool = False
    note: str = ""
    origin: DeadlineOrigin = DeadlineOrigin.LAW
    cite: Labels | None = None


@dataclass(frozen=True)
class RegimeOverride:
    """A register's stricter term for one deadline, with the citation that sets it."""

    deadline: str
    term: Period
    citation: str
    cite: Labels | None = None
    source: str | None = None


class OverrideLike(Protocol):
    """Anything carrying a deadline id, a term and a citation (the register's
    ``RegimeOverride`` in ``register/model/register.py`` has this shape too)."""

    @property
    def deadline(self) -> str: ...

    @property
    def term(self) -> Period: ...

    @property
    def citation(self) -> str: ...

    @property
    def cite(self) -> Labels | None: ...

    @property
    def source(self) -> str | None: ...


_Found = TypeVar("_Found")


def _known(table: Mapping[str, _Found], wanted: str, kind: str) -> _Found:
    """The ``kind`` (a deadline, a rule) ``wanted`` in the regime; refused with the ids
    it knows."""
    try:
        return table[wanted]
    except KeyError:
        raise NotFoundError(f"no {kind} {wanted!r} in the regime; known: {', '.join(table)}",
                            field=kind) from None


@dataclass(frozen=True)
class Regime:
    deadlines: Mapping[str, Deadline]
    counting: CountingRules
    rules: Mapping[str, Rule] = field(default_factory=dict)

    def __getitem__(self, deadline_id: str) -> Deadline:
        return _known(self.deadlines, deadline_id, "deadline")

    def __iter__(self) -> Iterator[Deadline]:
        return iter(self.deadlines.values())

    def __len__(self) -> int:
        return len(self.deadlines)

    def rule(self, rule_id: str) -> Rule:
        return _known(self.rules, rule_id, "rule")

    def due_date(
        self, deadline_id: str, received_at: datetime, calendar: WorkingCalendar
    ) -> DueDate:
        """When ``deadline_id`` ends for something received (detected…) at ``received_at``."""
        deadline = self[deadline_id]
        return due_date(
            received_at,
            deadline.term,
            calendar,
            counting=self.counting,
            citations=(deadline.citation,),
        )


# --- strictness -------------------------------------------------------------

# Bound on weekdays that are days off (holidays, moved and decreed days off) in
# any 4 weeks. The densest Kazakhstan stretches so far hold 4 (March 2026: 9,
# 23, 24, 25 Mar; May 2026: 1, 7, 11, 27 May); 5 leaves room for a decree.
# This is an engineering margin for comparing units, not a legal period.
_WEEKDAY_DAYS_OFF_PER_4_WEEKS = 5
_DAYS_PER_4_WEEKS = 28
_WORKDAYS_PER_WEEK = 5
_DAYS_PER_WEEK = 7


def _span_bounds(term: Period) -> tuple[int, int]:
    """Shortest and longest calendar span, from the start day to the term's end,
    before a calendar-day end is moved off a day off."""
    n = term.value
    match term.unit:
        case Unit.DAYS:
            return n, n
        case Unit.MONTHS:
            return 28 * n, 31 * n
        case Unit.YEARS:
            return 365 * n, 366 * n
        case Unit.WORKING_DAYS:
            # At least n calendar days. At most: the weeks n weekdays need,
            # after adding the weekday days off that can fall in that many weeks.
            weeks = math.ceil(n / _WORKDAYS_PER_WEEK)
            days_off = _WEEKDAY_DAYS_OFF_PER_4_WEEKS * math.ceil(
                weeks * _DAYS_PER_WEEK / _DAYS_PER_4_WEEKS
            )
            return n, _DAYS_PER_WEEK * math.ceil((n + days_off) / _WORKDAYS_PER_WEEK)
    raise AssertionError(f"unhandled unit {term.unit}")  # pragma: no cover


def is_provably_not_longer(proposed: Period, default: Period) -> bool:
    """True when ``proposed`` can never end after ``default`` for the same start.

    Same unit (and months vs years) compare exactly. Across units we compare
    the longest possible span of ``proposed`` with the shortest of ``default``:
    N working days last at least N calendar days, so "15 working days" is never
    at most "15 days"; and they can last longer than 7/5·N days when holidays
    fall in the window, so "10 working days" vs "15 days" is ambiguous and
    refused. The comparison stays sound although calendar-day terms ending on a
    day off move to the next working day: that move is monotonic and never
    passes a working-day term's end, which is itself a working day.
    """
    if proposed.unit == default.unit:
        return proposed.value <= default.value
    months = {Unit.MONTHS: 1, Unit.YEARS: 12}
    if proposed.unit in months and default.unit in months:
        return proposed.value * months[proposed.unit] <= default.value * months[default.unit]
    return _span_bounds(proposed)[1] <= _span_bounds(default)[0]


def apply_overrides(
    regime: Regime, overrides: Iterable[OverrideLike], operator: str | None = None
) -> Regime:
    """A regime with the register's stricter terms; raise on a looser or unknown one.

    Each overridden deadline becomes the promise of ``operator`` (its register's
    citation, clause and customer wording); the statutory default stays in
    ``default``.
    """
    deadlines = dict(regime.deadlines)
    for override in overrides:
        current = deadlines.get(override.deadline)
        if current is None:
            raise RegimeError(
                f"override of unknown deadline {override.deadline!r}; "
                f"known: {', '.join(regime.deadlines)}",
                field=override.deadline,
            )
        if not override.citation.strip():
            raise RegimeError(
                f"override of {override.deadline!r} needs the citation that sets it",
                field=override.deadline,
            )
        # Compare with the statutory default, not only with an earlier override,
        # so two overrides of one deadline cannot ratchet it past the default.
        base = current.default or current
        for reference in (base, current):
            if not is_provably_not_longer(override.term, reference.term):
                raise LooserOverrideError(
                    override.deadline, reference.term, override.term, reference.citation
                )
        deadlines[override.deadline] = replace(
            base, term=override.term, citation=override.citation, default=base,
            origin=DeadlineOrigin.PROMISE, cite=override.cite, operator=operator,
            source=override.source, check=False, note="",
        )
    return replace(regime, deadlines=deadlines)


# --- loading ------------------------------------------------------------------


def regime_from_dict(data: object) -> Regime:
    """Build a ``Regime`` from the parsed regime YAML; every problem is reported."""
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise RegimeError("the regime table must be a mapping with 'counting' and 'deadlines'")

    counting = _counting(data.get("counting"), problems)

    deadlines: dict[str, Deadline] = {}
    raw_deadlines = data.get("deadlines")
    if not isinstance(raw_deadlines, Mapping) or not raw_deadlines:
        problems.append("deadlines: expected a non-empty mapping of id -> deadline")
    else:
        for key, item, said in _entries(raw_deadlines, "deadlines", "term", problems):
            labels, term, citation, check, note, extra = item
            deadlines[key] = Deadline(key, labels, term, citation, check, note,
                                      trigger=str(extra.get("trigger") or "receipt"),
                                      origin=said[0], cite=said[1])

    rules: dict[str, Rule] = {}
    raw_rules = data.get("rules", {})
    if not isinstance(raw_rules, Mapping):
        problems.append("rules: expected a mapping of id -> rule")
    else:
        for key, item, said in _entries(raw_rules, "rules", "value", problems):
            labels, value, citation, check, note, _ = item
            rules[key] = Rule(key, labels, value, citation, check, note,
                              origin=said[0], cite=said[1])

    if problems or counting is None:
        raise RegimeError("; ".join(problems))
    return Regime(deadlines=deadlines, counting=counting, rules=rules)


_Entry = tuple[Labels, Period, str, bool, str, Mapping[str, Any]]
"""An entry's labels, term (or value), citation, check flag, note and the whole entry."""


def _entries(
    raw_section: Mapping[Any, object], section: str, term_key: str, problems: list[str]
) -> Iterator[tuple[str, _Entry, tuple[DeadlineOrigin, Labels]]]:
    """The well-formed entries of a section of the table (``deadlines``, ``rules``), each
    with where it comes from; what is wrong with the others goes to ``problems``."""
    for key, raw in raw_section.items():
        item = _entry(str(key), raw, term_key, section, problems)
        said = _origin_and_cite(f"{section}.{key}", raw, problems)
        if item is not None and said is not None:
            yield str(key), item, said


def _entry(
    key: str, raw: object, term_key: str, section: str, problems: list[str]
) -> _Entry | None:
    where = f"{section}.{key}"
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: expected a mapping")
        return None
    before = len(problems)
    labels: Labels | None = None
    try:
        labels = Labels.from_mapping(raw.get("label"), where=f"{where}.label")
    except InputError as exc:
        problems.append(exc.message)
    term: Period | None = None
    try:
        term = Period.parse(str(raw.get(term_key, "")))
    except PeriodError as exc:
        problems.append(f"{where}.{term_key}: {exc.message}")
    citation = raw.get("citation")
    if not isinstance(citation, str) or not citation.strip():
        problems.append(f"{where}.citation: every term needs its citation")
    check = raw.get("check", False)
    if not isinstance(check, bool):
        problems.append(f"{where}.check: expected true or false")
    if len(problems) > before or labels is None or term is None:
        return None
    return labels, term, str(citation).strip(), bool(check), str(raw.get("note") or ""), raw


def _origin_and_cite(
    where: str, raw: object, problems: list[str]
) -> tuple[DeadlineOrigin, Labels] | None:
    """Where a term of the shipped table comes from, and its citation for customers.

    The table holds the law and derbes' defaults only: an operator's promise
    belongs in that operator's register (``regime_overrides``), or it would be
    cited in every other operator's notice.
    """
    if not isinstance(raw, Mapping):
        return None
    origin = raw.get("origin")
    allowed = (DeadlineOrigin.LAW.value, DeadlineOrigin.DEFAULT.value)
    if origin not in allowed:
        problems.append(f"{where}.origin: expected one of {', '.join(allowed)} "
                        "(an operator's promise goes in its register's regime_overrides)")
        return None
    try:
        cite = Labels.from_mapping(raw.get("cite"), where=f"{where}.cite")
    except InputError as exc:
        problems.append(exc.message)
        return None
    return DeadlineOrigin(origin), cite


def _counting(raw: object, problems: list[str]) -> CountingRules | None:
    if not isinstance(raw, Mapping):
        problems.append("counting: expected timezone and the rules of counting terms")
        return None
    timezone = raw.get("timezone")
    if not isinstance(timezone, str) or not timezone:
        problems.append("counting.timezone: expected a zone name such as Asia/Almaty")
    rules: dict[str, CountingRule] = {}
    for name in ("start_next_day", "end_on_non_working_day", "working_days"):
        item = raw.get(name)
        citation = item.get("citation") if isinstance(item, Mapping) else None
        if not isinstance(citation, str) or not citation.strip():
            problems.append(f"counting.{name}.citation: missing")
            continue
        assert isinstance(item, Mapping)
        rules[name] = CountingRule(citation.strip(), bool(item.get("check", False)))
    if len(rules) < 3 or not isinstance(timezone, str) or not timezone:
        return None
    return CountingRules(timezone=timezone, **rules)


def regime_as_dict(regime: Regime) -> dict[str, Any]:
    """A JSON-ready view of the regime (for the CLI and the API)."""

    def deadline(d: Deadline) -> dict[str, Any]:
        return {
            "id": d.id,
            "label": d.labels.as_dict(),
            "term": str(d.term),
            "unit": d.term.unit.value,
            "value": d.term.value,
            "trigger": d.trigger,
            "citation": d.citation,
            "check": d.check,
            "note": d.note,
            "origin": d.origin.value,
            "cite": None if d.cite is None else d.cite.as_dict(),
            "operator": d.operator,
            "default": None
            if d.default is None
            else {"term": str(d.default.term), "citation": d.default.citation},
        }

    return {
        "counting": {
            "timezone": regime.counting.timezone,
            "start_next_day": regime.counting.start_next_day.citation,
            "end_on_non_working_day": regime.counting.end_on_non_working_day.citation,
            "working_days": regime.counting.working_days.citation,
        },
        "deadlines": [deadline(d) for d in regime],
        "rules": [
            {
                "id": r.id,
                "label": r.labels.as_dict(),
                "value": str(r.value),
                "citation": r.citation,
                "check": r.check,
                "note": r.note,
            }
            for r in regime.rules.values()
        ],
    }

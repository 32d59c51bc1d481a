"""Retention: when each purpose's clock ends, when each category is due, holds.

Pure rules (Law 94-V Art. 12: PD are kept no longer than the purposes of their
collection require; Art. 18: destroyed when the term runs out). The register
gives every purpose a retention rule — a trigger (contract closed, purpose
achieved, consent withdrawn…), a period and the citation that sets it, and
what happens then (destroy or anonymise).

* A **purpose clock** (subject × purpose) is *running* while its trigger has
  not happened (the contract is still open); once it has, the purpose
  *retains* the data until ``end_date`` = trigger date + period (working days
  counted on the working calendar), the last day the data may be kept.
* A **category clock** (subject × category) keeps the category until the
  latest end of the purposes that need it; any running purpose keeps it
  indefinitely (``keep_until`` None). A legal hold (court decision, AML
  investigation) covering it pushes ``keep_until`` to the hold's end, or to
  None while the hold has no end.
* A category is **due** on ``as_of`` when ``keep_until < as_of``: the day after
  the last day of retention.

The engine (``retention/service/sweep.py``) stores both kinds of clocks so that a
plan is one indexed range query on ``keep_until``; after a completed run it
hands a :class:`RunSummary` to the destruction act (``retention/service/acts.py``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from derbes.deadlines.model.periods import Period
from derbes.errors import InputError
from derbes.register.model.register import AfterRetention, Register, Retention
from derbes.retention.model.clocks import CalendarFor, ClockState, PurposeClock, end_date

__all__ = [
    "STORE_GROUP_PREFIX",
    "CalendarFor",
    "CategoryClock",
    "ClockState",
    "DestructionMethod",
    "HoldKind",
    "LegalHold",
    "LegalMinimum",
    "PurposeClock",
    "RetentionRules",
    "RunGroup",
    "RunRecord",
    "RunState",
    "RunSummary",
    "StoreErasure",
    "category_clocks",
    "check_minimums",
    "due_histogram",
    "end_date",
    "expired_purposes",
    "is_due",
    "method_of",
    "new_hold",
]

MAX_TEXT = 1000  # characters of a hold's basis or author

# Subjects per transaction of the sweep: large enough to amortise a commit,
# small enough that a crash or a lock holds little back.
DEFAULT_BATCH = 1000
MAX_BATCH = 50_000


class DestructionMethod(StrEnum):
    """What the sweep does with a due category (the register's ``then``)."""

    DESTROY = "destroy"  # crypto-shred in the vault, delete in connected databases
    ANONYMISE = "anonymise"  # Law 94-V Art. 1: no longer attributable to the subject


class RunState(StrEnum):
    RUNNING = "running"  # items created, batches being worked (or killed: resume)
    COMPLETED = "completed"  # every item done or skipped; the act is issued


class HoldKind(StrEnum):
    """Why destruction is suspended (a legal hold stops everything it covers)."""

    COURT_DECISION = "court_decision"
    AML_INVESTIGATION = "aml_investigation"  # AML Law 191-IV: materials kept for the FMA
    STATE_BODY_REQUEST = "state_body_request"
    LITIGATION = "litigation"
    OTHER = "other"


# ------------------------------------------------------------------ run summary


@dataclass(frozen=True)
class RunGroup:
    """Everything a run destroyed (or anonymised) under one retention rule.

    One group per (purpose, retention citation, method): the purpose whose
    retention ended last for these categories is the legal basis of their
    destruction (``governing`` purpose). ``subject_ids`` are internal ids;
    the act turns them into pseudonymous references.
    """

    purpose: str
    citation: str  # of the purpose's retention rule, as in the register
    trigger: str  # RetentionTrigger value, or "legal_hold" never (holds stop, not start)
    period: str  # e.g. "3 years"
    method: DestructionMethod
    categories: tuple[str, ...]
    subject_ids: tuple[str, ...]
    items: int  # (subject, category) pairs destroyed in this group

    @property
    def subjects(self) -> int:
        return len(self.subject_ids)


@dataclass(frozen=True)
class StoreErasure:
    """What a run changed in one connected operator database (its dataset strategies)."""

    store: str
    rows_deleted: int = 0
    rows_updated: int = 0


# Key prefix of the per-store counters kept beside the purpose groups of a run.
STORE_GROUP_PREFIX = "@store:"


@dataclass(frozen=True)
class RunSummary:
    """A completed run of the retention sweep: what the destruction act records."""

    run_id: str
    operator_id: str
    as_of: date  # categories whose retention ended before this day were due
    started_at: datetime
    finished_at: datetime
    actor: str
    groups: tuple[RunGroup, ...]
    subjects_shredded: int  # every category due: data key destroyed, tombstone kept
    subjects_partial: int  # some categories due: survivors re-sealed under a new key
    values_deleted: int  # vault rows deleted
    items_skipped: int = 0  # due at planning, covered by a hold (or gone) when reached
    stores: tuple[StoreErasure, ...] = ()  # connected operator databases, per store

    @property
    def subjects(self) -> int:
        return self.subjects_shredded + self.subjects_partial

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(sorted({c for g in self.groups for c in g.categories}))

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "operator_id": self.operator_id,
            "as_of": self.as_of.isoformat(), "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(), "actor": self.actor,
            "subjects_shredded": self.subjects_shredded,
            "subjects_partial": self.subjects_partial,
            "values_deleted": self.values_deleted, "items_skipped": self.items_skipped,
            "groups": [{
                "purpose": g.purpose, "citation": g.citation, "trigger": g.trigger,
                "period": g.period, "method": g.method.value,
                "categories": list(g.categories), "subjects": g.subjects, "items": g.items,
            } for g in self.groups],
            "stores": [{"store": x.store, "rows_deleted": x.rows_deleted,
                        "rows_updated": x.rows_updated} for x in self.stores],
        }


@dataclass(frozen=True)
class RunRecord:
    """A run of the sweep as stored: its state and progress counters."""

    id: str
    operator_id: str
    as_of: date
    state: RunState
    actor: str
    batch_size: int
    started_at: datetime
    finished_at: datetime | None = None
    subjects_total: int = 0
    subjects_done: int = 0
    subjects_shredded: int = 0
    subjects_partial: int = 0
    subjects_skipped: int = 0
    values_deleted: int = 0
    act_id: str | None = None
    # governing purpose ("" if none) -> category -> (subject, category) pairs destroyed
    groups: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "operator_id": self.operator_id, "as_of": self.as_of.isoformat(),
            "state": self.state.value, "actor": self.actor, "batch_size": self.batch_size,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "subjects_total": self.subjects_total, "subjects_done": self.subjects_done,
            "subjects_shredded": self.subjects_shredded,
            "subjects_partial": self.subjects_partial,
            "subjects_skipped": self.subjects_skipped,
            "values_deleted": self.values_deleted, "act_id": self.act_id,
            "groups": {p: dict(c) for p, c in self.groups.items()},
        }


# ---------------------------------------------------------------------- holds


@dataclass(frozen=True)
class LegalHold:
    """A hold on a subject's data (all categories, or ``categories``)."""

    hold_id: str
    subject_id: str
    kind: HoldKind
    basis: str  # the court decision / investigation reference (no PD)
    set_by: str  # who ordered or entered it
    set_at: datetime
    until: date | None = None  # None: until released
    categories: frozenset[str] | None = None  # None: every category
    released_at: datetime | None = None
    released_by: str | None = None

    @property
    def active(self) -> bool:
        return self.released_at is None

    def covers(self, category: str) -> bool:
        return self.active and (self.categories is None or category in self.categories)


def _text(value: object, what: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InputError(f"a legal hold needs its {what}", field=f"data.{what}")
    if len(text) > MAX_TEXT:
        raise InputError(f"{what} is longer than {MAX_TEXT} characters", field=f"data.{what}")
    return text


def new_hold(
    hold_id: str, subject_id: str, data: Mapping[str, Any], set_at: datetime,
    known_categories: Collection[str],
) -> LegalHold:
    """A checked hold from a ``legal_hold_set`` event's data.

    ``basis`` (the decision or investigation it rests on) and ``set_by`` are
    required: a hold without a basis would keep PD without a legal ground.
    """
    basis = _text(data.get("basis"), "basis")
    who = _text(data.get("set_by"), "set_by")
    try:
        kind = HoldKind(data.get("kind", HoldKind.OTHER.value))
    except ValueError:
        allowed = ", ".join(k.value for k in HoldKind)
        raise InputError(f"unknown hold kind: use one of {allowed}", field="data.kind") from None
    until_text = data.get("until")
    until: date | None = None
    if until_text is not None:
        try:
            until = date.fromisoformat(str(until_text))
        except ValueError:
            raise InputError("until must be a date (YYYY-MM-DD)", field="data.until") from None
        if until < set_at.date():
            raise InputError("a hold cannot end before it is set", field="data.until")
    raw = data.get("categories")
    categories: frozenset[str] | None = None
    if raw is not None:
        if not isinstance(raw, list) or not raw or not all(isinstance(c, str) for c in raw):
            raise InputError("categories must be a non-empty list of category ids",
                             field="data.categories")
        unknown = sorted(set(raw) - set(known_categories))
        if unknown:
            raise InputError(f"unknown categories: {', '.join(unknown)}",
                             field="data.categories")
        categories = frozenset(raw)
    return LegalHold(hold_id=hold_id, subject_id=subject_id, kind=kind, basis=basis,
                     set_by=who, set_at=set_at, until=until, categories=categories)


# --------------------------------------------------------------------- clocks
# The purpose clocks themselves (when each purpose's term starts and ends) are
# the one rule of ``retention/model/clocks.py``; here they are combined per category.


@dataclass(frozen=True)
class CategoryClock:
    """How long one category of one subject is kept, and why.

    ``keep_until`` None: kept indefinitely for now (a purpose still running,
    or a hold without an end). ``purpose`` is the purpose whose retention ends
    last (the legal basis of the eventual destruction), ``held`` says a hold
    decides ``keep_until``.
    """

    category: str
    keep_until: date | None
    purpose: str | None
    held: bool = False


def category_clocks(
    register: Register,
    held_categories: Collection[str],
    clocks: Iterable[PurposeClock],
    holds: Iterable[LegalHold] = (),
) -> tuple[CategoryClock, ...]:
    """One clock per held category, from the purpose clocks and the active holds.

    A category no engaged purpose needs is kept (``keep_until`` None): nothing
    in the register says when it goes, and a person decides, not the sweep.
    """
    by_purpose = {c.purpose: c for c in clocks}
    active = [h for h in holds if h.active]
    out = []
    for category in sorted(set(held_categories)):
        needing = [by_purpose[p.id] for p in register.purposes_for_category(category)
                   if p.id in by_purpose]
        keep: date | None = None
        governing: str | None = None
        if needing and all(c.end_date is not None for c in needing):
            last = max(needing, key=lambda c: (c.end_date, c.purpose))
            keep, governing = last.end_date, last.purpose
        elif needing:
            # A purpose with no end date at all governs before one still running:
            # the plan shows the category as kept with no end date (lint DRB001).
            open_ended = [c for c in needing if c.end_date is None]
            governing = next((c.purpose for c in open_ended if c.state is ClockState.NO_END),
                             open_ended[0].purpose)
        held = False
        for hold in active:
            if not hold.covers(category) or keep is None:
                continue
            if hold.until is None:
                keep, held = None, True
            elif hold.until > keep:
                keep, held = hold.until, True
        if keep is None and any(h.covers(category) for h in active):
            held = True
        out.append(CategoryClock(category, keep, governing, held))
    return tuple(out)


def is_due(keep_until: date | None, as_of: date) -> bool:
    """Due: the last day of retention (and of any hold) is before ``as_of``."""
    return keep_until is not None and keep_until < as_of


def expired_purposes(clocks: Iterable[PurposeClock], day: date) -> frozenset[str]:
    """Purposes whose retention is over on ``day``: no use of their data any more."""
    return frozenset(c.purpose for c in clocks if c.expired_on(day))


def method_of(retention: Retention | None) -> DestructionMethod:
    if retention is not None and retention.then is AfterRetention.ANONYMISE:
        return DestructionMethod.ANONYMISE
    return DestructionMethod.DESTROY


# ------------------------------------------------------------ legal minimums


@dataclass(frozen=True)
class LegalMinimum:
    """A law that sets a minimum storage term: a register may not keep less.

    ``match`` is a fragment of a retention citation that names the law
    (e.g. "191-IV"): a purpose citing it must keep at least ``period``.
    """

    match: str
    period: Period
    citation: str


@dataclass(frozen=True)
class RetentionRules:
    """The retention engine's rules (``data/retention_rules.yaml``)."""

    destruction: str  # citation of destruction on expiry, for the audit log
    minimums: tuple[LegalMinimum, ...]
    unlinked: str  # why values no purpose of the subject needs are a finding


def check_minimums(register: Register, minimums: Sequence[LegalMinimum]) -> None:
    """Refuse a register whose retention is shorter than the law it cites."""
    problems = []
    for purpose in register.purposes.values():
        retention = purpose.retention
        if retention is None:
            continue
        for rule in minimums:
            if rule.match.lower() in retention.citation.lower() and \
                    rule.period.is_longer_than(retention.period):
                problems.append(f"{purpose.id}: {retention.period} is shorter than "
                                f"{rule.period} ({rule.citation})")
    if problems:
        raise InputError("retention shorter than the law requires: " + "; ".join(problems),
                         field="retention")


# ------------------------------------------------------------------ histogram


def due_histogram(
    due_dates: Iterable[tuple[date, int]], as_of: date, months: int = 12,
) -> list[tuple[date, int]]:
    """Counts of (subject, category) pairs falling due per month from ``as_of`` on.

    ``due_dates`` are (first day due, count) pairs — the day after a
    ``keep_until``. Buckets start on the first day of each month, beginning with
    the month of ``as_of``; later dates go to the last bucket, earlier ones
    (already due: the plan counts them) are left out.
    """
    starts = []
    year, month = as_of.year, as_of.month
    for _ in range(max(1, months)):
        starts.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    counts = [0] * len(starts)
    for due, n in due_dates:
        if due < as_of:
            continue
        index = (due.year - as_of.year) * 12 + due.month - as_of.month
        counts[min(index, len(counts) - 1)] += n
    return list(zip(starts, counts, strict=True))

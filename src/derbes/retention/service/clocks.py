"""Retention clocks: moved by events, consents, answered requests and holds.

:func:`on_event` is called by ``lifecycle/service.record_event`` inside its unit
of work: legal holds are stored or released, and the subject's clocks
recomputed (:func:`update_clocks`) — one subject, never a rescan of the world.
:func:`clocks_of` computes the same without storing it, for every answer that
names an end date (withdrawal, access, destruction).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from derbes.consent.model.consent import Consent, ScopeKind
from derbes.context import Context
from derbes.deadlines.model.calendar import WorkingCalendar
from derbes.deadlines.ports import Calendars
from derbes.errors import (
    ConflictError,
    InputError,
    NotFoundError,
)
from derbes.lifecycle.model import CONTRACT_EVENTS, Contract, EventType, LifecycleEvent
from derbes.register.model.register import (
    AchievedWhen,
    BasisKind,
    Register,
    RetentionTrigger,
)
from derbes.register.service.in_force import find_in_force
from derbes.retention.model import clocks as clock_rule
from derbes.retention.model.clocks import History, PurposeClock
from derbes.retention.model.retention import (
    CategoryClock,
    LegalHold,
    RetentionRules,
    RunRecord,
    category_clocks,
    check_minimums,
    expired_purposes,
    new_hold,
)
from derbes.retention.ports import SubjectClockRows
from derbes.uow import UnitOfWork
from derbes.vault.ports import SealedValue, SubjectRecord

# ------------------------------------------------------------------- helpers


def register_of(uow: UnitOfWork, operator_id: str) -> Register | None:
    """The register in force for ``operator_id`` (inside an open unit of work)."""
    loaded = find_in_force(uow, operator_id)
    return None if loaded is None else loaded.register


def require_register(uow: UnitOfWork, operator_id: str, rules: RetentionRules) -> Register:
    """The register in force, checked against the statutory minimum retention terms."""
    register = register_of(uow, operator_id)
    if register is None:
        raise NotFoundError(f"no register published for operator {operator_id!r}",
                            field="operator")
    check_minimums(register, rules.minimums)
    return register


def _calendar(calendars: Calendars) -> Callable[[date], WorkingCalendar]:
    """The calendar a term starting on a day counts in: the one around mid-year, which
    covers the year before to two years after (a term of working days starting late in
    a year runs into the next one), so one calendar serves every day of the year."""
    def of(day: date) -> WorkingCalendar:
        return calendars.around(date(day.year, 7, 1))
    return of


def _day(at: datetime) -> date:
    return at.date()


# ------------------------------------------------------------------ clocks

# Lifecycle events whose last date starts a clock (``History.events``).
_LAST_OF = {
    EventType.TRANSACTION: RetentionTrigger.TRANSACTION.value,
    EventType.LAST_ACTIVITY: RetentionTrigger.LAST_ACTIVITY.value,
    EventType.REQUEST_ANSWERED: AchievedWhen.REQUEST_ANSWERED.value,
}
# The relationship an event shows exists (``History.ever``).
_RELATION_OF = {
    EventType.TRANSACTION: "transaction",
    EventType.LAST_ACTIVITY: "last_activity",
    EventType.ACCOUNT_OPENED: "account",
    EventType.ACCOUNT_CLOSED: "account",
    EventType.REQUEST_ANSWERED: "request_answered",
}


def _later(found: dict[str, date], key: str, day: date) -> None:
    found[key] = max(day, found.get(key, day))


@dataclass(frozen=True)
class Sources:
    """What one subject's clocks are worked out from, as stored."""

    values: Sequence[SealedValue] = ()
    contracts: Sequence[Contract] = ()
    events: Sequence[LifecycleEvent] = ()
    answered: Sequence[datetime] = ()  # when its answered or refused requests were closed
    consents: Sequence[Consent] = ()
    holds: Sequence[LegalHold] = ()


def sources_of(uow: UnitOfWork, subject_ids: Collection[str]) -> dict[str, Sources]:
    """The sources of many subjects' clocks with one read per store (inside an open unit
    of work): a batch of a thousand subjects costs six queries, not six thousand."""
    ids = sorted(set(subject_ids))
    values = uow.vault.values_of_many(ids)
    contracts = uow.lifecycle.contracts_for_subjects(ids)
    events = uow.lifecycle.events_for_subjects(ids)
    answered = uow.requests.answered_for_subjects(ids)
    given = uow.consents.for_subjects(ids)
    holds = uow.retention.holds_for_subjects(ids)
    return {sid: Sources(values.get(sid, ()), contracts.get(sid, ()), events.get(sid, ()),
                         answered.get(sid, ()), given.get(sid, ()), holds.get(sid, ()))
            for sid in ids}


def history_of(sources: Sources, register: Register) -> History:
    """What the subject's events, consents, values and answered requests tell the clocks."""
    contracts = sources.contracts
    open_contracts = sum(1 for c in contracts if c.is_open)
    closed = [_day(c.closed_at) for c in contracts if c.closed_at is not None]
    opened = [_day(c.opened_at) for c in contracts if c.opened_at is not None]
    events: dict[str, date] = {}
    ever: set[str] = {"contract"} if contracts else set()
    if sources.values:
        events[RetentionTrigger.COLLECTED.value] = max(_day(v.collected_at)
                                                       for v in sources.values)
    achieved: dict[str, date] = {}
    ended_by_event: dict[str, date] = {}
    accounts: dict[str, date] = {}
    consent_purposes = [p.id for p in register.purposes.values()
                        if p.basis.kind is BasisKind.CONSENT]
    for event in sources.events:
        day = _day(event.occurred_at)
        relation = _RELATION_OF.get(event.type)
        if relation is not None:
            ever.add(relation)
        last = _LAST_OF.get(event.type)
        if last is not None:
            _later(events, last, day)
        elif event.type in (EventType.ACCOUNT_OPENED, EventType.ACCOUNT_CLOSED):
            _later(accounts, event.type.value, day)
        elif event.type is EventType.PURPOSE_ACHIEVED:
            _later(achieved, str(event.data.get("purpose")), day)
        elif event.type is EventType.CONSENT_WITHDRAWN:
            named = event.data.get("purposes")
            for purpose in (named if isinstance(named, list) else consent_purposes):
                _later(ended_by_event, str(purpose), day)
    for closed_at in sources.answered:
        ever.add("request_answered")
        _later(events, AchievedWhen.REQUEST_ANSWERED.value, _day(closed_at))
    closed_account = accounts.get(EventType.ACCOUNT_CLOSED.value)
    opened_account = accounts.get(EventType.ACCOUNT_OPENED.value)
    # An account opened again after its close has no close to count from.
    if closed_account is not None and (opened_account is None
                                       or opened_account <= closed_account):
        events[RetentionTrigger.ACCOUNT_CLOSED.value] = closed_account
    live, ended = _consent_spans(sources.consents, ended_by_event)
    return History(
        open_contracts=open_contracts,
        last_contract_opened=max(opened) if opened else None,
        last_contract_closed=max(closed) if closed and not open_contracts else None,
        events=events, ever=frozenset(ever), achieved=achieved,
        consent_live=frozenset(live), consent_ended=ended,
        linked=frozenset(p for v in sources.values for p in v.purposes),
    )


def _consent_spans(given: Sequence[Consent], ended_by_event: Mapping[str, date]
                   ) -> tuple[set[str], dict[str, date]]:
    """Purposes with a consent in force, and the day the last consent to the others ended.

    A consent ends when withdrawn or expired, or on its ``valid_until`` (a date
    known in advance); a consent given after a reported withdrawal event is in
    force again.
    """
    live: set[str] = set()
    ended: dict[str, date] = {}
    last_given: dict[str, date] = {}
    for consent in given:
        if consent.scope.kind not in (ScopeKind.PROCESSING, ScopeKind.MARKETING):
            continue
        ends = [t for t in (consent.withdrawn_at, consent.expired_at, consent.valid_until)
                if t is not None]
        for purpose in consent.scope.purposes:
            _later(last_given, purpose, _day(consent.given_at))
            if ends:
                _later(ended, purpose, _day(min(ends)))
            else:
                live.add(purpose)
    for purpose, day in ended_by_event.items():
        if purpose in live and last_given.get(purpose, day) <= day:
            live.discard(purpose)
        if purpose not in live:
            _later(ended, purpose, day)
    return live, {p: d for p, d in ended.items() if p not in live}


@dataclass(frozen=True)
class SubjectClocks:
    """One subject's clocks under the register in force, from the one clock rule."""

    history: History
    purposes: Mapping[str, PurposeClock]  # the purposes the subject is in
    categories: Mapping[str, CategoryClock]  # the categories held

    def until(self, purpose_id: str) -> date | None:
        clock = self.purposes.get(purpose_id)
        return None if clock is None else clock.end_date


def clocks_of(uow: UnitOfWork, subject_id: str, register: Register, *,
              calendars: Calendars) -> SubjectClocks:
    """Compute (not store) one subject's clocks, inside an open unit of work.

    Every answer that names an end date — withdrawal, access, destruction —
    asks this; :func:`update_clocks` stores the same for the sweep and the
    decision point.
    """
    return clocks_from(sources_of(uow, [subject_id])[subject_id], register,
                       calendars=calendars)


def clocks_from(sources: Sources, register: Register, *, calendars: Calendars
                ) -> SubjectClocks:
    """One subject's clocks from its sources under ``register``: the one clock rule."""
    held = {v.category for v in sources.values}
    history = history_of(sources, register)
    clocks = clock_rule.purpose_clocks(register.purposes.values(), history,
                                       _calendar(calendars), held=held)
    categories = category_clocks(register, held, clocks, sources.holds)
    return SubjectClocks(history, {c.purpose: c for c in clocks},
                         {c.category: c for c in categories})


NewValueFacts = tuple[str, tuple[str, ...], datetime]
"""(category, purposes it was collected for, collected at) of a value just stored."""


def new_subject_clocks(
    register: Register, values: Mapping[str, Sequence[NewValueFacts]], *, calendars: Calendars,
) -> dict[str, tuple[tuple[PurposeClock, ...], tuple[CategoryClock, ...]]]:
    """The first clocks of subjects just added (no event, consent or request yet): the
    same rule as :func:`clocks_of`, worked out in memory for a bulk ingest."""
    out: dict[str, tuple[tuple[PurposeClock, ...], tuple[CategoryClock, ...]]] = {}
    calendar = _calendar(calendars)
    # In a bulk import most subjects hold the same categories for the same purposes,
    # collected the same day: the rule runs once per distinct such fact set.
    worked_out: dict[tuple[frozenset[str], frozenset[str], date | None],
                     tuple[tuple[PurposeClock, ...], tuple[CategoryClock, ...]]] = {}
    for subject_id, facts in values.items():
        held = frozenset(category for category, _, _ in facts)
        linked = frozenset(p for _, purposes, _ in facts for p in purposes)
        collected = max(_day(at) for _, _, at in facts) if facts else None
        key = (held, linked, collected)
        found = worked_out.get(key)
        if found is None:
            history = History(
                events={} if collected is None
                else {RetentionTrigger.COLLECTED.value: collected},
                linked=linked)
            clocks = clock_rule.purpose_clocks(register.purposes.values(), history, calendar,
                                               held=set(held))
            found = worked_out[key] = (clocks, category_clocks(register, set(held), clocks))
        out[subject_id] = found
    return out


def update_clocks(
    uow: UnitOfWork, subject_id: str, now: datetime, *, calendars: Calendars,
    register: Register | None = None,
) -> tuple[CategoryClock, ...]:
    """Recompute and store one subject's purpose and category clocks (inside an open
    unit of work). Called whenever the subject's values, events, consents, answered
    requests or holds change."""
    subject = uow.vault.get(subject_id)
    if subject is None:
        raise NotFoundError("no such subject", field="subject_id")
    register = register or register_of(uow, subject.operator_id)
    if register is None:
        return ()
    return update_clocks_of(uow, [subject], now, calendars=calendars,
                            registers={subject.operator_id: register})[subject.id]


def update_clocks_of(
    uow: UnitOfWork, subjects: Sequence[SubjectRecord], now: datetime, *,
    calendars: Calendars, registers: Mapping[str, Register],
) -> dict[str, tuple[CategoryClock, ...]]:
    """:func:`update_clocks` for a batch of subjects (inside an open unit of work): their
    sources read with one query per store, their clocks written in one go. A subject
    whose operator has no register in ``registers`` is left as it is."""
    governed = [s for s in subjects if s.operator_id in registers]
    sources = sources_of(uow, [s.id for s in governed])
    found = {s.id: (s.operator_id, clocks_from(sources[s.id], registers[s.operator_id],
                                               calendars=calendars)) for s in governed}
    uow.retention.put_clocks_many({
        sid: SubjectClockRows(operator_id, tuple(clocks.purposes.values()),
                              tuple(clocks.categories.values()))
        for sid, (operator_id, clocks) in found.items()}, now)
    return {sid: tuple(clocks.categories.values()) for sid, (_, clocks) in found.items()}


def _who(value: object, what: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > 1000:
        raise InputError(f"a legal hold release needs {what}", field=f"data.{what}")
    return text


def on_event(uow: UnitOfWork, subject: SubjectRecord, event: LifecycleEvent, *,
             calendars: Calendars) -> None:
    """What a newly recorded event does to retention (inside ``record_event``'s unit of work).

    Legal holds: ``legal_hold_set`` (data: basis, set_by, kind, until,
    categories) stores a hold whose id is the event id; ``legal_hold_released``
    (data: hold_id, released_by) releases it. Then the subject's clocks move.
    """
    if (event.contract_id is not None and event.type not in CONTRACT_EVENTS
            and uow.lifecycle.contract(subject.id, event.contract_id) is None):
        raise NotFoundError("no such contract of this subject", field="contract_id")
    register = register_of(uow, subject.operator_id)
    if event.type is EventType.LEGAL_HOLD_SET:
        known = register.categories if register is not None else ()
        uow.retention.add_hold(new_hold(event.event_id, subject.id, event.data,
                                        event.occurred_at, known))
    elif event.type is EventType.LEGAL_HOLD_RELEASED:
        hold = uow.retention.hold(str(event.data.get("hold_id")))
        if hold is None or hold.subject_id != subject.id:
            raise NotFoundError("no such legal hold of this subject", field="data.hold_id")
        if not hold.active:
            raise ConflictError("this legal hold is already released", field="data.hold_id")
        uow.retention.release_hold(hold.hold_id, event.occurred_at,
                                   _who(event.data.get("released_by"), "released_by"),
                                   event.event_id)
    if register is not None:
        update_clocks(uow, subject.id, event.recorded_at, calendars=calendars,
                      register=register)


def runs(ctx: Context, *, limit: int = 50) -> list[RunRecord]:
    """Runs of the sweep within the context's operators, the newest first."""
    with ctx.uow as uow:
        return uow.retention.runs(ctx.scope.operator_id, limit)


def expired_for(uow: UnitOfWork, subject_ids: Collection[str], day: date
                ) -> dict[str, frozenset[str]]:
    """Purposes whose retention is over on ``day``, per subject (decision point)."""
    clocks = uow.retention.purpose_clocks(subject_ids)
    return {sid: expired_purposes(found, day) for sid, found in clocks.items()}

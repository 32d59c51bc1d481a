"""Retention clocks: the one rule for when a purpose stops keeping a subject's data.

Pure (Law 94-V Art. 12 p.2: PD are kept no longer than the purposes of their
collection require; Art. 8 p.2 and p.7: withdrawal of consent). Every answer
that names an end date — the withdrawal answer, the access and destruction
answers, the decision point and the retention sweep — takes it from
:func:`purpose_clocks` on the subject's :class:`History`, so a subject is never
told two dates for one fact.

**Which purposes the subject is in** (:func:`engaged`): a consent purpose only
once the subject consented to it (and until its clock ends after the consent
was withdrawn or ran out); a contract purpose once a contract with the subject
exists; a purpose resting on the law by its trigger (a contract, an account, a
transaction, an answered request, or, for ``collected``, everyone). A purpose
whose clock waits for an achievement the register ties to no event (a dispute,
a state body's request) applies once it is recorded. Any purpose the values
were expressly collected for counts too, except a consent purpose without a
consent.

**When its clock starts** (:func:`start_of`), from events an operator reports:
the last contract closed (none open), the account closed (not reopened), the
last transaction, the last activity, collection, an answered request, the
withdrawal of consent. ``purpose_achieved`` is derived from the event the
register names (``retention.achieved_when``), or recorded explicitly; the
earlier counts. Two rules on top:

* while a contract with the subject is open, a contract or legal-obligation
  purpose runs whatever its trigger (the relationship goes on: AML Law
  191-IV Art. 11 p.4 counts from its end; QIWI p.3.4.2);
* a consent purpose cannot outlive its consent: once every consent to it is
  withdrawn or expired, its clock starts on that day at the latest (Art. 8
  p.2, p.7), and the period of its rule runs from there.

A purpose without a retention rule keeps data with no end date
(:attr:`ClockState.NO_END`): the register lint reports it (DRB001) and the
plan shows it, never as "nothing due".
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from derbes.deadlines.model.calendar import WorkingCalendar
from derbes.deadlines.model.periods import Period, Unit
from derbes.errors import PeriodError
from derbes.register.model.register import AchievedWhen, BasisKind, Purpose, RetentionTrigger

__all__ = [
    "CalendarFor",
    "ClockState",
    "History",
    "PurposeClock",
    "applies_to_everyone",
    "end_date",
    "engaged",
    "purpose_clock",
    "purpose_clocks",
    "start_of",
]

CalendarFor = Callable[[date], WorkingCalendar]
"""A working calendar that covers the term starting on the given day."""

# While a contract is open, purposes on these bases run whatever their trigger.
_RELATIONSHIP_BASES = frozenset({BasisKind.CONTRACT, BasisKind.LEGAL_OBLIGATION})
_LAW_BASES = frozenset({BasisKind.LEGAL_OBLIGATION, BasisKind.STATE_REQUEST,
                        BasisKind.VITAL_INTERESTS})


class ClockState(StrEnum):
    """Where one purpose's clock is for one subject."""

    RUNNING = "running"  # its trigger has not happened: kept while it runs
    RETAINING = "retaining"  # the trigger happened: kept until ``end_date``
    NO_END = "no_end"  # the purpose has no retention rule: kept with no end date


@dataclass(frozen=True)
class History:
    """What happened with one subject that bears on retention (no PD).

    ``events`` maps an event (a :class:`RetentionTrigger` value, or
    ``request_answered``) to the last day it happened: transaction, last
    activity, account closed when not reopened, collection, request answered.
    ``ever`` the kinds of relationship that exist or
    existed (``contract``, ``account``, ``transaction``, ``last_activity``,
    ``request_answered``). ``consent_live`` names purposes with a consent in
    force; ``consent_ended`` the day the last consent to a purpose was
    withdrawn or ran out (purposes with no consent in force only).
    ``linked`` are the purposes the values were expressly collected for.
    """

    open_contracts: int = 0
    last_contract_opened: date | None = None
    last_contract_closed: date | None = None  # only when no contract is open
    events: Mapping[str, date] = field(default_factory=dict)
    ever: frozenset[str] = frozenset()
    achieved: Mapping[str, date] = field(default_factory=dict)
    consent_live: frozenset[str] = frozenset()
    consent_ended: Mapping[str, date] = field(default_factory=dict)
    linked: frozenset[str] = frozenset()

    @property
    def has_contract(self) -> bool:
        return "contract" in self.ever


@dataclass(frozen=True)
class PurposeClock:
    """One purpose's clock for one subject; ``end_date`` None: no end known yet.

    ``trigger`` None means the purpose has no retention rule (kept with no end
    date); otherwise ``end_date`` None means the clock is still running.
    """

    purpose: str
    trigger: RetentionTrigger | None
    trigger_date: date | None
    end_date: date | None

    @property
    def state(self) -> ClockState:
        if self.trigger is None:
            return ClockState.NO_END
        return ClockState.RUNNING if self.end_date is None else ClockState.RETAINING

    def expired_on(self, day: date) -> bool:
        return self.end_date is not None and self.end_date < day


def end_date(period: Period, start: date, calendar: CalendarFor | None = None) -> date:
    """The last day of a term of ``period`` counted from ``start``.

    Years and months end on the corresponding day (Civil Code Art. 175), days
    add calendar days, working days are counted on ``calendar`` (the day of the
    trigger itself never counts).
    """
    if period.unit is Unit.WORKING_DAYS:
        if calendar is None:
            raise PeriodError(f"{period} is counted in working days: a calendar is needed")
        return calendar(start).add_working_days(start, period.value)
    return period.add_to(start)


def _effective(purpose: Purpose) -> str | None:
    """The event the purpose's clock really waits for (None: no rule)."""
    retention = purpose.retention
    if retention is None:
        return None
    if retention.trigger is RetentionTrigger.PURPOSE_ACHIEVED and retention.achieved_when:
        return retention.achieved_when.value
    return retention.trigger.value


# The relationship that makes a law-based purpose apply, by the event it waits for.
_APPLIES_WHEN: Mapping[str, str] = {
    RetentionTrigger.CONTRACT_CLOSED.value: "contract",
    AchievedWhen.CONTRACT_OPENED.value: "contract",
    RetentionTrigger.ACCOUNT_CLOSED.value: "account",
    RetentionTrigger.TRANSACTION.value: "transaction",
    RetentionTrigger.LAST_ACTIVITY.value: "last_activity",
    AchievedWhen.REQUEST_ANSWERED.value: "request_answered",
}


def applies_to_everyone(purpose: Purpose) -> bool:
    """A purpose resting on the law whose clock starts at collection: the register
    says it applies to every subject whose data it needs."""
    return purpose.basis.kind in _LAW_BASES and _effective(purpose) == \
        RetentionTrigger.COLLECTED.value


def engaged(purpose: Purpose, history: History) -> bool:
    """Whether the subject is in ``purpose`` (it may keep their data at all)."""
    kind = purpose.basis.kind
    if kind is BasisKind.CONSENT:
        # Only under a consent the subject gave (in force, or ended and still
        # counting down its term): a link alone never makes consent.
        return purpose.id in history.consent_live or purpose.id in history.consent_ended
    if purpose.id in history.linked:
        return True
    waits_for = _effective(purpose)
    if waits_for == RetentionTrigger.PURPOSE_ACHIEVED.value:
        # The register does not say which event achieves it (a dispute, a state
        # body's request): the subject is in it once the operator says so.
        return purpose.id in history.achieved
    relation = _APPLIES_WHEN.get(waits_for) if waits_for else None
    if kind is BasisKind.CONTRACT:
        # Once a contract exists; a purpose counted from an account (a personal
        # cabinet) or an answered request applies once there is one.
        return history.has_contract and (relation is None or relation in history.ever
                                         or relation == "contract")
    if waits_for is None:
        return False
    if waits_for == RetentionTrigger.COLLECTED.value:
        return True
    return relation is not None and relation in history.ever


def _trigger_day(purpose: Purpose, waits_for: str, history: History) -> date | None:
    if waits_for == RetentionTrigger.CONTRACT_CLOSED.value:
        return history.last_contract_closed if history.open_contracts == 0 else None
    if waits_for == AchievedWhen.CONTRACT_OPENED.value:
        return history.last_contract_opened
    if waits_for == RetentionTrigger.CONSENT_WITHDRAWN.value:
        return history.consent_ended.get(purpose.id)
    if waits_for == RetentionTrigger.PURPOSE_ACHIEVED.value:
        return None  # only recorded explicitly (below)
    return history.events.get(waits_for)


def _earliest(*days: date | None) -> date | None:
    known = [d for d in days if d is not None]
    return min(known) if known else None


def start_of(purpose: Purpose, history: History) -> date | None:
    """The day the purpose's retention term starts counting; None: still running."""
    retention = purpose.retention
    waits_for = _effective(purpose)
    if retention is None or waits_for is None:
        return None
    if history.open_contracts and purpose.basis.kind in _RELATIONSHIP_BASES:
        return None
    start = _trigger_day(purpose, waits_for, history)
    if retention.trigger is RetentionTrigger.PURPOSE_ACHIEVED:
        start = _earliest(start, history.achieved.get(purpose.id))
    if purpose.basis.kind is BasisKind.CONSENT and purpose.id not in history.consent_live:
        start = _earliest(start, history.consent_ended.get(purpose.id))
    return start


def purpose_clock(purpose: Purpose, history: History,
                  calendar: CalendarFor | None = None) -> PurposeClock:
    """The clock of one purpose the subject is in."""
    retention = purpose.retention
    if retention is None:
        return PurposeClock(purpose.id, None, None, None)
    start = start_of(purpose, history)
    end = None if start is None else end_date(retention.period, start, calendar)
    return PurposeClock(purpose.id, retention.trigger, start, end)


def purpose_clocks(purposes: Iterable[Purpose], history: History,
                   calendar: CalendarFor | None = None,
                   held: Collection[str] | None = None) -> tuple[PurposeClock, ...]:
    """Clocks of the purposes the subject is in (that need a category ``held``, if given)."""
    wanted = None if held is None else set(held)
    return tuple(purpose_clock(p, history, calendar) for p in purposes
                 if engaged(p, history)
                 and (wanted is None or wanted.intersection(p.categories)))

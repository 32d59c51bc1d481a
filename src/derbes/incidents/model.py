"""Incidents involving personal data: pure rules and values.

A breach of PD security is "a breach of the protection of personal data that led
to their unlawful disclosure, alteration, destruction or to unauthorised access"
(Law 94-V Art. 1 sp.15-1). Once one is detected the operator notifies the
authorised body within one working day (Art. 25 p.2 sp.8, as amended by Law
44-VIII of 11.12.2023); the term itself lives in the regime table
(``breach_notification``), counted on the working calendar.

States::

    candidate ──confirm──▶ open ──notify──▶ notified ──contain──▶ contained ──close──▶ closed
        │                    └──contain──▶ contained ──notify──▶ notified ──close──▶ closed
        └──dismiss (a reason)──▶ dismissed

An incident is closed only once the authorised body was notified, with the
measures taken and the lessons learnt written down; a candidate (raised by an
alert) is confirmed or dismissed with a reason by a person.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from derbes.errors import ConflictError, InputError

__all__ = [
    "DEADLINE",
    "ClockState",
    "Event",
    "Incident",
    "NotificationClock",
    "Severity",
    "Source",
    "State",
    "Transition",
    "Trigger",
    "allowed",
    "apply",
    "check_detected_at",
    "clock",
    "next_moves",
]

# The regime table's entry that sets the term (data/regime.yaml).
DEADLINE = "breach_notification"
MAX_TEXT = 4000


class State(StrEnum):
    CANDIDATE = "candidate"
    OPEN = "open"
    NOTIFIED = "notified"
    CONTAINED = "contained"
    CLOSED = "closed"
    DISMISSED = "dismissed"


class Source(StrEnum):
    """How the operator learnt of it."""

    ALERT = "alert"
    STAFF_REPORT = "staff_report"
    PROCESSOR_REPORT = "processor_report"
    SUBJECT_COMPLAINT = "subject_complaint"


class Trigger(StrEnum):
    """What raised a candidate incident on its own (``source`` is then ``alert``)."""

    BULK_READ = "bulk_read"
    CHAIN_BREAK = "chain_break"
    DENIED_ACCESS = "denied_access"
    REVOKED_ACCESS = "revoked_access"  # a session ended by revocation was used again
    DESTRUCTION_UNFINISHED = "destruction_unfinished"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Transition(StrEnum):
    CONFIRM = "confirm"
    DISMISS = "dismiss"
    NOTIFY = "notify"
    CONTAIN = "contain"
    CLOSE = "close"


_MOVES: dict[State, dict[Transition, State]] = {
    State.CANDIDATE: {Transition.CONFIRM: State.OPEN, Transition.DISMISS: State.DISMISSED},
    State.OPEN: {Transition.NOTIFY: State.NOTIFIED, Transition.CONTAIN: State.CONTAINED},
    # Contained first and notified after, an incident is both: it may then be closed.
    State.NOTIFIED: {Transition.CONTAIN: State.CONTAINED, Transition.CLOSE: State.CLOSED},
    State.CONTAINED: {Transition.NOTIFY: State.NOTIFIED, Transition.CLOSE: State.CLOSED},
    State.CLOSED: {},
    State.DISMISSED: {},
}


def allowed(state: State) -> tuple[Transition, ...]:
    """The transitions an incident in ``state`` may take (closed and dismissed: none)."""
    return tuple(_MOVES[state])


def next_moves(incident: Incident) -> tuple[Transition, ...]:
    """The transitions open to this incident now: its state's, less what it has done
    (the body is notified once, the breach contained once) and less closing a
    notified incident that was never contained."""
    done = {Transition.NOTIFY} if incident.notified_at is not None else set()
    if incident.contained_at is not None:
        done.add(Transition.CONTAIN)
    elif incident.state is State.NOTIFIED:
        done.add(Transition.CLOSE)
    return tuple(m for m in allowed(incident.state) if m not in done)


@dataclass(frozen=True)
class Incident:
    """One incident as registered. Subjects are counted here and named elsewhere, by
    their internal ids only: nothing in the record is a subject's value."""

    id: str
    operator_id: str
    state: State
    source: Source
    detected_at: datetime
    summary: str
    severity: Severity
    created_at: datetime
    created_by: str
    updated_at: datetime
    categories: tuple[str, ...] = ()
    systems: tuple[str, ...] = ()
    subject_count: int | None = None
    measures_taken: str = ""
    planned_measures: str = ""
    lessons: str = ""
    dismiss_reason: str = ""
    trigger: Trigger | None = None
    trigger_ref: str | None = None
    notified_at: datetime | None = None
    contained_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.state in (State.CLOSED, State.DISMISSED)


@dataclass(frozen=True)
class Event:
    """One line of an incident's timeline: who changed what, when (no PD in ``details``)."""

    incident_id: str
    seq: int
    at: datetime
    actor: str
    kind: str
    details: dict[str, object]


def _text(value: str, field: str) -> str:
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise InputError(f"{field} is longer than {MAX_TEXT} characters", field=field)
    return text


def check_detected_at(detected_at: datetime | None, now: datetime) -> datetime:
    """The detection instant, timezone-aware and not in the future."""
    if detected_at is None:
        raise InputError("say when the incident was detected", field="detected_at")
    if detected_at.tzinfo is None or detected_at.utcoffset() is None:
        raise InputError("the detection time must carry a time zone (e.g. +05:00)",
                         field="detected_at")
    if detected_at > now:
        raise InputError("the detection time is in the future", field="detected_at")
    return detected_at


def apply(incident: Incident, move: Transition, at: datetime, *,
          reason: str = "", lessons: str = "") -> Incident:
    """``incident`` after ``move`` at ``at``; :class:`ConflictError` when the move is not
    open from its state, :class:`InputError` when what the move needs is missing."""
    target = _MOVES[incident.state].get(move)
    if move is Transition.NOTIFY and incident.notified_at is not None:
        raise ConflictError("the authorised body was already notified of this incident",
                            field="state")
    if target is None or move not in next_moves(incident):
        raise ConflictError(
            f"an incident that is {incident.state.value} cannot {move.value} "
            f"(allowed: {', '.join(m.value for m in next_moves(incident)) or 'none'})",
            field="state")
    after = replace(incident, state=target, updated_at=at)
    if move is Transition.DISMISS:
        reason = _text(reason, "reason")
        if not reason:
            raise InputError("a candidate is dismissed with a reason", field="reason")
        return replace(after, dismiss_reason=reason, closed_at=at)
    if move is Transition.NOTIFY:
        return replace(after, notified_at=at)
    if move is Transition.CONTAIN:
        return replace(after, contained_at=at)
    if move is Transition.CLOSE:
        # Law 94-V Art. 25 p.2 sp.8: an incident is not done before the body knows of it.
        if incident.notified_at is None:
            raise ConflictError("notify the authorised body before closing", field="state")
        if not incident.measures_taken:
            raise InputError("write down the measures taken before closing",
                             field="measures_taken")
        lessons = _text(lessons, "lessons")
        if not lessons:
            raise InputError("an incident is closed with its lessons learnt", field="lessons")
        return replace(after, lessons=lessons, closed_at=at)
    return after


class ClockState(StrEnum):
    RUNNING = "running"
    NEAR = "near"  # less than the warning margin left
    OVERDUE = "overdue"
    MET = "met"  # notified in time
    LATE = "late"  # notified after the term
    STOPPED = "stopped"  # dismissed: no breach, nothing to notify


@dataclass(frozen=True)
class NotificationClock:
    """Where the notification term stands for one incident."""

    due_at: datetime  # the instant the term is over (midnight after the due day, local)
    state: ClockState
    left: timedelta  # negative when overdue
    citation: str


def clock(incident: Incident, due_at: datetime, citation: str, now: datetime,
          warn_within: timedelta) -> NotificationClock:
    """The clock of ``incident`` whose term ends at ``due_at``, as it stands at ``now``."""
    left = due_at - now
    if incident.state is State.DISMISSED:
        state = ClockState.STOPPED
    elif incident.notified_at is not None:
        state = ClockState.MET if incident.notified_at < due_at else ClockState.LATE
        left = due_at - incident.notified_at
    elif left <= timedelta(0):
        state = ClockState.OVERDUE
    elif left <= warn_within:
        state = ClockState.NEAR
    else:
        state = ClockState.RUNNING
    return NotificationClock(due_at, state, left, citation)


def describe_left(left: timedelta) -> str:
    """"1 d 3 h 20 min" / "-2 h 5 min": hours and minutes, the way a person reads a clock."""
    minutes = int(left.total_seconds() // 60) if left >= timedelta(0) else -int(
        (-left).total_seconds() // 60)
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = ([f"{days} d"] if days else []) + ([f"{hours} h"] if hours or days else [])
    return sign + " ".join([*parts, f"{mins} min"])

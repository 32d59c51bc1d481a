"""The notification clock: one working day from detection (Law 94-V Art. 25 p.2 sp.8).

The term and its citation come from the regime table (``breach_notification``),
counted on the Kazakhstan working calendar: a breach detected on a Friday
evening before a holiday is due at the end of the next working day.
:func:`alert_due` e-mails the operator's responsible person (the appointment
recorded in the compliance register first, else the register in force) about
incidents near or past their term, once per level, through the Mailer port; each
message is a delivery record and a line of the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from derbes.context import Context
from derbes.delivery import service as delivery
from derbes.delivery.model import Message, Template
from derbes.delivery.ports import Couriers
from derbes.incidents.model import (
    DEADLINE,
    ClockState,
    Incident,
    NotificationClock,
    State,
    clock,
    describe_left,
)
from derbes.incidents.ports import IncidentFilter
from derbes.incidents.service.record import record_event
from derbes.platform.labels import Labels
from derbes.register.model.register import Operator
from derbes.register.service.in_force import find_in_force

__all__ = ["WARN_WITHIN", "Contact", "DueAlert", "alert_due", "contact_of",
           "notification_clock"]


@dataclass(frozen=True)
class Contact:
    """Who is responsible for organising PD processing (Law 94-V Art. 25 p.2 sp.10)
    and where the fact comes from: ``appointment`` (recorded in the compliance
    register, which is the operator's act of appointment and so outranks the
    published policy), ``register`` (the policy's clause), or ``none``."""

    source: str
    name: str | None = None
    position: str | None = None
    role: Labels | None = None
    email: str | None = None
    phone: str | None = None


def contact_of(ctx: Context, operator: Operator | None, operator_id: str) -> Contact:
    """The responsible person of ``operator_id``; call inside an open unit of work."""
    history = ctx.uow.responsible.history(operator_id)
    if history:
        a = history[0]
        return Contact("appointment", a.name, a.position, None, a.email, a.phone)
    person = operator.responsible_person if operator else None
    if person is None:
        return Contact("none")
    return Contact("register", person.name, None, person.role, person.email, person.phone)

# When "near" starts: an engineering margin so the responsible person hears of it while
# there is still a working day's part left, not a legal term (the term is in the regime).
WARN_WITHIN = timedelta(hours=6)
_WATCHED = (State.CANDIDATE, State.OPEN, State.CONTAINED)


def notification_clock(ctx: Context, incident: Incident,
                       warn_within: timedelta = WARN_WITHIN) -> NotificationClock:
    regime = ctx.rules.regime
    due = regime.due_date(DEADLINE, incident.detected_at,
                          ctx.rules.calendars.around(incident.detected_at))
    return clock(incident, due.ends_at, due.citation, ctx.now(), warn_within)


@dataclass(frozen=True)
class DueAlert:
    incident_id: str
    operator_id: str
    level: ClockState
    delivery_id: str | None  # None: neither appointment nor register gives an e-mail
    delivery_state: str | None


def _already(ctx: Context, incident: Incident, level: ClockState) -> bool:
    return any(e.kind == "due_alert" and e.details.get("level") == level.value
               for e in ctx.uow.incidents.events(incident.id))


def alert_due(ctx: Context, couriers: Couriers,
              warn_within: timedelta = WARN_WITHIN) -> list[DueAlert]:
    """E-mail the responsible person of each operator in scope about incidents whose
    notification is near or overdue; each level once per incident."""
    operators = None if ctx.scope.operator_id is None else (ctx.scope.operator_id,)
    with ctx.uow:
        watched = ctx.uow.incidents.list(IncidentFilter(operators, _WATCHED, limit=10_000))
    out: list[DueAlert] = []
    for incident in watched:
        if incident.notified_at is not None:
            continue
        state = notification_clock(ctx, incident, warn_within)
        if state.state not in (ClockState.NEAR, ClockState.OVERDUE):
            continue
        with ctx.uow:
            if _already(ctx, incident, state.state):
                continue
            loaded = find_in_force(ctx.uow, incident.operator_id)
            operator = loaded.register.operator if loaded else None
            person = contact_of(ctx, operator, incident.operator_id)
        delivery_id = delivery_state = None
        if person.email:
            name = operator.names.get("ru") if operator else None
            sent = delivery.send(ctx, couriers, Message(
                Template.INCIDENT_DUE, "ru", person.email, {
                    "operator": name or incident.operator_id, "incident": incident.id[:8],
                    "due_at": state.due_at.isoformat(timespec="minutes"),
                    "left": describe_left(state.left), "state": incident.state.value},
                operator_id=incident.operator_id))
            delivery_id, delivery_state = sent.id, sent.state.value
        with ctx.uow:
            record_event(ctx, incident, "due_alert", {
                "level": state.state.value, "delivery": delivery_id,
                "delivery_state": delivery_state, "contact_source": person.source,
                "reason": None if delivery_id else "no e-mail of the responsible person"})
            ctx.uow.commit()
        out.append(DueAlert(incident.id, incident.operator_id, state.state, delivery_id,
                            delivery_state))
    return out

"""The notification clock: one working day from detection (Law 94-V Art. 25 p.2 sp.8).

The term and its citation come from the regime table (``breach_notification``),
counted on the Kazakhstan working calendar: a breach detected on a Friday
evening before a holiday is due at the end of the next working day.
:func:`alert_due` e-mails the operator's responsible person (from the register
in force) about incidents near or past their term, once per level, through the
Mailer port; each message is a delivery record and a line of the timeline.
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
from derbes.register.service.in_force import find_in_force

__all__ = ["WARN_WITHIN", "DueAlert", "alert_due", "notification_clock"]

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
    delivery_id: str | None  # None: the register names no e-mail of a responsible person
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
        person = operator.responsible_person if operator else None
        delivery_id = delivery_state = None
        if person is not None and person.email:
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
                "delivery_state": delivery_state})
            ctx.uow.commit()
        out.append(DueAlert(incident.id, incident.operator_id, state.state, delivery_id,
                            delivery_state))
    return out

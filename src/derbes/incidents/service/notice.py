"""The notice to the authorised body of a PD security breach (Law 94-V Art. 25 p.2 sp.8).

Gathers what the notice says, from the incident record and the operator's
register in force: the operator and its BIN, the responsible person's contact
(Art. 25 p.2 sp.10; the recorded appointment first, else the register's clause),
what happened, when it was detected, the categories of data, the approximate
number of subjects, the measures taken and planned. A fact that neither holds
stays None: the document says "not stated" rather than invent it. The notice
names no subject: subjects are counted only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from derbes.context import Context
from derbes.incidents.model import Incident
from derbes.incidents.service.clock import contact_of, notification_clock
from derbes.incidents.service.record import get
from derbes.platform.labels import Labels
from derbes.register.service.in_force import find_in_force

__all__ = ["BodyNotice", "body_notice"]


@dataclass(frozen=True)
class BodyNotice:
    incident: Incident
    operator_names: Labels | None
    bin: str | None
    responsible_source: str  # appointment | register | none
    responsible_position: str | None
    responsible_role: Labels | None
    responsible_name: str | None
    responsible_email: str | None
    responsible_phone: str | None
    categories: tuple[tuple[str, Labels | None], ...]  # (id, label in the register)
    due_at: datetime
    citation: str
    prepared_at: datetime


def body_notice(ctx: Context, incident_id: str) -> BodyNotice:
    """What the notice of ``incident_id`` says (needs ``incidents.read`` at its operator)."""
    incident = get(ctx, incident_id)
    clock = notification_clock(ctx, incident)
    with ctx.uow:
        loaded = find_in_force(ctx.uow, incident.operator_id)
        register = loaded.register if loaded else None
        operator = register.operator if register else None
        person = contact_of(ctx, operator, incident.operator_id)
        known = register.categories if register else {}
        categories = tuple((c, known[c].labels if c in known else None)
                           for c in incident.categories)
    return BodyNotice(
        incident=incident, operator_names=operator.names if operator else None,
        bin=operator.bin if operator else None,
        responsible_source=person.source, responsible_position=person.position,
        responsible_role=person.role, responsible_name=person.name,
        responsible_email=person.email, responsible_phone=person.phone,
        categories=categories, due_at=clock.due_at, citation=clock.citation,
        prepared_at=ctx.now())

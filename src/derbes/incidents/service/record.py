"""Use cases of the incident register: open, show, list, update, move through states.

Every change is written with a line of the incident's timeline and an entry of
the access audit log, in the same transaction (Order 179/НҚ: logging of actions
with PD). A refused change (an unknown operator, a move not open from the state,
a dismissal without a reason) changes nothing and is recorded in the audit log
as refused, in a transaction of its own, without the text that was refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import TypeVar

from derbes.audit.model.log import AuditRecord
from derbes.context import Context
from derbes.errors import ConflictError, InputError, NotFoundError
from derbes.incidents.model import (
    MAX_TEXT,
    Event,
    Incident,
    Severity,
    Source,
    State,
    Transition,
    Trigger,
    apply,
    check_detected_at,
)
from derbes.incidents.ports import IncidentFilter
from derbes.register.service.in_force import in_force_in
from derbes.staff.model.roles import Permission, refusal
from derbes.staff.service.authorization import require

__all__ = ["Changes", "NewIncident", "Shown", "get", "guarded", "listing", "move",
           "open_incident", "record_event", "show", "update"]

MAX_LIST = 500
MAX_SUBJECTS = 100_000
T = TypeVar("T")


@dataclass(frozen=True)
class NewIncident:
    operator_id: str
    detected_at: datetime | None  # checked (aware, not in the future) by the service
    source: Source
    summary: str
    severity: Severity = Severity.MEDIUM
    categories: tuple[str, ...] = ()
    systems: tuple[str, ...] = ()
    subject_count: int | None = None
    subject_ids: tuple[str, ...] = ()
    measures_taken: str = ""
    planned_measures: str = ""
    trigger: Trigger | None = None
    trigger_ref: str | None = None
    state: State = State.OPEN


@dataclass(frozen=True)
class Changes:
    """What an update changes; None leaves a field as it is."""

    summary: str | None = None
    severity: Severity | None = None
    categories: tuple[str, ...] | None = None
    systems: tuple[str, ...] | None = None
    subject_count: int | None = None
    subject_ids: tuple[str, ...] | None = None
    measures_taken: str | None = None
    planned_measures: str | None = None

    def named(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]


@dataclass(frozen=True)
class Shown:
    incident: Incident
    events: list[Event]
    subject_ids: list[str]


def _text(value: str, name: str) -> str:
    if len(value) > MAX_TEXT:
        raise InputError(f"{name} is longer than {MAX_TEXT} characters", field=name)
    return value.strip()


def _names(values: Sequence[str], name: str) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
    if any(len(v) > 100 for v in out) or len(out) > 200:
        raise InputError(f"{name}: at most 200 names of at most 100 characters", field=name)
    return out


def _count(value: int | None) -> int | None:
    if value is not None and not 0 <= value <= 1_000_000_000:
        raise InputError("the number of subjects must be 0 or more", field="subject_count")
    return value


def _refused(ctx: Context, action: str, operator_id: str, incident_id: str | None,
             exc: InputError | NotFoundError | ConflictError) -> None:
    with ctx.uow:
        ctx.uow.audit.record(AuditRecord(
            at=ctx.now(), actor=ctx.actor, action=f"{action}.refused",
            request_id=ctx.request_id,
            details={"operator_id": operator_id, "incident": incident_id,
                     "error": type(exc).__name__, "field": exc.field}))
        ctx.uow.commit()


def guarded(ctx: Context, action: str, operator_id: str, incident_id: str | None,
             work: Callable[[], T]) -> T:
    try:
        return work()
    except (InputError, NotFoundError, ConflictError) as exc:
        _refused(ctx, action, operator_id, incident_id, exc)
        raise


def _check_subjects(ctx: Context, operator_id: str, subject_ids: Sequence[str]) -> list[str]:
    """The subjects, each known in the vault as one of ``operator_id``'s (none named by
    a value: the list holds internal ids only)."""
    ids = list(dict.fromkeys(s.strip() for s in subject_ids if s.strip()))
    if len(ids) > MAX_SUBJECTS:
        raise InputError(f"at most {MAX_SUBJECTS} subjects", field="subject_ids")
    unknown = [s for s in ids if (r := ctx.uow.vault.get(s)) is None
               or r.operator_id != operator_id]
    if unknown:
        raise InputError(f"{len(unknown)} subject id(s) are not subjects of operator "
                         f"{operator_id!r}, e.g. {unknown[0][:36]!r}", field="subject_ids")
    return ids


def _in_scope(ctx: Context, operator_id: str) -> None:
    """Another operator's incidents are as if they did not exist (no enumeration); the
    problem names the field at fault."""
    if not ctx.scope.admits(operator_id):
        raise NotFoundError(f"operator {operator_id[:100]!r} not found", field="operator")


def record_event(ctx: Context, incident: Incident, kind: str,
                 details: dict[str, object], subject_ids: Sequence[str] = ()) -> None:
    """Add a line to the timeline and an entry to the audit log (in the open uow);
    ``subject_ids``: the subjects whose PD the change touched, in the audit entry only."""
    seq = len(ctx.uow.incidents.events(incident.id)) + 1
    at = ctx.now()
    ctx.uow.incidents.add_event(Event(incident.id, seq, at, ctx.actor, kind, details))
    ctx.uow.audit.record(AuditRecord(
        at=at, actor=ctx.actor, action=f"incident.{kind}", request_id=ctx.request_id,
        subject_ids=list(subject_ids),
        details={"operator_id": incident.operator_id, "incident": incident.id,
                 "state": incident.state.value, **details}))


def open_incident(ctx: Context, new: NewIncident) -> Incident:
    """Register an incident (a candidate when an alert raised it)."""
    _in_scope(ctx, new.operator_id)
    require(ctx, Permission.INCIDENTS_MANAGE, new.operator_id)

    def work() -> Incident:
        now = ctx.now()
        detected = check_detected_at(new.detected_at, now)
        summary = _text(new.summary, "summary")
        if not summary:
            raise InputError("say what happened", field="summary")
        with ctx.uow:
            in_force_in(ctx.uow, new.operator_id)
            ids = _check_subjects(ctx, new.operator_id, new.subject_ids)
            count = _count(new.subject_count)
            incident = Incident(
                id=uuid.uuid4().hex, operator_id=new.operator_id, state=new.state,
                source=Source(new.source), detected_at=detected, summary=summary,
                severity=Severity(new.severity), created_at=now, created_by=ctx.actor,
                updated_at=now, categories=_names(new.categories, "categories"),
                systems=_names(new.systems, "systems"),
                subject_count=count if count is not None else (len(ids) or None),
                measures_taken=_text(new.measures_taken, "measures_taken"),
                planned_measures=_text(new.planned_measures, "planned_measures"),
                trigger=new.trigger, trigger_ref=new.trigger_ref)
            ctx.uow.incidents.add(incident)
            ctx.uow.incidents.set_subjects(incident.id, ids)
            record_event(ctx, incident, "open", {
                "source": incident.source.value, "severity": incident.severity.value,
                "subjects_named": len(ids),
                "trigger": incident.trigger.value if incident.trigger else None})
            ctx.uow.commit()
        return incident

    return guarded(ctx, "incident.open", new.operator_id, None, work)


def get(ctx: Context, incident_id: str, permission: Permission = Permission.INCIDENTS_READ
        ) -> Incident:
    """The incident, within the context's operators (another's is as if it did not exist)."""
    with ctx.uow:
        found = ctx.uow.incidents.get(incident_id)
    if found is None or not ctx.scope.admits(found.operator_id):
        raise NotFoundError(f"no incident {incident_id[:40]!r}", field="incident_id")
    require(ctx, permission, found.operator_id)
    return found


def show(ctx: Context, incident_id: str) -> Shown:
    incident = get(ctx, incident_id)
    with ctx.uow:
        return Shown(incident, ctx.uow.incidents.events(incident.id),
                     ctx.uow.incidents.subjects(incident.id))


def listing(ctx: Context, operator_id: str | None = None, states: tuple[State, ...] = (),
            limit: int = 100) -> list[Incident]:
    """Incidents of the context's operators (or of ``operator_id``), latest detected first."""
    if not 1 <= limit <= MAX_LIST:
        raise InputError(f"limit must be 1 to {MAX_LIST}", field="limit")
    if operator_id is not None:
        _in_scope(ctx, operator_id)
    scope = ctx.scope.narrowed(operator_id)
    if scope.operator_id is not None:
        require(ctx, Permission.INCIDENTS_READ, scope.operator_id)
    operators = None if scope.operator_id is None else (scope.operator_id,)
    with ctx.uow:
        found = ctx.uow.incidents.list(IncidentFilter(operators, states, limit))
    principal = ctx.principal
    if principal is None or scope.operator_id is not None:
        return found
    return [i for i in found if refusal(principal, ctx.rules.staff.roles,
                                        Permission.INCIDENTS_READ, i.operator_id) is None]


def update(ctx: Context, incident_id: str, changes: Changes) -> Incident:
    """Change what is known of an open incident; the timeline names the fields changed."""
    current = get(ctx, incident_id, Permission.INCIDENTS_MANAGE)

    def work() -> Incident:
        names = changes.named()
        if not names:
            raise InputError("nothing to change", field="changes")
        if current.finished:
            raise ConflictError(f"a {current.state.value} incident is not changed",
                                field="state")
        with ctx.uow:
            locked = ctx.uow.incidents.get(incident_id, for_update=True) or current
            after = replace(locked, updated_at=ctx.now())
            texts: dict[str, str] = {
                name: _text(value, name)
                for name in ("summary", "measures_taken", "planned_measures")
                if (value := getattr(changes, name)) is not None}
            after = replace(
                after, summary=texts.get("summary", after.summary),
                measures_taken=texts.get("measures_taken", after.measures_taken),
                planned_measures=texts.get("planned_measures", after.planned_measures))
            if not after.summary:
                raise InputError("say what happened", field="summary")
            if changes.severity is not None:
                after = replace(after, severity=Severity(changes.severity))
            if changes.categories is not None:
                after = replace(after, categories=_names(changes.categories, "categories"))
            if changes.systems is not None:
                after = replace(after, systems=_names(changes.systems, "systems"))
            if changes.subject_ids is not None:
                ids = _check_subjects(ctx, locked.operator_id, changes.subject_ids)
                ctx.uow.incidents.set_subjects(incident_id, ids)
                if changes.subject_count is None:
                    after = replace(after, subject_count=len(ids))
            if changes.subject_count is not None:
                after = replace(after, subject_count=_count(changes.subject_count))
            ctx.uow.incidents.save(after)
            record_event(ctx, after, "update", {"fields": names})
            ctx.uow.commit()
        return after

    return guarded(ctx, "incident.update", current.operator_id, incident_id, work)


def move(ctx: Context, incident_id: str, transition: Transition, *, reason: str = "",
         lessons: str = "") -> Incident:
    """Take ``transition`` (confirm, with a reason if given; dismiss with a reason; notify,
    contain, close with lessons); refused moves change nothing and are audited. The
    reason is a line of the timeline and of the audit entry: the security officer's
    judgement of a candidate is on record either way."""
    current = get(ctx, incident_id, Permission.INCIDENTS_MANAGE)

    def work() -> Incident:
        with ctx.uow:
            locked = ctx.uow.incidents.get(incident_id, for_update=True) or current
            after = apply(locked, transition, ctx.now(), reason=reason, lessons=lessons)
            ctx.uow.incidents.save(after)
            why = {"reason": reason.strip()[:MAX_TEXT]} if reason.strip() else {}
            record_event(ctx, after, transition.value, {"from": locked.state.value,
                                                        "to": after.state.value, **why})
            ctx.uow.commit()
        if after.finished:
            # Done with: the sealed lists of its subjects go with their keys (Art. 7).
            with ctx.uow:
                found = ctx.uow.incidents.exports(incident_id)
            if found:
                ctx.keystore.destroy([e.key_id for e in found])
        return after

    return guarded(ctx, f"incident.{transition.value}", current.operator_id, incident_id,
                    work)

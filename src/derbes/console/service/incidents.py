"""The incident pages: the register with each incident's notification clock, one
incident with its timeline, and the forms that open, update and move one.

The clock is the one the incidents slice computes (one working day from detection,
Law 94-V Art. 25 p.2 sp.8, from the regime table); this module only reads it. A form
comes in as text: each field is checked here so that every mistake is shown next to
its field at once, then the incidents slice checks again and decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from derbes.console.service.access import may, scoped
from derbes.context import Context
from derbes.errors import InputError
from derbes.incidents import service as incidents
from derbes.incidents.model import (
    Incident,
    NotificationClock,
    Severity,
    Source,
    State,
    Transition,
    next_moves,
)
from derbes.platform.clock import KZ_ZONE
from derbes.platform.dates import check_moment
from derbes.staff.model.roles import Permission

__all__ = [
    "FormErrors",
    "IncidentForm",
    "IncidentLine",
    "IncidentPage",
    "IncidentsPage",
    "change",
    "incident_lines",
    "incident_page",
    "incidents_page",
    "move",
    "open_from",
    "parse_form",
]

# The form's detection time is a wall-clock time where the incident is handled.
_UNFINISHED = (State.CANDIDATE, State.OPEN, State.CONTAINED, State.NOTIFIED)
_SHOWN = 200


@dataclass(frozen=True)
class IncidentLine:
    """An incident in a list, with where its notification term stands."""

    incident: Incident
    clock: NotificationClock  # its ``left`` is negative when overdue

    @property
    def overdue(self) -> bool:
        return self.clock.state.value in ("overdue", "late")


@dataclass(frozen=True)
class IncidentsPage:
    operator_id: str
    lines: list[IncidentLine]
    may_manage: bool

    @property
    def overdue(self) -> int:
        return sum(1 for line in self.lines if line.clock.state.value == "overdue")


@dataclass(frozen=True)
class IncidentPage:
    line: IncidentLine
    shown: incidents.Shown
    moves: tuple[Transition, ...]
    may_manage: bool


def line_of(ctx: Context, incident: Incident) -> IncidentLine:
    clock = incidents.notification_clock(ctx, incident)
    return IncidentLine(incident, clock)


def incident_lines(ctx: Context, operator_id: str) -> list[IncidentLine]:
    """The operator's unfinished incidents, the soonest due first (for the Today page;
    the caller has checked ``incidents.read``)."""
    found = incidents.listing(ctx, operator_id, _UNFINISHED, _SHOWN)
    lines = [line_of(ctx, i) for i in found]
    return sorted(lines, key=lambda line: (line.incident.notified_at is not None,
                                           line.clock.due_at))


def incidents_page(ctx: Context, operator_id: str, states: tuple[State, ...] = ()
                   ) -> IncidentsPage:
    """The register of the operator: unfinished first, by due time, then the rest."""
    ctx = scoped(ctx, operator_id, Permission.INCIDENTS_READ)
    found = incidents.listing(ctx, operator_id, states, _SHOWN)
    lines = sorted((line_of(ctx, i) for i in found),
                   key=lambda line: (line.incident.finished,
                                     line.incident.notified_at is not None,
                                     line.clock.due_at))
    return IncidentsPage(operator_id, lines, may(ctx, Permission.INCIDENTS_MANAGE,
                                                 operator_id))


def incident_page(ctx: Context, operator_id: str, incident_id: str) -> IncidentPage:
    ctx = scoped(ctx, operator_id, Permission.INCIDENTS_READ)
    shown = incidents.show(ctx, incident_id)
    return IncidentPage(line_of(ctx, shown.incident), shown, next_moves(shown.incident),
                        may(ctx, Permission.INCIDENTS_MANAGE, operator_id))


@dataclass(frozen=True)
class IncidentForm:
    """The open and update forms as the browser sent them (text only)."""

    detected_at: str = ""
    source: str = ""
    severity: str = ""
    summary: str = ""
    categories: str = ""
    systems: str = ""
    subject_count: str = ""
    measures_taken: str = ""
    planned_measures: str = ""


@dataclass
class FormErrors(Exception):
    """Every field at fault in a form, each with the English message of the check; the
    page shows a translated hint next to each field."""

    fields: dict[str, str] = field(default_factory=dict)
    form: IncidentForm = field(default_factory=IncidentForm)


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.replace("\n", ",").split(",") if part.strip())


def _detected(text: str, now: datetime) -> datetime:
    try:
        local = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError("enter the date and time of detection", field="detected_at") from None
    aware = local if local.tzinfo else local.replace(tzinfo=KZ_ZONE)
    check_moment(aware, "detected_at")
    if aware > now:
        raise InputError("the detection time is in the future", field="detected_at")
    return aware


def _count(text: str) -> int | None:
    if not text.strip():
        return None
    try:
        value = int(text.strip())
    except ValueError:
        raise InputError("a whole number", field="subject_count") from None
    if value < 0:
        raise InputError("the number of subjects must be 0 or more", field="subject_count")
    return value


def parse_form(ctx: Context, form: IncidentForm, *, opening: bool) -> incidents.NewIncident:
    """The form as a new incident (the operator filled in by the caller), or every
    field at fault at once."""
    errors: dict[str, str] = {}
    detected: datetime | None = None
    count: int | None = None
    source, severity = Source.STAFF_REPORT, Severity.MEDIUM
    if opening:
        try:
            detected = _detected(form.detected_at, ctx.now())
        except InputError as exc:
            errors["detected_at"] = exc.message
        try:
            source = Source(form.source)
        except ValueError:
            errors["source"] = "choose how the incident became known"
    try:
        severity = Severity(form.severity)
    except ValueError:
        errors["severity"] = "choose a severity"
    if not form.summary.strip():
        errors["summary"] = "say what happened"
    try:
        count = _count(form.subject_count)
    except InputError as exc:
        errors["subject_count"] = exc.message
    if errors:
        raise FormErrors(errors, form)
    return incidents.NewIncident(
        operator_id="", detected_at=detected, source=source, summary=form.summary,
        severity=severity, categories=_names(form.categories), systems=_names(form.systems),
        subject_count=count, measures_taken=form.measures_taken,
        planned_measures=form.planned_measures)


def open_from(ctx: Context, operator_id: str, form: IncidentForm) -> Incident:
    """Open an incident from the form; a refusal of the slice (a field it checks that the
    form could not) comes back as that field's error, with the form as typed."""
    ctx = scoped(ctx, operator_id, Permission.INCIDENTS_MANAGE)
    new = parse_form(ctx, form, opening=True)
    try:
        return incidents.open_incident(ctx, replace(new, operator_id=operator_id))
    except InputError as exc:
        raise FormErrors({exc.field or "summary": exc.message}, form) from exc


def change(ctx: Context, operator_id: str, incident_id: str, form: IncidentForm) -> Incident:
    """Update what is known of the incident from the form."""
    ctx = scoped(ctx, operator_id, Permission.INCIDENTS_MANAGE)
    new = parse_form(ctx, form, opening=False)
    current = incidents.get(ctx, incident_id)
    # The form sends every field: only those that differ are changes (the timeline
    # names what was changed, not what was shown).
    typed = {"summary": new.summary.strip(), "severity": new.severity,
             "categories": new.categories, "systems": new.systems,
             "subject_count": new.subject_count, "measures_taken": new.measures_taken.strip(),
             "planned_measures": new.planned_measures.strip()}
    changed = {name: value for name, value in typed.items()
               if value != getattr(current, name)}
    if not changed:
        raise FormErrors({"changes": "nothing to change"}, form)
    try:
        return incidents.update(ctx, incident_id,
                                incidents.Changes(**changed))  # type: ignore[arg-type]
    except InputError as exc:
        raise FormErrors({exc.field or "summary": exc.message}, form) from exc


def move(ctx: Context, operator_id: str, incident_id: str, transition: Transition, *,
         reason: str = "", lessons: str = "", measures_taken: str | None = None) -> Incident:
    """Confirm, dismiss (with a reason), record the notice as sent, contain, or close
    (with the measures taken, written down first when given here, and the lessons)."""
    ctx = scoped(ctx, operator_id, Permission.INCIDENTS_MANAGE)
    typed = (measures_taken or "").strip()
    # Written down first, so that they are kept even if closing is refused.
    if (transition is Transition.CLOSE and typed
            and typed != incidents.get(ctx, incident_id).measures_taken):
        incidents.update(ctx, incident_id, incidents.Changes(measures_taken=typed))
    return incidents.move(ctx, incident_id, transition, reason=reason, lessons=lessons)

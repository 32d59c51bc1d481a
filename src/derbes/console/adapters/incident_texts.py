"""How the incident pages name states, sources, severities, moves and clocks, in the
catalogues' English (translated when shown)."""

from __future__ import annotations

from derbes.incidents.model import ClockState, Severity, Source, State, Transition
from derbes.platform.labels import N_

__all__ = ["CLOCK_LABELS", "FIELD_HINTS", "MOVE_LABELS", "SEVERITY_LABELS", "SOURCE_LABELS",
           "STATE_LABELS"]

STATE_LABELS: dict[State, str] = {
    State.CANDIDATE: N_("Candidate"),
    State.OPEN: N_("Open"),
    State.NOTIFIED: N_("Authorised body notified"),
    State.CONTAINED: N_("Contained"),
    State.CLOSED: N_("Closed"),
    State.DISMISSED: N_("Dismissed"),
}
SOURCE_LABELS: dict[Source, str] = {
    Source.ALERT: N_("An alert of derbes"),
    Source.STAFF_REPORT: N_("A staff member's report"),
    Source.PROCESSOR_REPORT: N_("A processor's report"),
    Source.SUBJECT_COMPLAINT: N_("A subject's complaint"),
}
SEVERITY_LABELS: dict[Severity, str] = {
    Severity.LOW: N_("Low"),
    Severity.MEDIUM: N_("Medium"),
    Severity.HIGH: N_("High"),
    Severity.CRITICAL: N_("Critical"),
}
MOVE_LABELS: dict[Transition, str] = {
    Transition.CONFIRM: N_("Confirm the incident"),
    Transition.DISMISS: N_("Dismiss"),
    Transition.NOTIFY: N_("Record that the notice was sent"),
    Transition.CONTAIN: N_("Record containment"),
    Transition.CLOSE: N_("Close the incident"),
}
CLOCK_LABELS: dict[ClockState, str] = {
    ClockState.RUNNING: N_("Time left"),
    ClockState.NEAR: N_("Due soon"),
    ClockState.OVERDUE: N_("Notification overdue"),
    ClockState.MET: N_("Notified in time"),
    ClockState.LATE: N_("Notified late"),
    ClockState.STOPPED: N_("No notification needed"),
}
# The hint shown next to a field of the incident forms that was refused.
FIELD_HINTS: dict[str, str] = {
    "detected_at": N_("Enter the date and time of detection (Almaty time); it cannot be in "
                      "the future."),
    "source": N_("Choose how the incident became known."),
    "severity": N_("Choose a severity."),
    "summary": N_("Say what happened."),
    "subject_count": N_("Enter a whole number, 0 or more, or leave it empty."),
    "categories": N_("At most 200 names of at most 100 characters each."),
    "systems": N_("At most 200 names of at most 100 characters each."),
    "measures_taken": N_("Write down the measures taken before closing."),
    "planned_measures": N_("At most 4000 characters."),
    "lessons": N_("An incident is closed with its lessons learnt."),
    "reason": N_("State the reason: it is kept with the change."),
    "changes": N_("Nothing differs from what is recorded: change a field first."),
}

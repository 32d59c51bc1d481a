"""Renders the console's pages: Jinja2 templates in the reader's language.

Texts come from derbes' Babel catalogues (``derbes.platform.i18n``) through ``_()``
in the templates; the catalogue is passed with each page, never installed in the
shared environment, so two readers in two languages cannot mix.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from derbes.console.model.pages import Urgency, mask
from derbes.incidents.model import ClockState, State
from derbes.platform.i18n import format_date
from derbes.platform.labels import N_, Lang
from derbes.platform.templates import page_templates, render_translated
from derbes.requests.model import RequestState, RequestType

__all__ = ["LANG_NAMES", "STATE_LABELS", "TYPE_LABELS", "render_page", "static_dir"]

TYPE_LABELS: dict[RequestType, str] = {
    RequestType.ACCESS: N_("Access to personal data"),
    RequestType.RECTIFICATION: N_("Rectification"),
    RequestType.BLOCKING: N_("Blocking"),
    RequestType.DESTRUCTION: N_("Destruction"),
    RequestType.CONSENT_WITHDRAWAL: N_("Withdrawal of consent"),
    RequestType.COMPLAINT: N_("Complaint"),
    RequestType.PRETRIAL_CLAIM: N_("Pre-trial claim"),
    RequestType.AUTOMATED_OBJECTION: N_("Objection to an automated decision"),
}
STATE_LABELS: dict[RequestState, str] = {
    RequestState.RECEIVED: N_("Received"),
    RequestState.VERIFIED: N_("Identity verified"),
    RequestState.IN_PROGRESS: N_("In progress"),
    RequestState.ANSWERED: N_("Answered"),
    RequestState.REFUSED: N_("Refused"),
    RequestState.WITHDRAWN: N_("Withdrawn"),
}
URGENCY_LABELS: dict[Urgency, str] = {
    Urgency.OVERDUE: N_("Overdue"),
    Urgency.DUE_TODAY: N_("Due today"),
    Urgency.ON_TIME: N_("On time"),
    Urgency.CLOSED: N_("Closed"),
}
INCIDENT_STATES: dict[State, str] = {
    State.CANDIDATE: N_("To be confirmed"),
    State.OPEN: N_("Confirmed"),
    State.NOTIFIED: N_("Notified"),
    State.CONTAINED: N_("Contained"),
    State.CLOSED: N_("Closed"),
    State.DISMISSED: N_("Dismissed"),
}
CLOCK_LABELS: dict[ClockState, str] = {
    ClockState.RUNNING: N_("Running"),
    ClockState.NEAR: N_("Near its end"),
    ClockState.OVERDUE: N_("Overdue"),
    ClockState.MET: N_("Notified in time"),
    ClockState.LATE: N_("Notified late"),
    ClockState.STOPPED: N_("Stopped"),
}
# Each language named in itself, as a language switch shows it.
LANG_NAMES: dict[Lang, str] = {Lang.RU: "Русский", Lang.KK: "Қазақша", Lang.EN: "English"}


def static_dir() -> Path:
    """The folder of the console's CSS and images (served at ``/console/static``)."""
    return Path(str(resources.files("derbes.console.adapters").joinpath("static")))


def _when(value: date | datetime | None, lang: Lang) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        # Shown in UTC, as it says: a deadline may come in the regime's time zone.
        shown = value.astimezone(UTC) if value.tzinfo is not None else value
        return f"{format_date(shown.date(), lang)}, {shown:%H:%M} UTC"
    return format_date(value, lang)


def render_page(name: str, lang: Lang, **values: Any) -> str:
    """The page ``name`` in ``lang`` with ``values``."""
    return render_translated(
        page_templates("derbes.console.adapters"), name, lang, langs=LANG_NAMES,
        type_label=TYPE_LABELS, state_label=STATE_LABELS, urgency_label=URGENCY_LABELS,
        incident_state=INCIDENT_STATES, clock_label=CLOCK_LABELS, mask=mask,
        when=lambda v: _when(v, lang), **values)

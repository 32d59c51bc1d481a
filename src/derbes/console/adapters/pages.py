"""Renders the console's pages: Jinja2 templates in the reader's language.

Texts come from derbes' Babel catalogues (``derbes.platform.i18n``) through ``_()``
in the templates; the catalogue is passed with each page, never installed in the
shared environment, so two readers in two languages cannot mix.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from derbes.console.adapters import incident_texts
from derbes.console.model.pages import Urgency, mask
from derbes.platform.clock import KZ_ZONE
from derbes.platform.i18n import format_date, translations
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


def _local(value: datetime | None, lang: Lang) -> str:
    """An instant where incidents are handled and their terms counted (Asia/Almaty)."""
    if value is None:
        return "—"
    local = value.astimezone(KZ_ZONE)
    return f"{format_date(local.date(), lang)}, {local:%H:%M}"


_UNITS = (N_("%(count)s d"), N_("%(count)s h"), N_("%(count)s min"))


def _duration(left: timedelta, lang: Lang) -> str:
    """A time left as a person reads a clock, in ``lang``: «1 күн 3 сағ 20 мин»; a time
    past (negative) with a minus sign."""
    minutes = int(abs(left).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    catalogue = translations(lang)
    shown = [(unit, n) for unit, n in zip(_UNITS, (days, hours, mins), strict=True)
             if n or unit is _UNITS[2] or (unit is _UNITS[1] and days)]
    text = " ".join(catalogue.ugettext(unit) % {"count": n} for unit, n in shown)
    return ("-" if left < timedelta(0) and minutes else "") + text


def render_page(name: str, lang: Lang, **values: Any) -> str:
    """The page ``name`` in ``lang`` with ``values``."""
    return render_translated(
        page_templates("derbes.console.adapters"), name, lang, langs=LANG_NAMES,
        type_label=TYPE_LABELS, state_label=STATE_LABELS, urgency_label=URGENCY_LABELS,
        mask=mask, incident_state=incident_texts.STATE_LABELS,
        incident_source=incident_texts.SOURCE_LABELS,
        severity_label=incident_texts.SEVERITY_LABELS, move_label=incident_texts.MOVE_LABELS,
        clock_label=incident_texts.CLOCK_LABELS, when=lambda v: _when(v, lang),
        local=lambda v: _local(v, lang), duration=lambda v: _duration(v, lang), **values)

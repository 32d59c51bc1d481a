"""Use cases of incidents: the register, the notification clock, detection."""

from derbes.incidents.service.clock import WARN_WITHIN, DueAlert, alert_due, notification_clock
from derbes.incidents.service.detect import ChainFailure, detect
from derbes.incidents.service.notice import BodyNotice, body_notice
from derbes.incidents.service.record import (
    Changes,
    NewIncident,
    Shown,
    get,
    listing,
    move,
    open_incident,
    show,
    update,
)

__all__ = ["WARN_WITHIN", "BodyNotice", "ChainFailure", "Changes", "DueAlert", "NewIncident",
           "Shown", "alert_due", "body_notice", "detect", "get", "listing", "move",
           "notification_clock", "open_incident", "show", "update"]

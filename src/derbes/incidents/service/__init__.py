"""Use cases of incidents: the register, the notification clock, detection."""

from derbes.incidents.service.clock import WARN_WITHIN, DueAlert, alert_due, notification_clock
from derbes.incidents.service.detect import ChainFailure, chain_broken, detect
from derbes.incidents.service.evidence import Attached, attach, evidence, open_evidence
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
from derbes.incidents.service.subjects import (
    Contact,
    NotifyReport,
    exports,
    notifications,
    notify_subjects,
    open_list,
    seal_list,
)

__all__ = [
    "WARN_WITHIN",
    "Attached",
    "BodyNotice",
    "ChainFailure",
    "Changes",
    "Contact",
    "DueAlert",
    "NewIncident",
    "NotifyReport",
    "Shown",
    "alert_due",
    "attach",
    "body_notice",
    "chain_broken",
    "detect",
    "evidence",
    "exports",
    "get",
    "listing",
    "move",
    "notification_clock",
    "notifications",
    "notify_subjects",
    "open_evidence",
    "open_incident",
    "open_list",
    "seal_list",
    "show",
    "update",
]

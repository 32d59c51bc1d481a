"""What the console decides from plain values: the reader's language, how urgent a request
is, how an identifier is masked, which pages a person's roles open, what an error means.

Standard library and other models only: the pages, the view models and the tests all
ask these functions, so two pages cannot disagree on what "overdue" is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from derbes.platform.labels import N_, Lang
from derbes.staff.model.roles import Permission

__all__ = [
    "FIELD_HINTS",
    "PAGES",
    "Page",
    "Urgency",
    "mask",
    "pick_language",
    "safe_next",
    "urgency",
    "visible_pages",
]

_LANGS = tuple(lang.value for lang in Lang)
# One element of Accept-Language (RFC 9110 §12.5.4): a language range and its weight.
_RANGE = re.compile(r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


def pick_language(chosen: str | None, accept_language: str | None = None) -> Lang:
    """The console's language: the one the person chose, else the browser's preferred one
    among ru, kk, en, else Russian (the language of most of the operators' staff)."""
    if chosen in _LANGS:
        return Lang(chosen)
    best: tuple[float, int, str] | None = None
    for place, part in enumerate((accept_language or "")[:500].split(",")):
        found = _RANGE.match(part)
        if found is None or found.group(1).lower() not in _LANGS:
            continue
        try:
            weight = float(found.group(2)) if found.group(2) is not None else 1.0
        except ValueError:
            continue
        if weight <= 0 or weight > 1:
            continue
        candidate = (-weight, place, found.group(1).lower())
        best = candidate if best is None or candidate < best else best
    return Lang(best[2]) if best else Lang.RU


class Urgency(StrEnum):
    """How a request's deadline stands, in working days (the days Art. 24 terms count)."""

    OVERDUE = "overdue"
    DUE_TODAY = "due_today"
    ON_TIME = "on_time"
    CLOSED = "closed"


def urgency(days_left: int, closed: bool) -> Urgency:
    """``days_left``: working days from today to the due date (negative once it passed)."""
    if closed:
        return Urgency.CLOSED
    if days_left < 0:
        return Urgency.OVERDUE
    return Urgency.DUE_TODAY if days_left == 0 else Urgency.ON_TIME


def mask(value: str, keep: int = 4) -> str:
    """A value shown masked: its last ``keep`` characters after bullets
    (``a3f0…91c2`` → ``••••91c2``); a value as short as that is hidden whole."""
    text = value.strip()
    if len(text) <= keep:
        return "•" * max(len(text), 1)
    return "••••" + text[-keep:]


@dataclass(frozen=True)
class Page:
    """A page of the console, and the permissions any one of which opens it (none: every
    person with a role at the operator)."""

    key: str
    title: str  # an English message id, translated when shown
    path: str  # under /console/{operator}
    opened_by: tuple[Permission, ...] = ()


PAGES: tuple[Page, ...] = (
    Page("today", N_("Today"), "today"),
    Page("requests", N_("Requests"), "requests", (Permission.REQUESTS_READ,)),
    Page("subjects", N_("Data subjects"), "subjects", (Permission.SUBJECTS_READ,)),
    Page("registers", N_("Registers"), "registers", (Permission.REGISTERS_MANAGE,)),
    Page("incidents", N_("Incidents"), "incidents", (Permission.INCIDENTS_READ,)),
    Page("retention", N_("Retention and acts"), "retention", (Permission.ACTS_READ,)),
    Page("audit", N_("Audit"), "audit", (Permission.AUDIT_READ,)),
    Page("people", N_("People and keys"), "people", (Permission.STAFF_VIEW,)),
    Page("compliance", N_("Compliance"), "compliance",
         (Permission.COMPLIANCE_READ, Permission.COMPLIANCE_MANAGE)),
)


def visible_pages(held: Iterable[Permission], pages: Sequence[Page] = PAGES) -> list[Page]:
    """The pages a person with permissions ``held`` at an operator may open."""
    have = set(held)
    return [p for p in pages if not p.opened_by or have.intersection(p.opened_by)]


def safe_next(path: str | None) -> str:
    """Where to go after signing in: a path of the console itself, never another site
    (``//evil.example``, ``https://…``) nor a path with a query that could carry data."""
    if (not path or not path.startswith("/console/") or path.startswith("//")
            or any(c in path for c in "\\?#@:") or len(path) > 300):
        return "/console"
    return path


# What the reader is told for an error at a field (the service's English message is kept
# for the English page and the audit log).
FIELD_HINTS: dict[str, str] = {
    "reason": N_("State the reason: it is kept with the change."),
    "document_ref": N_("Name the identity document you saw (its type and number)."),
    "csrf_token": N_("This form is out of date or did not come from this console: open the "
                     "page again and repeat."),
    "operator": N_("None of your roles at this operator allows this."),
    "expires": N_("The expiry must be a date in the future."),
    "role": N_("Choose one of the roles listed."),
    "person": N_("No such person: check the login."),
    "name": N_("Give the key a name."),
    "scopes": N_("Choose at least one scope."),
    "state": N_("The request is not in a state that allows this."),
    "response": N_("Write the operator's reasoned response."),
    "reasons": N_("State the reasons for the refusal."),
    "kind": N_("Look a subject up by IIN, phone or e-mail."),
    "value": N_("Check the identifier: an IIN has 12 digits, a phone number is a "
                "Kazakhstan number, an e-mail has the form name@domain."),
    "category": N_("This value is not held for the subject, or it is blocked."),
    "seq": N_("This value is not held for the subject, or it is blocked."),
    "purpose": N_("This purpose does not need that value: choose the purpose you work for."),
    "categories": N_("This purpose does not need that value: choose the purpose you work for."),
    "subject_id": N_("No such subject at this operator."),
    "since": N_("Enter the dates as day, month and year."),
    "until": N_("The end of the period must come after its start."),
    "act": N_("No such act at this operator."),
    "type": N_("A dry run is shown for destruction requests."),
    "register": N_("Upload a register file, paste its text or pick an earlier version."),
    "file": N_("The register file must be UTF-8 text (YAML) of at most 750 KB."),
    "text": N_("The register file must be UTF-8 text (YAML) of at most 750 KB."),
    "register_operator": N_("This register describes another operator: open the console of "
                            "that operator, or upload this operator's register."),
    "version": N_("No such version of this operator's register."),
    "confirm": N_("Tick the box to confirm that you have read what publishing changes."),
    "new_sha256": N_("The register sent is not the one compared: compare it again."),
    "source": N_("The register sent is not the one compared: compare it again."),
    "in_force": N_("Another version was published after this comparison was shown: compare "
                   "again against the version now in force."),
}

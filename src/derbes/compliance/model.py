"""How an operator shows its compliance: pure rules and values.

The operator appoints a person responsible for organising PD processing (Law 94-V
Art. 25 p.2 sp.10; duties in p.3) and gives that person's contact in a breach notice
(Art. 25 p.2 sp.8). Asked by the authorised body to describe how it meets the law
(Art. 25 p.2 sp.3-1), it hands over a compliance pack: what the register says, what
the lint finds, the documents in force, requests, retention, incidents, who has
access, and whether the audit chains hold. A fact no record holds is said to be
missing, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from derbes.errors import InputError
from derbes.platform.dates import check_date

__all__ = ["Appointment", "NewAppointment", "Period", "check_appointment", "check_period"]

MAX_NAME = 200
MAX_POSITION = 500
MAX_DOCUMENT = 200
# A pack covers at most this many days: a longer period is asked for in pieces.
MAX_PERIOD_DAYS = 366 * 3


@dataclass(frozen=True)
class NewAppointment:
    """An appointment as entered (checked by :func:`check_appointment`)."""

    operator_id: str
    name: str
    position: str
    appointed_on: date | None
    email: str | None = None
    phone: str | None = None
    document: str | None = None  # the order or decision that appointed the person


@dataclass(frozen=True)
class Appointment:
    """The responsible person of an operator as recorded; the latest one is in force."""

    id: int
    operator_id: str
    name: str
    position: str
    appointed_on: date
    email: str | None
    phone: str | None
    document: str | None
    recorded_at: datetime
    recorded_by: str


def _email(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    local, at, domain = text.rpartition("@")
    if (not at or not local or "." not in domain.strip(".") or len(text) > 254
            or any(c.isspace() for c in text) or domain.startswith(".")):
        raise InputError("the e-mail must have the form name@domain", field="email")
    return text


def _phone(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    digits = sum(c.isdigit() for c in text)
    if (len(text) > 40 or not 7 <= digits <= 15
            or any(not (c.isdigit() or c in "+-() ") for c in text)):
        raise InputError("the phone must be digits, with + ( ) - and spaces only",
                         field="phone")
    return text


def check_appointment(new: NewAppointment, today: date) -> NewAppointment:
    """The appointment with its text trimmed; refused when a name, a position, a contact
    (the breach notice gives it, Art. 25 p.2 sp.8) or a date not in the future is missing."""
    name = new.name.strip()
    position = new.position.strip()
    if not name or len(name) > MAX_NAME:
        raise InputError(f"name the person (at most {MAX_NAME} characters)", field="name")
    if not position or len(position) > MAX_POSITION:
        raise InputError(f"give the person's position (at most {MAX_POSITION} characters)",
                         field="position")
    email, phone = _email(new.email), _phone(new.phone)
    if email is None and phone is None:
        raise InputError("give an e-mail or a phone: the authorised body is told how to "
                         "reach the person", field="email")
    if new.appointed_on is None:
        raise InputError("give the date of appointment", field="appointed_on")
    check_date(new.appointed_on, "appointed_on")
    if new.appointed_on > today:
        raise InputError("the date of appointment is in the future", field="appointed_on")
    document = (new.document or "").strip() or None
    if document is not None and len(document) > MAX_DOCUMENT:
        raise InputError(f"the document is at most {MAX_DOCUMENT} characters",
                         field="document")
    return NewAppointment(new.operator_id, name, position, new.appointed_on, email, phone,
                          document)


@dataclass(frozen=True)
class Period:
    """The days a pack covers, both included (local days, Asia/Almaty)."""

    since: date
    until: date


def check_period(since: date | None, until: date | None, today: date) -> Period:
    """The period asked for; by default the year to date."""
    end = check_date(until, "until") if until else today
    start = check_date(since, "since") if since else date(end.year, 1, 1)
    if start > end:
        raise InputError("the end of the period must come after its start", field="until")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise InputError(f"a pack covers at most {MAX_PERIOD_DAYS} days", field="since")
    return Period(start, end)

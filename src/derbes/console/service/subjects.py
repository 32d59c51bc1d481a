"""The Subjects pages: look a subject up by an identifier, see their record masked, reveal
one value with a reason, and their consents, requests, transfers and retention dates.

The look-up goes through the vault's blind index only (the identifier is never stored
or logged in clear); the record shows what the vault holds without opening a value; a
value is opened only by :func:`reveal`, for a person whose role carries
``subjects.reveal`` (Order 179/НҚ: access limited to job duties), with a purpose and a
reason that the vault keeps in the same audit entry as the read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from derbes.audit.model.log import AuditRecord
from derbes.console.service.access import may, scoped
from derbes.console.service.deadlines import RequestLine, line_of, local_today
from derbes.context import Context
from derbes.errors import InputError, NotFoundError
from derbes.register.model.register import Purpose
from derbes.register.service.in_force import in_force_in
from derbes.requests import service as requests
from derbes.retention.model.clocks import PurposeClock
from derbes.retention.model.retention import CategoryClock
from derbes.retention.service.clocks import clocks_of
from derbes.staff.model.roles import Permission
from derbes.transfers import service as transfers
from derbes.vault.service import subjects as vault

__all__ = ["LOOKUP_KINDS", "Revealed", "SubjectPage", "find", "reveal", "subject_page"]

VIEW_ACTION = "console.subject.view"
REVEAL_REFUSED = "console.subject.reveal.refused"
# The identifiers a subject is looked up by (the blind index's kinds the console offers).
LOOKUP_KINDS = (vault.LookupKind.IIN.value, vault.LookupKind.PHONE.value,
                vault.LookupKind.EMAIL.value)
_SHOWN = 100


def find(ctx: Context, operator_id: str, kind: str, value: str) -> list[vault.SubjectRef]:
    """The operator's subjects with this identifier, through the blind index (audited by
    the vault with the person as the actor). Staff look subjects up to handle their
    requests, the purpose the law gives every operator (Law 94-V Art. 24)."""
    ctx = scoped(ctx, operator_id, Permission.SUBJECTS_READ)
    if kind not in LOOKUP_KINDS:
        raise InputError("look a subject up by IIN, phone or e-mail", field="kind")
    if not value.strip():
        raise InputError("enter the identifier to look up", field="value")
    return vault.find_subject(ctx, kind, value, vault.SUBJECT_ACCESS_REQUEST)


@dataclass(frozen=True)
class SubjectPage:
    """One subject: what the vault holds (sealed), their requests, transfers and clocks."""

    holdings: vault.SubjectHoldings
    purposes: dict[str, Purpose]  # the register's purposes, for names and reveal
    clocks: dict[str, PurposeClock]
    categories: dict[str, CategoryClock]
    requests: list[RequestLine]
    transfers: list[transfers.SeenTransfer]
    may_reveal: bool
    may_requests: bool


def subject_page(ctx: Context, operator_id: str, subject_id: str) -> SubjectPage:
    """The subject's page; the visit is recorded (who looked at whose record)."""
    ctx = scoped(ctx, operator_id, Permission.SUBJECTS_READ)
    held = vault.holdings(ctx, subject_id)
    with ctx.uow as uow:
        register = in_force_in(uow, operator_id).register
        # The one retention-clock rule: the same dates the sweep and the answers use.
        found = clocks_of(uow, held.subject_id, register, calendars=ctx.rules.calendars)
        uow.audit.record(AuditRecord(
            at=ctx.now(), actor=ctx.actor, action=VIEW_ACTION, request_id=ctx.request_id,
            subject_ids=(held.subject_id,),
            details={"operator_id": operator_id, "values_shown": 0}))
        uow.commit()
    lines: list[RequestLine] = []
    may_requests = may(ctx, Permission.REQUESTS_READ, operator_id)
    if may_requests:
        day = local_today(ctx)
        lines = [line_of(ctx, r, day) for r in requests.list_requests(ctx, requests.RequestFilter(
            operator_id=operator_id, subject_id=held.subject_id, limit=_SHOWN))]
    return SubjectPage(held, dict(register.purposes), dict(found.purposes),
                       dict(found.categories), lines,
                       transfers.subject_view(ctx, held.subject_id, limit=_SHOWN),
                       may(ctx, Permission.SUBJECTS_REVEAL, operator_id), may_requests)


@dataclass(frozen=True)
class Revealed:
    """One value shown in clear on the answer to the reveal form (never in a URL)."""

    category: str
    seq: int
    text: str = field(default="", repr=False)  # never in a repr, a log or a traceback


def reveal(ctx: Context, operator_id: str, subject_id: str, category: str, seq: int,
           purpose: str, reason: str) -> Revealed:
    """Open one value for a person who may, with the purpose and the reason (checked
    before anything is read; the vault writes both into the read's audit entry)."""
    ctx = scoped(ctx, operator_id, Permission.SUBJECTS_REVEAL)
    if not (reason or "").strip():
        # Refused before anything is read; the attempt is kept (who tried to open what).
        with ctx.uow as uow:
            uow.audit.record(AuditRecord(
                at=ctx.now(), actor=ctx.actor, action=REVEAL_REFUSED, request_id=ctx.request_id,
                details={"operator_id": operator_id, "subject": subject_id,
                         "category": category, "field": "reason"}))
            uow.commit()
        raise InputError("state why the value is revealed", field="reason")
    view = vault.read_subject(ctx, subject_id, purpose or vault.SUBJECT_ACCESS_REQUEST,
                              [category], reason=reason)
    value = next((v for v in view.values if v.seq == seq), None)
    if value is None:
        withheld = category in view.withheld
        raise NotFoundError("the value is blocked for this purpose" if withheld else
                            "no such value", field="purpose" if withheld else "category")
    shown = value.value if isinstance(value.value, str) else json.dumps(
        value.value, ensure_ascii=False, sort_keys=True)
    return Revealed(category, seq, shown)

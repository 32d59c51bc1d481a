"""The Today page: what needs the DPO's attention now, each part for the roles that may
see it.

* open requests by due date, with working days left (the overdue first);
* subjects under a block, waiting for a decision;
* retention: pairs (subject, category) already due for destruction, and those falling
  due this month;
* incidents not yet notified, with their notification clocks (Law 94-V Art. 25 p.2
  sp.8: one working day from detection);
* the access audit log's head held against its latest anchor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from derbes.audit import service as audit
from derbes.console.service.access import may
from derbes.console.service.deadlines import RequestLine, line_of, local_today
from derbes.context import Context, OperatorScope
from derbes.incidents import service as incidents
from derbes.incidents.model import Incident, NotificationClock, State
from derbes.integrity.model.anchor import Anchor
from derbes.requests import service as requests
from derbes.requests.model import RequestState
from derbes.retention.service.plan import due_summary
from derbes.staff import service as staff
from derbes.staff.model.roles import Permission
from derbes.uow import UnitOfWork
from derbes.vault.ports import BlockedSubject
from derbes.vault.service.changes import blocked_subjects

__all__ = ["IncidentClock", "RetentionDue", "TodayView", "today"]

_OPEN = (RequestState.RECEIVED, RequestState.VERIFIED, RequestState.IN_PROGRESS)
_SHOWN = 50  # lines per section; the Requests page lists them all
# Incidents whose notification is still to be made (a notified one's clock has stopped).
_WATCHED = (State.CANDIDATE, State.OPEN, State.CONTAINED)


@dataclass(frozen=True)
class RetentionDue:
    due_now: int  # (subject, category) pairs whose retention has ended
    subjects_now: int
    this_month: int  # pairs whose retention ends later this month
    unfinished_run: str | None


@dataclass(frozen=True)
class IncidentClock:
    incident: Incident
    clock: NotificationClock


@dataclass(frozen=True)
class TodayView:
    """Each section is None when the person's roles do not open it."""

    operator_id: str
    as_of: date
    requests: list[RequestLine] | None
    blocked: list[BlockedSubject] | None
    retention: RetentionDue | None
    chain: audit.HeadStatus | None
    incidents: list[IncidentClock] | None = None

    @property
    def overdue(self) -> int:
        return sum(1 for r in self.requests or [] if r.days_left < 0)


def today(ctx: Context, operator_id: str, reader: UnitOfWork,
          anchor: Anchor | None) -> TodayView:
    """The Today page of ``operator_id`` for the context's principal (a role there is
    required). ``reader``: a unit of work for the audit head; ``anchor``: the log's
    latest authentic anchor (None: never anchored)."""
    staff.require_role(ctx, operator_id)
    ctx = ctx.within(OperatorScope.only(operator_id))
    day = local_today(ctx)
    lines = blocked = retention = chain = None
    if may(ctx, Permission.REQUESTS_READ, operator_id):
        found = requests.list_requests(ctx, requests.RequestFilter(
            operator_id=operator_id, states=_OPEN, limit=_SHOWN))
        lines = sorted((line_of(ctx, r, day) for r in found),
                       key=lambda line: (line.due_date, line.received_at))
        blocked = blocked_subjects(ctx, operator_id, _SHOWN)
    if may(ctx, Permission.ACTS_READ, operator_id):
        retention = _retention(ctx, operator_id, day)
    if may(ctx, Permission.AUDIT_READ, operator_id):
        chain = audit.head_status(reader, anchor)
    return TodayView(operator_id, day, lines, blocked, retention, chain,
                     _incidents(ctx, operator_id))


def _incidents(ctx: Context, operator_id: str) -> list[IncidentClock] | None:
    """Incidents still to be notified, the soonest due first; their notices are not sent
    yet, so each clock is running, near its end or overdue."""
    if not may(ctx, Permission.INCIDENTS_READ, operator_id):
        return None
    found = [IncidentClock(i, incidents.notification_clock(ctx, i))
             for i in incidents.listing(ctx, operator_id, _WATCHED, _SHOWN)
             if i.notified_at is None]
    return sorted(found, key=lambda shown: shown.clock.due_at)


def _retention(ctx: Context, operator_id: str, day: date) -> RetentionDue:
    found = due_summary(ctx, operator_id, day)
    return RetentionDue(found.pairs, found.subjects, found.this_month, found.unfinished_run)

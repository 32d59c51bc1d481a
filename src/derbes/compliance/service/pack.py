"""The compliance pack: what the operator hands the authorised body when asked how it
meets the law (Law 94-V Art. 25 p.2 sp.3-1), gathered from the other slices' services.

Every figure comes from a record: the register in force and its earlier versions,
its lint, requests, retention runs and acts, incidents, the list of persons with
access, the walk of the audit chains. What no record holds (a policy without a
date, a publication nobody was recorded doing, a chain not walked) stays None and
the document says it is not stated. Reading the pack is recorded in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from derbes.audit import service as audit
from derbes.audit.model.log import AuditRecord
from derbes.compliance.model import Period, check_period
from derbes.compliance.service.documents import DocumentLine, documents
from derbes.compliance.service.responsible import Responsible, responsible
from derbes.consent.service import consent as consents
from derbes.context import Context, OperatorScope
from derbes.incidents import service as incidents
from derbes.incidents.model import ClockState, Incident
from derbes.integrity.model.anchor import Anchor, Chain
from derbes.platform.chain import Verification
from derbes.platform.chart import Bar, bars
from derbes.platform.clock import KZ_ZONE
from derbes.platform.labels import Labels
from derbes.register.model.loaded import LoadedRegister
from derbes.register.service.in_force import in_force_in
from derbes.register.service.lint import FileReport, lint_loaded
from derbes.requests import service as requests
from derbes.requests.model import RequestState, SubjectRequest
from derbes.retention.model.acts import ActHeader
from derbes.retention.model.retention import RunRecord
from derbes.retention.service import acts as retention_acts
from derbes.retention.service.clocks import runs as retention_runs
from derbes.staff import service as staff
from derbes.staff.model.roles import Permission
from derbes.staff.service.authorization import require
from derbes.staff.service.people import AccessRow
from derbes.uow import UnitOfWork

__all__ = ["PACK_ACTION", "ChainResult", "CompliancePack", "IncidentLine", "RequestCounts",
           "compliance_pack", "walk_chains"]

PACK_ACTION = "compliance.pack"
# How many of the operator's requests, runs, acts and incidents a pack reads at most;
# past it the pack says its counts are of the latest ones only.
READ_AT_MOST = 100_000
_RUNS = 500
_ACTS = 1_000
_INCIDENTS = 500


@dataclass(frozen=True)
class ChainResult:
    """The full walk of the access audit log and the consent ledger."""

    audit: Verification
    consent: Verification


@dataclass(frozen=True)
class RequestCounts:
    """Requests of the period: received in it, answered or refused in it (in time or
    after their due date), and of those still open at its end, how many are overdue."""

    received: int
    answered_in_time: int
    answered_late: int
    refused: int
    open_in_term: int
    open_overdue: int
    partial: bool  # True: more than READ_AT_MOST requests, counted over the latest

    def chart(self) -> list[Bar[str]]:
        return bars([("answered_in_time", self.answered_in_time),
                     ("answered_late", self.answered_late), ("refused", self.refused),
                     ("open_in_term", self.open_in_term),
                     ("open_overdue", self.open_overdue)])


@dataclass(frozen=True)
class IncidentLine:
    incident: Incident
    due_at: datetime
    clock: ClockState
    citation: str


@dataclass(frozen=True)
class CompliancePack:
    operator_id: str
    period: Period
    prepared_at: datetime
    prepared_by: str
    register: LoadedRegister
    lint: FileReport
    responsible: Responsible
    documents: list[DocumentLine]
    requests: RequestCounts
    runs: list[RunRecord]
    acts: list[ActHeader]
    incidents: list[IncidentLine]
    access: list[AccessRow]
    chains: ChainResult | None  # None: the chains were not walked for this pack
    roles: Mapping[str, Labels]  # each role's label, from the role table
    names: Mapping[str, str]  # a staff actor ("staff:<id>") and the person's name


def _within(at: datetime | None, period: Period) -> bool:
    if at is None:
        return False
    return period.since <= at.astimezone(KZ_ZONE).date() <= period.until


def _closed_on(request: SubjectRequest) -> date | None:
    return request.closed_at.astimezone(KZ_ZONE).date() if request.closed_at else None


def _open_at_end(request: SubjectRequest, period: Period) -> bool:
    closed = _closed_on(request)
    return (request.received_at.astimezone(KZ_ZONE).date() <= period.until
            and (closed is None or closed > period.until))


def count_requests(found: list[SubjectRequest], period: Period) -> RequestCounts:
    """The period's requests by outcome (a request's due date is a local day; answered
    after it, it was answered late, Law 94-V Art. 24 terms)."""
    received = sum(1 for r in found if _within(r.received_at, period))
    closed = [r for r in found if _within(r.closed_at, period)]
    answered = [r for r in closed if r.state is RequestState.ANSWERED]
    late = sum(1 for r in answered if (_closed_on(r) or period.until) > r.due_date)
    refused = sum(1 for r in closed if r.state is RequestState.REFUSED)
    still_open = [r for r in found if _open_at_end(r, period)]
    overdue = sum(1 for r in still_open if r.due_date < period.until)
    return RequestCounts(received, len(answered) - late, late, refused,
                         len(still_open) - overdue, overdue, len(found) >= READ_AT_MOST)


def walk_chains(reader: Callable[[], UnitOfWork], keys: tuple[bytes, bytes],
                anchors: Mapping[Chain, Anchor | None]) -> ChainResult:
    """Walk the whole access log and the whole consent ledger (``keys``: the audit key and
    the ledger key), each against its latest authentic anchor."""
    audit_key, ledger_key = keys
    return ChainResult(audit.verify(reader(), audit_key, anchor=anchors.get(Chain.AUDIT)),
                       consents.verify(reader(), ledger_key, anchor=anchors.get(Chain.LEDGER)))


def compliance_pack(ctx: Context, operator_id: str, since: date | None, until: date | None,
                    walk: Callable[[], ChainResult] | None = None) -> CompliancePack:
    """The pack of ``operator_id`` for the period (by default the year to date), for a
    person holding ``compliance.read`` there; ``walk`` walks the chains (None: the pack
    says they were not walked)."""
    found = responsible(ctx, operator_id)
    require(ctx, Permission.COMPLIANCE_READ, operator_id)
    ctx = ctx.within(OperatorScope.only(operator_id))
    period = check_period(since, until, requests.today(ctx.clock, ctx.rules.regime))
    with ctx.uow:
        loaded = in_force_in(ctx.uow, operator_id)
    listed = requests.list_requests(ctx, requests.RequestFilter(operator_id=operator_id,
                                                                limit=READ_AT_MOST))
    runs = [r for r in retention_runs(ctx, limit=_RUNS) if _within(r.started_at, period)]
    acts = [a for a in retention_acts.list_acts(ctx, limit=_ACTS)
            if period.since <= a.act_date <= period.until]
    shown = incidents.listing(ctx, operator_id, (), _INCIDENTS)
    lines = []
    for incident in shown:
        if not _within(incident.detected_at, period):
            continue
        clock = incidents.notification_clock(ctx, incident)
        lines.append(IncidentLine(incident, clock.due_at, clock.state, clock.citation))
    pack = CompliancePack(
        operator_id, period, ctx.now(), ctx.actor, loaded,
        lint_loaded(loaded, ctx.rules.regime), found, documents(ctx, operator_id),
        count_requests(listed, period), runs, acts, lines,
        staff.access_list(ctx, operator_id), walk() if walk is not None else None,
        {name: role.label for name, role in ctx.rules.staff.roles.roles.items()},
        {person.actor: f"{person.name} ({person.login})" for person, _ in staff.people(ctx)})
    with ctx.uow:
        ctx.uow.audit.record(AuditRecord(
            at=ctx.now(), actor=ctx.actor, action=PACK_ACTION, request_id=ctx.request_id,
            details={"operator_id": operator_id, "since": period.since.isoformat(),
                     "until": period.until.isoformat(),
                     "chains_walked": pack.chains is not None}))
        ctx.uow.commit()
    return pack

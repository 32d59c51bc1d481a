"""The oversight pages: the access audit log (filtered, paged, its chains verified on
demand, alerts on bulk reads), each operator's register in force with its lint findings
and notice, and retention (the plan, runs, destruction acts).

The audit log is the installation's one chain; an operator's page lists the entries
that name that operator (``operator_id`` in their details). The full walk of the chains
reads every entry, so it runs only when a person asks for it, and is itself recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from derbes.access import service as access
from derbes.audit import service as audit
from derbes.audit.model.log import AuditEntry, AuditRecord
from derbes.audit.ports import AccessAlert
from derbes.consent.service import consent as consents
from derbes.console.service.access import may, scoped
from derbes.console.service.deadlines import local_today
from derbes.context import Context
from derbes.integrity.model.anchor import Anchor, Chain
from derbes.platform.chain import Verification
from derbes.platform.chart import Bar, bars
from derbes.register.model.loaded import LoadedRegister
from derbes.register.ports import NoticeRenderer
from derbes.register.service.lint import FileReport, lint_loaded
from derbes.register.service.notice import notice_for
from derbes.register.service.registers import in_force
from derbes.retention.model.acts import Act, ActHeader
from derbes.retention.model.retention import RunRecord
from derbes.retention.service import acts
from derbes.retention.service.clocks import runs
from derbes.retention.service.plan import RetentionPlan, plan
from derbes.staff import service as staff
from derbes.staff.model.roles import Permission
from derbes.uow import UnitOfWork

__all__ = ["AuditFilter", "AuditPage", "ChainCheck", "RegisterPage", "RetentionPage", "act",
           "audit_page", "notice", "register_page", "retention_page", "verify_chains"]

VERIFY_ACTION = "console.audit.verify"
PAGE_SIZE = 50
_ALERTS = 50
_PLAN_MONTHS = 12


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    since: date | None = None  # from this day (UTC), inclusive
    until: date | None = None  # to this day (UTC), inclusive
    before: int | None = None  # entries older than this one: the next page


@dataclass(frozen=True)
class AuditPage:
    where: AuditFilter
    entries: list[AuditEntry]
    next_before: int | None  # where the next page starts; None: this is the last
    alerts: list[AccessAlert]
    anchors: Mapping[Chain, Anchor | None]


def _start(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), UTC)


def audit_page(ctx: Context, operator_id: str, where: AuditFilter,
               anchors: Mapping[Chain, Anchor | None]) -> AuditPage:
    """A page of the operator's audit entries, newest first, and the alerts on the
    operator's people and keys. ``anchors``: each chain's latest authentic anchor."""
    ctx = scoped(ctx, operator_id, Permission.AUDIT_READ)
    found = audit.search(ctx.uow, audit.AuditQuery(
        actor=where.actor, action=where.action, limit=PAGE_SIZE + 1,
        operator_id=operator_id, since=_start(where.since),
        until=_start(where.until + timedelta(days=1) if where.until else None),
        before_seq=where.before))
    shown = found[:PAGE_SIZE]
    later = shown[-1].seq if len(found) > PAGE_SIZE else None
    return AuditPage(where, shown, later, _alerts(ctx, operator_id), anchors)


def _alerts(ctx: Context, operator_id: str) -> list[AccessAlert]:
    """Alerts on the actors who work at the operator: its people and its API keys."""
    actors = {ctx.actor}
    if may(ctx, Permission.STAFF_VIEW, operator_id):
        actors |= {f"staff:{row.person_id}" for row in staff.access_list(ctx, operator_id)}
    actors |= {f"api:{k.name}" for k in access.list_keys(ctx.uow)
               if k.operator_id == operator_id}
    return [a for a in audit.alerts(ctx.uow, limit=_ALERTS * 4) if a.actor in actors][:_ALERTS]


@dataclass(frozen=True)
class ChainCheck:
    audit: Verification
    consent: Verification


def verify_chains(ctx: Context, operator_id: str, reader: Callable[[], UnitOfWork],
                  keys: tuple[bytes, bytes], anchors: Mapping[Chain, Anchor | None]
                  ) -> ChainCheck:
    """Walk the whole access log and the whole consent ledger (``keys``: the audit key
    and the ledger key), each against its latest anchor; the walk is recorded."""
    ctx = scoped(ctx, operator_id, Permission.AUDIT_READ)
    audit_key, ledger_key = keys
    done = ChainCheck(audit.verify(reader(), audit_key, anchor=anchors.get(Chain.AUDIT)),
                      consents.verify(reader(), ledger_key, anchor=anchors.get(Chain.LEDGER)))
    with ctx.uow as uow:
        uow.audit.record(AuditRecord(
            at=ctx.now(), actor=ctx.actor, action=VERIFY_ACTION, request_id=ctx.request_id,
            details={"operator_id": operator_id,
                     "audit": {"entries": done.audit.entries,
                               "breaks": len(done.audit.breaks)},
                     "consent": {"entries": done.consent.entries,
                                 "breaks": len(done.consent.breaks)}}))
        uow.commit()
    return done


@dataclass(frozen=True)
class RegisterPage:
    loaded: LoadedRegister
    report: FileReport


def register_page(ctx: Context, operator_id: str) -> RegisterPage:
    """The operator's register in force and its lint findings against the regime."""
    ctx = scoped(ctx, operator_id, Permission.REGISTERS_MANAGE)
    loaded = in_force(ctx.uow, operator_id)
    return RegisterPage(loaded, lint_loaded(loaded, ctx.rules.regime))


def notice(ctx: Context, operator_id: str, lang: str, renderer: NoticeRenderer) -> bytes:
    """The privacy notice of the register in force, as HTML in ``lang``; a register with
    unwaived errors is rendered as a watermarked draft."""
    page = register_page(ctx, operator_id)
    return notice_for(page.loaded, lang, "html", regime=ctx.rules.regime, renderer=renderer,
                      draft=page.report.errors > 0)


@dataclass(frozen=True)
class RetentionPage:
    plan: RetentionPlan
    chart: list[Bar[date]]
    runs: list[RunRecord]
    acts: list[ActHeader]


def retention_page(ctx: Context, operator_id: str) -> RetentionPage:
    """The destruction plan (with its months ahead), the sweep's runs and the acts."""
    ctx = scoped(ctx, operator_id, Permission.ACTS_READ)
    found = plan(ctx, operator_id, local_today(ctx), months=_PLAN_MONTHS)
    return RetentionPage(found, bars(found.histogram), runs(ctx, limit=20),
                         list(acts.list_acts(ctx, limit=50)))


def act(ctx: Context, operator_id: str, ref: str) -> Act:
    """One of the operator's acts by id or number, checked against its checksum."""
    return acts.get(scoped(ctx, operator_id, Permission.ACTS_READ), ref)

"""From alerts to incidents: each signal of a possible breach opens a *candidate*.

:func:`detect` reads what arrived since its last run for an operator (the
access audit log after the mark's entry, the bulk-read alerts after the mark's
alert) and opens one candidate per signal, for the security officer to confirm
or dismiss with a reason:

* a bulk-read alert whose reads touched this operator's subjects (Order 179/НҚ:
  detection of unauthorised access);
* refused staff access at this operator (``staff.denied``): an unauthorised
  person trying to reach PD — one candidate per person and run;
* a revoked person's attempted access (``staff.revoked_access``: a session ended
  by revocation, or of a disabled person, used again) at an operator where that
  person's access was taken away — one candidate per person and run;
* a destruction run of this operator left unfinished (a store failed);
* a failed verification of the audit chain, when the caller walked it and
  passes the result (the log is the installation's, so every operator's).

Each candidate carries its trigger's reference, unique per operator: a second
run, or one that overlaps, opens nothing new.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from derbes.audit.model.log import AuditEntry
from derbes.context import Context
from derbes.incidents.model import Incident, Severity, Source, State, Trigger
from derbes.incidents.ports import ScanMark
from derbes.incidents.service.record import NewIncident, open_incident
from derbes.staff.service.authorization import DENIED_ACTION
from derbes.staff.service.sessions import REVOKED_ACCESS_ACTION

__all__ = ["ChainFailure", "Signal", "chain_broken", "detect"]

STORE_FAILED = "retention_sweep.store_failed"
# The audit store reads entries strictly after ``since``; the alert's first read counts.
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class ChainFailure:
    """A verification of the audit chain that failed: where the first break is."""

    first_break_seq: int
    kind: str
    at: datetime


@dataclass(frozen=True)
class Signal:
    trigger: Trigger
    ref: str
    at: datetime
    summary: str
    severity: Severity


def _from_entries(entries: Iterator[AuditEntry], operator_id: str,
                  run_operator: dict[str, str]) -> Iterator[Signal]:
    denied: dict[str, AuditEntry] = {}
    revoked: dict[str, AuditEntry] = {}
    for entry in entries:
        details = entry.details
        if entry.action == DENIED_ACTION and details.get("operator_id") == operator_id:
            denied.setdefault(entry.actor, entry)
        elif (entry.action == REVOKED_ACCESS_ACTION
              and operator_id in (details.get("operator_ids") or ())):
            revoked.setdefault(entry.actor, entry)
        elif details.get("operation") == STORE_FAILED:
            run_id = str(details.get("run_id"))
            if run_operator.get(run_id) == operator_id:
                yield Signal(Trigger.DESTRUCTION_UNFINISHED, f"run:{run_id}:{entry.seq}",
                             entry.at, f"A destruction run ({run_id}) could not finish: a "
                             f"store failed ({details.get('store') or 'vault'}).",
                             Severity.MEDIUM)
    for actor, entry in denied.items():
        yield Signal(Trigger.DENIED_ACCESS, f"audit:{entry.seq}", entry.at,
                     f"Access refused to {actor} at this operator "
                     f"({entry.details.get('reason')}): an unauthorised person "
                     "tried to reach its data.", Severity.MEDIUM)
    for actor, entry in revoked.items():
        yield Signal(Trigger.REVOKED_ACCESS, f"audit:{entry.seq}", entry.at,
                     f"{actor}, whose access was revoked ({entry.details.get('reason')}), "
                     "tried to sign in with an ended session.", Severity.HIGH)


def _alert_signals(ctx: Context, operator_id: str, after_id: int) -> tuple[list[Signal], int]:
    signals: list[Signal] = []
    last = after_id
    alerts = [a for a in ctx.uow.alerts.list(limit=10_000) if a.id > after_id]
    for alert in sorted(alerts, key=lambda a: a.id):
        last = max(last, alert.id)
        actions = alert.details.get("actions") or []
        reads = ctx.uow.audit.by_actor(alert.actor, since=alert.first_at - _TICK,
                                       actions=[str(a) for a in actions])
        if not any(e.details.get("operator_id") == operator_id and e.at <= alert.last_at
                   for e in reads):
            continue
        signals.append(Signal(
            Trigger.BULK_READ, f"alert:{alert.id}", alert.at,
            f"Bulk read: {alert.actor} read {alert.count} subjects' data within "
            f"{alert.window_seconds} s (rule {alert.rule}).", Severity.HIGH))
    return signals, last


def detect(ctx: Context, operator_id: str, chain: ChainFailure | None = None
           ) -> list[Incident]:
    """Open a candidate for each new signal at ``operator_id``; the candidates opened."""
    with ctx.uow:
        mark = ctx.uow.incidents.mark(operator_id)
        after_seq = mark.audit_seq if mark else 0
        after_alert = mark.alert_id if mark else 0
        head_seq, _ = ctx.uow.audit.head()
        runs = {r.id: r.operator_id for r in ctx.uow.retention.runs(operator_id, limit=1000)}
        signals = list(_from_entries(ctx.uow.audit.entries(after_seq=after_seq),
                                     operator_id, runs))
        alert_signals, last_alert = _alert_signals(ctx, operator_id, after_alert)
        signals += alert_signals
    if chain is not None:
        signals.append(_chain_signal(chain))
    opened = _candidates(ctx, operator_id, signals)
    with ctx.uow:
        ctx.uow.incidents.set_mark(ScanMark(operator_id, head_seq, last_alert, ctx.now()))
        ctx.uow.commit()
    return opened


def _chain_signal(chain: ChainFailure) -> Signal:
    return Signal(
        Trigger.CHAIN_BREAK, f"chain:{chain.first_break_seq}:{chain.kind}", chain.at,
        f"The access audit log failed its verification: entry {chain.first_break_seq} "
        f"is {chain.kind}.", Severity.CRITICAL)


def _candidates(ctx: Context, operator_id: str, signals: list[Signal]) -> list[Incident]:
    """A candidate per signal not raised before at ``operator_id``."""
    opened: list[Incident] = []
    for signal in signals:
        with ctx.uow:
            if ctx.uow.incidents.by_trigger(operator_id, signal.ref) is not None:
                continue
        opened.append(open_incident(ctx, NewIncident(
            operator_id=operator_id, detected_at=min(signal.at, ctx.now()),
            source=Source.ALERT, summary=signal.summary, severity=signal.severity,
            trigger=signal.trigger, trigger_ref=signal.ref, state=State.CANDIDATE)))
    return opened


def chain_broken(ctx: Context, chain: ChainFailure) -> list[Incident]:
    """A failed verification of the audit log: the log is the installation's, so a
    candidate opens at every operator with a register (within the context's scope),
    once per break however often the log is verified."""
    with ctx.uow:
        operators = sorted({r.operator_id for r in ctx.uow.registers.list()
                            if ctx.scope.admits(r.operator_id)})
    signal = _chain_signal(chain)
    return [i for operator_id in operators for i in _candidates(ctx, operator_id, [signal])]

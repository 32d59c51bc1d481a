"""Incidents on SQL: the adapter of ``IncidentRepository``."""

from __future__ import annotations

import builtins
import json
from collections.abc import Collection, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from derbes.incidents.model import Event, Incident, Severity, Source, State, Trigger
from derbes.incidents.ports import Evidence, IncidentFilter, Notified, ScanMark, SealedExport
from derbes.platform.tables import (
    incident_events,
    incident_evidence,
    incident_exports,
    incident_notifications,
    incident_scans,
    incident_subjects,
    incidents,
)

__all__ = ["SqlIncidentRepository"]


def _row(incident: Incident) -> dict[str, Any]:
    row = asdict(incident)
    for name in ("state", "source", "severity", "trigger"):
        value = getattr(incident, name)
        row[name] = value.value if value is not None else None
    row["categories"] = json.dumps(list(incident.categories), ensure_ascii=False)
    row["systems"] = json.dumps(list(incident.systems), ensure_ascii=False)
    return row


def _incident(row: Any) -> Incident:
    m = dict(row._mapping)
    return Incident(**{
        **m, "state": State(m["state"]), "source": Source(m["source"]),
        "severity": Severity(m["severity"]),
        "trigger": Trigger(m["trigger"]) if m["trigger"] else None,
        "categories": tuple(json.loads(m["categories"])),
        "systems": tuple(json.loads(m["systems"]))})


def _export(row: Any) -> SealedExport:
    m = dict(row._mapping)
    return SealedExport(**{**m, "sealed": bytes(m["sealed"])})


class SqlIncidentRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, incident: Incident) -> None:
        self._c.execute(insert(incidents).values(**_row(incident)))

    def get(self, incident_id: str, *, for_update: bool = False) -> Incident | None:
        query = select(incidents).where(incidents.c.id == incident_id)
        if for_update:
            query = query.with_for_update()
        row = self._c.execute(query).first()
        return _incident(row) if row is not None else None

    def by_trigger(self, operator_id: str, trigger_ref: str) -> Incident | None:
        row = self._c.execute(select(incidents).where(
            incidents.c.operator_id == operator_id,
            incidents.c.trigger_ref == trigger_ref)).first()
        return _incident(row) if row is not None else None

    def save(self, incident: Incident) -> None:
        values = _row(incident)
        del values["id"]
        self._c.execute(update(incidents).where(incidents.c.id == incident.id).values(**values))

    def list(self, where: IncidentFilter) -> builtins.list[Incident]:
        t = incidents.c
        query = select(incidents)
        if where.states:
            query = query.where(t.state.in_([s.value for s in where.states]))
        if where.operator_ids is not None:
            query = query.where(t.operator_id.in_(where.operator_ids))
        query = query.order_by(t.detected_at.desc(), t.id).limit(where.limit)
        return [_incident(r) for r in self._c.execute(query)]

    def add_event(self, event: Event) -> None:
        self._c.execute(insert(incident_events).values(
            incident_id=event.incident_id, seq=event.seq, at=event.at, actor=event.actor,
            kind=event.kind, details=json.dumps(event.details, ensure_ascii=False,
                                                sort_keys=True, default=str)))

    def events(self, incident_id: str) -> builtins.list[Event]:
        t = incident_events.c
        rows = self._c.execute(select(incident_events).where(t.incident_id == incident_id)
                               .order_by(t.seq))
        return [Event(r.incident_id, r.seq, r.at, r.actor, r.kind, json.loads(r.details))
                for r in rows]

    def set_subjects(self, incident_id: str, subject_ids: Collection[str]) -> None:
        self._c.execute(delete(incident_subjects)
                        .where(incident_subjects.c.incident_id == incident_id))
        if subject_ids:
            self._c.execute(insert(incident_subjects), [
                {"incident_id": incident_id, "subject_id": s} for s in sorted(subject_ids)])

    def subjects(self, incident_id: str) -> builtins.list[str]:
        t = incident_subjects.c
        return [r.subject_id for r in self._c.execute(
            select(t.subject_id).where(t.incident_id == incident_id).order_by(t.subject_id))]

    def add_export(self, export: SealedExport) -> None:
        self._c.execute(insert(incident_exports).values(**asdict(export)))

    def export(self, export_id: str) -> SealedExport | None:
        row = self._c.execute(select(incident_exports)
                              .where(incident_exports.c.id == export_id)).first()
        return _export(row) if row is not None else None

    def exports(self, incident_id: str) -> Sequence[SealedExport]:
        t = incident_exports.c
        return [_export(r) for r in self._c.execute(
            select(incident_exports).where(t.incident_id == incident_id)
            .order_by(t.created_at, t.id))]

    def notified(self, incident_id: str) -> builtins.list[Notified]:
        t = incident_notifications.c
        return [Notified(**dict(r._mapping)) for r in self._c.execute(
            select(incident_notifications).where(t.incident_id == incident_id)
            .order_by(t.subject_id))]

    def claim(self, rows: Sequence[Notified]) -> None:
        if rows:
            self._c.execute(insert(incident_notifications), [asdict(r) for r in rows])

    def settle(self, row: Notified) -> None:
        t = incident_notifications.c
        self._c.execute(update(incident_notifications).where(
            t.incident_id == row.incident_id, t.subject_id == row.subject_id).values(
            channel=row.channel, delivery_id=row.delivery_id, outcome=row.outcome))

    def add_evidence(self, evidence: Evidence) -> None:
        self._c.execute(insert(incident_evidence).values(**asdict(evidence)))

    def evidence(self, incident_id: str) -> builtins.list[Evidence]:
        t = incident_evidence.c
        return [Evidence(**{**dict(r._mapping), "sealed": bytes(r.sealed)})
                for r in self._c.execute(select(incident_evidence)
                                         .where(t.incident_id == incident_id)
                                         .order_by(t.added_at, t.id))]

    def mark(self, operator_id: str) -> ScanMark | None:
        row = self._c.execute(select(incident_scans)
                              .where(incident_scans.c.operator_id == operator_id)).first()
        return ScanMark(**dict(row._mapping)) if row is not None else None

    def set_mark(self, mark: ScanMark) -> None:
        t = incident_scans.c
        found = self._c.execute(select(func.count()).select_from(incident_scans)
                                .where(t.operator_id == mark.operator_id)).scalar_one()
        if found:
            self._c.execute(update(incident_scans).where(t.operator_id == mark.operator_id)
                            .values(audit_seq=mark.audit_seq, alert_id=mark.alert_id,
                                    scanned_at=mark.scanned_at))
        else:
            self._c.execute(insert(incident_scans).values(**asdict(mark)))

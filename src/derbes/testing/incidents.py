"""The incident store in memory, for tests (production never imports this)."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace

from derbes.incidents.model import Event, Incident
from derbes.incidents.ports import Evidence, IncidentFilter, Notified, ScanMark, SealedExport
from derbes.platform.memory import checkpoint

__all__ = ["FakeIncidentRepository"]


class FakeIncidentRepository:
    def __init__(self) -> None:
        self.rows: dict[str, Incident] = {}
        self.timeline: dict[str, list[Event]] = {}
        self.named: dict[str, list[str]] = {}
        self.sealed: dict[str, SealedExport] = {}
        self.marks: dict[str, ScanMark] = {}
        self.notes: dict[tuple[str, str], Notified] = {}
        self.files: dict[str, Evidence] = {}

    def add(self, incident: Incident) -> None:
        if incident.id in self.rows:
            raise ValueError(f"incident {incident.id} exists")
        if incident.trigger_ref and self.by_trigger(incident.operator_id, incident.trigger_ref):
            raise ValueError(f"trigger {incident.trigger_ref} has an incident")
        self.rows[incident.id] = incident

    def get(self, incident_id: str, *, for_update: bool = False) -> Incident | None:
        return self.rows.get(incident_id)

    def by_trigger(self, operator_id: str, trigger_ref: str) -> Incident | None:
        return next((i for i in self.rows.values()
                     if i.operator_id == operator_id and i.trigger_ref == trigger_ref), None)

    def save(self, incident: Incident) -> None:
        self.rows[incident.id] = incident

    def list(self, where: IncidentFilter) -> builtins.list[Incident]:
        found = [i for i in self.rows.values()
                 if (not where.states or i.state in where.states)
                 and (where.operator_ids is None or i.operator_id in where.operator_ids)]
        found.sort(key=lambda i: i.id)
        found.sort(key=lambda i: i.detected_at, reverse=True)
        return found[:where.limit]

    def add_event(self, event: Event) -> None:
        self.timeline[event.incident_id] = [*self.timeline.get(event.incident_id, []), event]

    def events(self, incident_id: str) -> builtins.list[Event]:
        return sorted(self.timeline.get(incident_id, []), key=lambda e: e.seq)

    def set_subjects(self, incident_id: str, subject_ids: Collection[str]) -> None:
        self.named[incident_id] = sorted(subject_ids)

    def subjects(self, incident_id: str) -> builtins.list[str]:
        return list(self.named.get(incident_id, []))

    def add_export(self, export: SealedExport) -> None:
        self.sealed[export.id] = export

    def export(self, export_id: str) -> SealedExport | None:
        return self.sealed.get(export_id)

    def exports(self, incident_id: str) -> Sequence[SealedExport]:
        return sorted((e for e in self.sealed.values() if e.incident_id == incident_id),
                      key=lambda e: (e.created_at, e.id))

    def notified(self, incident_id: str) -> builtins.list[Notified]:
        return sorted((n for n in self.notes.values() if n.incident_id == incident_id),
                      key=lambda n: n.subject_id)

    def claim(self, rows: Sequence[Notified]) -> None:
        for row in rows:
            if (row.incident_id, row.subject_id) in self.notes:
                raise ValueError(f"subject {row.subject_id} is already notified")
        for row in rows:
            self.notes[(row.incident_id, row.subject_id)] = row

    def settle(self, row: Notified) -> None:
        current = self.notes[(row.incident_id, row.subject_id)]
        self.notes[(row.incident_id, row.subject_id)] = replace(
            current, channel=row.channel, delivery_id=row.delivery_id, outcome=row.outcome)

    def add_evidence(self, evidence: Evidence) -> None:
        self.files[evidence.id] = evidence

    def evidence(self, incident_id: str) -> builtins.list[Evidence]:
        return sorted((e for e in self.files.values() if e.incident_id == incident_id),
                      key=lambda e: (e.added_at, e.id))

    def mark(self, operator_id: str) -> ScanMark | None:
        return self.marks.get(operator_id)

    def set_mark(self, mark: ScanMark) -> None:
        self.marks[mark.operator_id] = mark

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "rows", "timeline", "named", "sealed", "marks", "notes",
                          "files")

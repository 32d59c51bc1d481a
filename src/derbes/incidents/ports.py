"""What the incident use cases need of storage, owned by the slice.

``uow.incidents`` keeps the register, the timeline, the affected subjects (by
internal id), the sealed notification lists and the detector's marks.
``adapters/store.py`` implements it on SQL, ``derbes.testing.incidents`` in memory.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from derbes.incidents.model import Event, Incident, State

__all__ = ["Evidence", "IncidentFilter", "IncidentRepository", "Notified", "ScanMark",
           "SealedExport"]


@dataclass(frozen=True)
class IncidentFilter:
    operator_ids: tuple[str, ...] | None = None  # None: every operator
    states: tuple[State, ...] = ()
    limit: int = 100


@dataclass(frozen=True)
class SealedExport:
    """The notification list of an incident, sealed under ``key_id``."""

    id: str
    incident_id: str
    key_id: str
    sealed: bytes
    subjects: int
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class Notified:
    """One affected subject's notification of an incident: the language and channel
    chosen, the delivery that carries it (None: no phone or e-mail held) and how it
    went (``claimed`` until the delivery is made, then the delivery's state, or
    ``unreachable``)."""

    incident_id: str
    subject_id: str
    language: str
    channel: str | None
    delivery_id: str | None
    outcome: str
    at: datetime
    actor: str


@dataclass(frozen=True)
class Evidence:
    """A file attached to an incident, sealed under ``key_id``."""

    id: str
    incident_id: str
    name: str
    media_type: str
    size: int
    sha256: str
    key_id: str
    sealed: bytes
    added_at: datetime
    added_by: str


@dataclass(frozen=True)
class ScanMark:
    """How far the detector read for an operator: audit entries up to ``audit_seq``,
    alerts up to ``alert_id``."""

    operator_id: str
    audit_seq: int
    alert_id: int
    scanned_at: datetime


class IncidentRepository(Protocol):
    def add(self, incident: Incident) -> None: ...

    def get(self, incident_id: str, *, for_update: bool = False) -> Incident | None: ...

    def by_trigger(self, operator_id: str, trigger_ref: str) -> Incident | None: ...

    def save(self, incident: Incident) -> None: ...

    def list(self, where: IncidentFilter) -> builtins.list[Incident]:
        """Matching incidents, the most recently detected first."""
        ...

    def add_event(self, event: Event) -> None: ...

    def events(self, incident_id: str) -> builtins.list[Event]:
        """The timeline, oldest first."""
        ...

    def set_subjects(self, incident_id: str, subject_ids: Collection[str]) -> None:
        """Name the affected subjects (replacing any named before)."""
        ...

    def subjects(self, incident_id: str) -> builtins.list[str]: ...

    def add_export(self, export: SealedExport) -> None: ...

    def export(self, export_id: str) -> SealedExport | None: ...

    def exports(self, incident_id: str) -> Sequence[SealedExport]: ...

    def notified(self, incident_id: str) -> builtins.list[Notified]:
        """The subjects notified of the incident (or claimed for it), by subject id."""
        ...

    def claim(self, rows: Sequence[Notified]) -> None:
        """Record subjects as being notified; a subject already recorded for the incident
        is a store error (the key is the pair)."""
        ...

    def settle(self, row: Notified) -> None:
        """Record a claimed subject's channel, delivery and outcome."""
        ...

    def add_evidence(self, evidence: Evidence) -> None: ...

    def evidence(self, incident_id: str) -> builtins.list[Evidence]:
        """The files attached, oldest first (sealed contents included)."""
        ...

    def mark(self, operator_id: str) -> ScanMark | None: ...

    def set_mark(self, mark: ScanMark) -> None: ...

"""The register of responsible persons in memory, for tests (production never imports this)."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import datetime

from derbes.compliance.model import Appointment, NewAppointment
from derbes.platform.memory import checkpoint

__all__ = ["FakeResponsibleRepository"]


class FakeResponsibleRepository:
    def __init__(self) -> None:
        self.rows: list[Appointment] = []

    def add(self, new: NewAppointment, recorded_at: datetime, recorded_by: str
            ) -> Appointment:
        made = Appointment(len(self.rows) + 1, new.operator_id, new.name, new.position,
                           new.appointed_on or recorded_at.date(), new.email, new.phone,
                           new.document, recorded_at, recorded_by)
        self.rows = [*self.rows, made]
        return made

    def current(self, operator_id: str) -> Appointment | None:
        found = self.history(operator_id)
        return found[0] if found else None

    def history(self, operator_id: str, limit: int = 100) -> builtins.list[Appointment]:
        return [a for a in reversed(self.rows) if a.operator_id == operator_id][:limit]

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "rows")

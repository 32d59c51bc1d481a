"""What the compliance use cases need of storage, owned by the slice.

``uow.responsible`` keeps each operator's appointments of the responsible person;
``adapters/store.py`` implements it on SQL, ``derbes.testing.compliance`` in memory.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Protocol

from derbes.compliance.model import Appointment, NewAppointment

__all__ = ["ResponsibleRepository"]


class ResponsibleRepository(Protocol):
    def add(self, new: NewAppointment, recorded_at: datetime, recorded_by: str) -> Appointment:
        """Record an appointment; it is the operator's appointment in force from now."""
        ...

    def current(self, operator_id: str) -> Appointment | None:
        """The appointment recorded last for the operator, or None."""
        ...

    def history(self, operator_id: str) -> builtins.list[Appointment]:
        """Every appointment of the operator, the latest first."""
        ...

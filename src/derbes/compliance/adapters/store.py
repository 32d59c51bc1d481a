"""The register of responsible persons on SQL: the adapter of ``ResponsibleRepository``."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from derbes.compliance.model import Appointment, NewAppointment
from derbes.platform.tables import responsible_appointments

__all__ = ["SqlResponsibleRepository"]


def _appointment(row: Any) -> Appointment:
    return Appointment(**dict(row._mapping))


class SqlResponsibleRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, new: NewAppointment, recorded_at: datetime, recorded_by: str
            ) -> Appointment:
        if new.appointed_on is None:
            raise ValueError("an appointment is recorded with its date (checked first)")
        made = self._c.execute(insert(responsible_appointments).values(
            operator_id=new.operator_id, name=new.name, position=new.position,
            email=new.email, phone=new.phone, appointed_on=new.appointed_on,
            document=new.document, recorded_at=recorded_at, recorded_by=recorded_by))
        key = made.inserted_primary_key
        if key is None:
            raise RuntimeError("the database returned no id for the appointment")
        return Appointment(int(key[0]), new.operator_id, new.name, new.position,
                           new.appointed_on, new.email, new.phone, new.document,
                           recorded_at, recorded_by)

    def current(self, operator_id: str) -> Appointment | None:
        found = self.history(operator_id, limit=1)
        return found[0] if found else None

    def history(self, operator_id: str, limit: int = 100) -> builtins.list[Appointment]:
        t = responsible_appointments.c
        rows = self._c.execute(select(responsible_appointments)
                               .where(t.operator_id == operator_id)
                               .order_by(t.id.desc()).limit(limit))
        return [_appointment(r) for r in rows]

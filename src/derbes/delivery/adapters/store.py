"""Delivery records on SQL (``deliveries``): the adapter of ``DeliveryRepository``."""

from __future__ import annotations

import builtins
from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, insert, select, update

from derbes.delivery.model import Channel, Delivery, Failure, State, Template
from derbes.delivery.ports import DeliveryFilter
from derbes.platform.tables import deliveries

__all__ = ["SqlDeliveryRepository"]


def _row(delivery: Delivery) -> dict[str, Any]:
    row = asdict(delivery)
    for name in ("channel", "template", "state", "last_failure"):
        value = getattr(delivery, name)
        row[name] = value.value if value is not None else None
    return row


def _delivery(row: Any) -> Delivery:
    m = dict(row._mapping)
    failure = m["last_failure"]
    return Delivery(**{
        **m, "channel": Channel(m["channel"]), "template": Template(m["template"]),
        "state": State(m["state"]), "sealed": bytes(m["sealed"]),
        "last_failure": Failure(failure) if failure else None})


class SqlDeliveryRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, delivery: Delivery) -> None:
        self._c.execute(insert(deliveries).values(**_row(delivery)))

    def get(self, delivery_id: str, *, for_update: bool = False) -> Delivery | None:
        query = select(deliveries).where(deliveries.c.id == delivery_id)
        if for_update:
            query = query.with_for_update()
        row = self._c.execute(query).first()
        return _delivery(row) if row is not None else None

    def save(self, delivery: Delivery) -> None:
        values = _row(delivery)
        del values["id"]
        self._c.execute(update(deliveries).where(deliveries.c.id == delivery.id)
                        .values(**values))

    def list(self, where: DeliveryFilter) -> builtins.list[Delivery]:
        t = deliveries.c
        query = select(deliveries)
        if where.states:
            query = query.where(t.state.in_([s.value for s in where.states]))
        if where.operator_ids is not None:
            query = query.where(t.operator_id.in_(where.operator_ids))
        if where.due_by is not None:
            query = query.where(t.next_attempt_at <= where.due_by)
        query = query.order_by(t.created_at, t.id).limit(where.limit)
        return [_delivery(r) for r in self._c.execute(query)]

"""Lifecycle events and the contracts projected from them: port, SQL adapter, fake."""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, Row, select, update
from sqlalchemy.exc import IntegrityError

from derbes.errors import ConflictError
from derbes.lifecycle.model import Contract, EventType, LifecycleEvent
from derbes.platform.memory import checkpoint
from derbes.platform.tables import contracts, lifecycle_events
from derbes.platform.touched import Touched

__all__ = [
    "FakeLifecycleRepository",
    "LifecycleRepository",
    "SqlLifecycleRepository",
    "StoredEvent",
]

_PAGE = 1000


@dataclass(frozen=True)
class StoredEvent:
    event: LifecycleEvent
    fingerprint: str


class LifecycleRepository(Protocol):
    def event(self, event_id: str) -> StoredEvent | None: ...

    def add_event(self, event: LifecycleEvent) -> None:
        """Insert; ``ConflictError`` if the id was taken meanwhile (concurrent delivery)."""
        ...

    def events_for(
        self, subject_id: str, types: Collection[EventType] | None = None
    ) -> builtins.list[LifecycleEvent]:
        """The subject's events (of ``types``), by occurrence."""
        ...

    def events_for_subjects(
        self, subject_ids: Collection[str]
    ) -> dict[str, builtins.list[LifecycleEvent]]:
        """Every event of many subjects in one read: per subject, by occurrence."""
        ...

    def contract(
        self, subject_id: str, contract_id: str, *, for_update: bool = False
    ) -> Contract | None: ...

    def put_contract(self, contract: Contract, *, new: bool) -> None:
        """Insert (``new``) or update the projection row."""
        ...

    def contracts_for(self, subject_id: str) -> builtins.list[Contract]: ...

    def contracts_for_subjects(
        self, subject_ids: Collection[str]
    ) -> dict[str, builtins.list[Contract]]:
        """Contracts of many subjects in one query (decision point, batch)."""
        ...


def _to_event(row: Row[Any]) -> StoredEvent:
    m = row._mapping
    return StoredEvent(LifecycleEvent(
        event_id=m["event_id"], subject_id=m["subject_id"], type=EventType(m["type"]),
        occurred_at=m["occurred_at"], recorded_at=m["recorded_at"],
        contract_id=m["contract_id"], data=json.loads(m["data"]),
    ), m["fingerprint"])


def _to_contract(row: Row[Any]) -> Contract:
    m = row._mapping
    return Contract(m["subject_id"], m["contract_id"], m["opened_at"], m["closed_at"])


class SqlLifecycleRepository:
    def __init__(self, connection: Connection, touched: Touched | None = None) -> None:
        self._connection = connection
        self._touched = touched if touched is not None else Touched()

    def event(self, event_id: str) -> StoredEvent | None:
        row = self._connection.execute(
            select(lifecycle_events).where(lifecycle_events.c.event_id == event_id)
        ).one_or_none()
        return None if row is None else _to_event(row)

    def add_event(self, event: LifecycleEvent) -> None:
        try:
            with self._connection.begin_nested():
                self._connection.execute(lifecycle_events.insert().values(
                    event_id=event.event_id, subject_id=event.subject_id,
                    type=event.type.value, contract_id=event.contract_id,
                    occurred_at=event.occurred_at, recorded_at=event.recorded_at,
                    data=json.dumps(dict(event.data), sort_keys=True, ensure_ascii=False),
                    fingerprint=event.fingerprint()))
        except IntegrityError:
            raise ConflictError("this event id is being recorded by another request; "
                                "retry it", field="event_id") from None

    def events_for(
        self, subject_id: str, types: Collection[EventType] | None = None
    ) -> builtins.list[LifecycleEvent]:
        query = select(lifecycle_events).where(lifecycle_events.c.subject_id == subject_id)
        if types is not None:
            query = query.where(lifecycle_events.c.type.in_(sorted(t.value for t in types)))
        rows = self._connection.execute(
            query.order_by(lifecycle_events.c.occurred_at, lifecycle_events.c.event_id)
        ).all()
        return [_to_event(r).event for r in rows]

    def events_for_subjects(
        self, subject_ids: Collection[str]
    ) -> dict[str, builtins.list[LifecycleEvent]]:
        out: dict[str, builtins.list[LifecycleEvent]] = {}
        ids = sorted(set(subject_ids))
        e = lifecycle_events.c
        for start in range(0, len(ids), _PAGE):
            rows = self._connection.execute(
                select(lifecycle_events).where(e.subject_id.in_(ids[start:start + _PAGE]))
                .order_by(e.subject_id, e.occurred_at, e.event_id)).all()
            for row in rows:
                event = _to_event(row).event
                out.setdefault(event.subject_id, []).append(event)
        return out

    def contract(
        self, subject_id: str, contract_id: str, *, for_update: bool = False
    ) -> Contract | None:
        query = select(contracts).where(contracts.c.subject_id == subject_id,
                                        contracts.c.contract_id == contract_id)
        if for_update and self._connection.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self._connection.execute(query).one_or_none()
        return None if row is None else _to_contract(row)

    def put_contract(self, contract: Contract, *, new: bool) -> None:
        self._touched.add(contract.subject_id)  # open contracts are sealed state
        values = {"opened_at": contract.opened_at, "closed_at": contract.closed_at}
        if new:
            try:
                with self._connection.begin_nested():
                    self._connection.execute(contracts.insert().values(
                        subject_id=contract.subject_id, contract_id=contract.contract_id,
                        **values))
            except IntegrityError:
                raise ConflictError("this contract is being changed by another event; retry",
                                    field="contract_id") from None
            return
        self._connection.execute(
            update(contracts).where(contracts.c.subject_id == contract.subject_id,
                                    contracts.c.contract_id == contract.contract_id)
            .values(**values))

    def contracts_for(self, subject_id: str) -> builtins.list[Contract]:
        return self.contracts_for_subjects([subject_id])[subject_id]

    def contracts_for_subjects(
        self, subject_ids: Collection[str]
    ) -> dict[str, builtins.list[Contract]]:
        out: dict[str, builtins.list[Contract]] = {s: [] for s in subject_ids}
        ids = sorted(out)
        for start in range(0, len(ids), _PAGE):
            rows = self._connection.execute(
                select(contracts).where(contracts.c.subject_id.in_(ids[start:start + _PAGE]))
                .order_by(contracts.c.subject_id, contracts.c.contract_id)
            ).all()
            for row in rows:
                c = _to_contract(row)
                out[c.subject_id].append(c)
        return out


class FakeLifecycleRepository:
    def __init__(self, touched: Touched | None = None) -> None:
        self.events: dict[str, StoredEvent] = {}
        self.contracts: dict[tuple[str, str], Contract] = {}
        self._touched = touched if touched is not None else Touched()

    def event(self, event_id: str) -> StoredEvent | None:
        return self.events.get(event_id)

    def add_event(self, event: LifecycleEvent) -> None:
        if event.event_id in self.events:
            raise ConflictError("this event id is being recorded by another request; "
                                "retry it", field="event_id")
        self.events[event.event_id] = StoredEvent(event, event.fingerprint())

    def events_for(
        self, subject_id: str, types: Collection[EventType] | None = None
    ) -> builtins.list[LifecycleEvent]:
        found = [s.event for s in self.events.values() if s.event.subject_id == subject_id
                 and (types is None or s.event.type in types)]
        return sorted(found, key=lambda e: (e.occurred_at, e.event_id))

    def events_for_subjects(
        self, subject_ids: Collection[str]
    ) -> dict[str, builtins.list[LifecycleEvent]]:
        found = {s: self.events_for(s) for s in set(subject_ids)}
        return {s: events for s, events in found.items() if events}

    def contract(
        self, subject_id: str, contract_id: str, *, for_update: bool = False
    ) -> Contract | None:
        return self.contracts.get((subject_id, contract_id))

    def put_contract(self, contract: Contract, *, new: bool) -> None:
        key = (contract.subject_id, contract.contract_id)
        if new and key in self.contracts:
            raise ConflictError("this contract is being changed by another event; retry",
                                field="contract_id")
        self.contracts[key] = contract
        self._touched.add(contract.subject_id)

    def contracts_for(self, subject_id: str) -> builtins.list[Contract]:
        return sorted((c for c in self.contracts.values() if c.subject_id == subject_id),
                      key=lambda c: c.contract_id)

    def contracts_for_subjects(
        self, subject_ids: Collection[str]
    ) -> dict[str, builtins.list[Contract]]:
        return {s: self.contracts_for(s) for s in subject_ids}

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "events", "contracts")

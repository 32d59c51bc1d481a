"""Data-subject requests: a port, its SQL adapter, its in-memory fake.

A request row is the current state; ``request_transitions`` keeps every move.
Sealed columns are stored as given (ciphertext); nothing here opens them.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from derbes.platform.memory import checkpoint
from derbes.platform.tables import request_transitions, subject_requests
from derbes.requests.model import (
    ANSWERED_STATES,
    RequesterKind,
    RequestState,
    RequestType,
    SubjectRequest,
    Transition,
    VerificationMethod,
)
from derbes.requests.ports import RequestFilter, RequestRepository

__all__ = [
    "FakeRequestRepository",
    "RequestFilter",
    "RequestRepository",
    "SqlRequestRepository",
]

_IN_CHUNK = 1000  # ids per IN list
_OPEN = (RequestState.RECEIVED, RequestState.VERIFIED, RequestState.IN_PROGRESS)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _row(r: SubjectRequest) -> dict[str, Any]:
    return {
        "id": r.id, "operator_id": r.operator_id, "subject_id": r.subject_id,
        "type": r.type.value, "state": r.state.value, "language": r.language,
        "received_at": r.received_at, "due_date": r.due_date, "deadline_id": r.deadline_id,
        "deadline_citation": r.deadline_citation, "requester": r.requester.value,
        "representative_sealed": r.representative_sealed,
        "verification_method": r.verification_method.value if r.verification_method else None,
        "verification_ref": r.verification_ref, "payload_sealed": r.payload_sealed,
        "answer": None if r.answer is None else _json(dict(r.answer)),
        "answer_sealed": r.answer_sealed, "refusal_reasons": _json(list(r.refusal_reasons)),
        "pending_reason": r.pending_reason, "closed_at": r.closed_at,
        "updated_at": r.updated_at or r.received_at,
    }


def _request(row: Row[Any]) -> SubjectRequest:
    m = row._mapping
    method = m["verification_method"]
    return SubjectRequest(
        id=m["id"], operator_id=m["operator_id"], subject_id=m["subject_id"],
        type=RequestType(m["type"]), state=RequestState(m["state"]), language=m["language"],
        received_at=m["received_at"], due_date=m["due_date"], deadline_id=m["deadline_id"],
        deadline_citation=m["deadline_citation"], requester=RequesterKind(m["requester"]),
        representative_sealed=m["representative_sealed"],
        verification_method=VerificationMethod(method) if method else None,
        verification_ref=m["verification_ref"], payload_sealed=m["payload_sealed"],
        answer=None if m["answer"] is None else json.loads(m["answer"]),
        answer_sealed=m["answer_sealed"],
        refusal_reasons=tuple(json.loads(m["refusal_reasons"])),
        pending_reason=m["pending_reason"], closed_at=m["closed_at"],
        updated_at=m["updated_at"],
    )


def _transition_row(t: Transition) -> dict[str, Any]:
    return {"request_id": t.request_id,
            "from_state": t.from_state.value if t.from_state else None,
            "to_state": t.to_state.value, "at": t.at, "actor": t.actor, "reason": t.reason}


def _matches(r: SubjectRequest, where: RequestFilter) -> bool:
    if where.operator_id is not None and r.operator_id != where.operator_id:
        return False
    if where.states and r.state not in where.states:
        return False
    if where.subject_id is not None and r.subject_id != where.subject_id:
        return False
    if (where.due_before is not None or where.due_on is not None) and r.state not in _OPEN:
        return False
    if where.due_before is not None and not r.due_date < where.due_before:
        return False
    return where.due_on is None or r.due_date == where.due_on


class SqlRequestRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, request: SubjectRequest, transition: Transition) -> None:
        self._connection.execute(subject_requests.insert(), [_row(request)])
        self._connection.execute(request_transitions.insert(), [_transition_row(transition)])

    def get(self, request_id: str, *, for_update: bool = False) -> SubjectRequest | None:
        query = select(subject_requests).where(subject_requests.c.id == request_id)
        if for_update:
            query = query.with_for_update()
        row = self._connection.execute(query).one_or_none()
        return None if row is None else _request(row)

    def save(self, request: SubjectRequest, transition: Transition | None = None) -> None:
        values = _row(request)
        del values["id"]
        self._connection.execute(
            update(subject_requests).where(subject_requests.c.id == request.id).values(values))
        if transition is not None:
            self._connection.execute(request_transitions.insert(),
                                     [_transition_row(transition)])

    def transitions(self, request_id: str) -> builtins.list[Transition]:
        rows = self._connection.execute(
            select(request_transitions)
            .where(request_transitions.c.request_id == request_id)
            .order_by(request_transitions.c.id)).all()
        return [Transition(request_id=r.request_id,
                           from_state=RequestState(r.from_state) if r.from_state else None,
                           to_state=RequestState(r.to_state), at=r.at, actor=r.actor,
                           reason=r.reason) for r in rows]

    def list(self, where: RequestFilter) -> builtins.list[SubjectRequest]:
        c = subject_requests.c
        query = select(subject_requests)
        if where.operator_id is not None:
            query = query.where(c.operator_id == where.operator_id)
        if where.states:
            query = query.where(c.state.in_([s.value for s in where.states]))
        if where.subject_id is not None:
            query = query.where(c.subject_id == where.subject_id)
        if where.due_before is not None or where.due_on is not None:
            query = query.where(c.state.in_([s.value for s in _OPEN]))
        if where.due_before is not None:
            query = query.where(c.due_date < where.due_before)
        if where.due_on is not None:
            query = query.where(c.due_date == where.due_on)
        query = query.order_by(c.due_date, c.received_at, c.id).limit(where.limit)
        return [_request(row) for row in self._connection.execute(query)]

    def answered_for_subjects(self, subject_ids: Collection[str]
                              ) -> dict[str, builtins.list[datetime]]:
        c = subject_requests.c
        out: dict[str, builtins.list[datetime]] = {}
        ids = sorted(set(subject_ids))
        for start in range(0, len(ids), _IN_CHUNK):
            rows = self._connection.execute(
                select(c.subject_id, c.closed_at)
                .where(c.subject_id.in_(ids[start:start + _IN_CHUNK]),
                       c.state.in_([s.value for s in ANSWERED_STATES]),
                       c.closed_at.is_not(None))
                .order_by(c.subject_id, c.closed_at))
            for subject_id, closed_at in rows:
                out.setdefault(subject_id, []).append(closed_at)
        return out


class FakeRequestRepository:
    def __init__(self) -> None:
        self.rows: dict[str, SubjectRequest] = {}
        self.moves: builtins.list[Transition] = []

    def add(self, request: SubjectRequest, transition: Transition) -> None:
        if request.id in self.rows:
            raise ValueError("request id exists already")
        self.rows[request.id] = request
        self.moves.append(transition)

    def get(self, request_id: str, *, for_update: bool = False) -> SubjectRequest | None:
        return self.rows.get(request_id)

    def save(self, request: SubjectRequest, transition: Transition | None = None) -> None:
        if request.id not in self.rows:
            raise KeyError(request.id)
        self.rows[request.id] = replace(request)
        if transition is not None:
            self.moves.append(transition)

    def transitions(self, request_id: str) -> builtins.list[Transition]:
        return [t for t in self.moves if t.request_id == request_id]

    def list(self, where: RequestFilter) -> builtins.list[SubjectRequest]:
        found = [r for r in self.rows.values() if _matches(r, where)]
        found.sort(key=lambda r: (r.due_date, r.received_at, r.id))
        return found[: where.limit]

    def answered_for_subjects(self, subject_ids: Collection[str]
                              ) -> dict[str, builtins.list[datetime]]:
        out: dict[str, builtins.list[datetime]] = {}
        for r in self.rows.values():
            if (r.subject_id is not None and r.subject_id in subject_ids
                    and r.state in ANSWERED_STATES and r.closed_at is not None):
                out.setdefault(r.subject_id, []).append(r.closed_at)
        return {sid: sorted(closed) for sid, closed in out.items()}

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "rows", "moves")


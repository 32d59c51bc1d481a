"""Lifecycle events of a subject's relationship with the operator, and contract state.

The operator's systems report what happens — a contract opened or closed, an
account opened or closed, a transaction, a purpose achieved, the last
activity — as events with their own ids. Events are idempotent by id (a
retried delivery changes nothing) and may arrive out of order (a close
before its open). Contracts are a projection of them: an open contract is an
unfulfilled obligation that keeps contract purposes going after consent is
withdrawn (Law 94-V Art. 8 p.2). Retention clocks (``retention/model/clocks.py``) start
from them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from derbes.errors import ConflictError, InputError

MAX_ID = 100
MAX_DATA = 10_000  # characters of the JSON of an event's data


class EventType(StrEnum):
    CONTRACT_OPENED = "contract_opened"
    CONTRACT_CLOSED = "contract_closed"
    ACCOUNT_OPENED = "account_opened"
    ACCOUNT_CLOSED = "account_closed"
    TRANSACTION = "transaction"
    PURPOSE_ACHIEVED = "purpose_achieved"
    LAST_ACTIVITY = "last_activity"
    # A request answered (a state body's motivated request, a complaint): it
    # achieves purposes whose register says ``achieved_when: request_answered``.
    REQUEST_ANSWERED = "request_answered"
    # A consent withdrawn (data.purposes: the purposes it covered, or all the
    # subject's consent purposes), and legal holds (court decision, AML
    # investigation) that stop destruction: who, basis, until.
    CONSENT_WITHDRAWN = "consent_withdrawn"
    LEGAL_HOLD_SET = "legal_hold_set"
    LEGAL_HOLD_RELEASED = "legal_hold_released"


CONTRACT_EVENTS = frozenset({EventType.CONTRACT_OPENED, EventType.CONTRACT_CLOSED})

# details.operation of the audit entry that records an event (lifecycle/service.py)
AUDIT_OPERATION = "lifecycle_event"


@dataclass(frozen=True)
class LifecycleEvent:
    """One reported event. ``data`` is JSON without PD (amounts, product codes, a purpose)."""

    event_id: str
    subject_id: str
    type: EventType
    occurred_at: datetime
    recorded_at: datetime
    contract_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """What makes two deliveries of one event id the same event."""
        body = {"subject_id": self.subject_id, "type": self.type.value,
                "occurred_at": self.occurred_at.isoformat(), "contract_id": self.contract_id,
                "data": dict(self.data)}
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Contract:
    """A contract with the subject, as the events tell it (``opened_at`` None: the
    close arrived first)."""

    subject_id: str
    contract_id: str
    opened_at: datetime | None
    closed_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


def _id(value: object, what: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > MAX_ID:
        raise InputError(f"{what} must be 1 to {MAX_ID} characters", field=what)
    return text


@dataclass(frozen=True)
class ReportedEvent:
    """An event as the operator's systems report it, not yet checked."""

    event_id: object
    type: object
    occurred_at: datetime
    contract_id: object = None
    data: Mapping[str, Any] | None = None


def new_event(reported: ReportedEvent, subject_id: str, recorded_at: datetime
              ) -> LifecycleEvent:
    """A checked event: known type, ids, aware time, contract id for contract events."""
    event_id, type_, occurred_at = reported.event_id, reported.type, reported.occurred_at
    contract_id, data = reported.contract_id, reported.data
    try:
        kind = EventType(type_ if isinstance(type_, str) else "\0")
    except ValueError:
        allowed = ", ".join(t.value for t in EventType)
        raise InputError(f"unknown event type: use one of {allowed}", field="type") from None
    if occurred_at.tzinfo is None or occurred_at.utcoffset() is None:
        raise InputError("occurred_at must carry a time zone", field="occurred_at")
    if occurred_at > recorded_at:
        raise InputError("occurred_at is in the future", field="occurred_at")
    contract = None if contract_id is None else _id(contract_id, "contract_id")
    if kind in CONTRACT_EVENTS and contract is None:
        raise InputError(f"a {kind.value} event names its contract", field="contract_id")
    payload = dict(data or {})
    try:
        encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        raise InputError("data must be JSON", field="data") from None
    if len(encoded) > MAX_DATA:
        raise InputError(f"data is longer than {MAX_DATA} characters as JSON", field="data")
    if kind is EventType.PURPOSE_ACHIEVED and not isinstance(payload.get("purpose"), str):
        raise InputError("a purpose_achieved event names the purpose in data.purpose",
                         field="data.purpose")
    if kind is EventType.LEGAL_HOLD_RELEASED and not isinstance(payload.get("hold_id"), str):
        raise InputError("a legal_hold_released event names the hold (the id of its "
                         "legal_hold_set event) in data.hold_id", field="data.hold_id")
    return LifecycleEvent(event_id=_id(event_id, "event_id"), subject_id=subject_id, type=kind,
                          occurred_at=occurred_at, recorded_at=recorded_at,
                          contract_id=contract, data=json.loads(encoded))


def apply(contract: Contract | None, event: LifecycleEvent) -> Contract:
    """The contract after ``event`` (a contract event). Opening or closing twice conflicts."""
    if contract is not None and contract.subject_id != event.subject_id:
        raise ConflictError("this contract id belongs to another subject", field="contract_id")
    if event.contract_id is None:
        raise InputError(f"a {event.type.value} event names its contract", field="contract_id")
    current = contract or Contract(event.subject_id, event.contract_id, None, None)
    if event.type is EventType.CONTRACT_OPENED:
        if current.opened_at is not None:
            raise ConflictError("the contract was already opened (by another event)",
                                field="contract_id")
        if current.closed_at is not None and event.occurred_at > current.closed_at:
            raise InputError("the contract would open after it was closed",
                             field="occurred_at")
        return Contract(current.subject_id, current.contract_id, event.occurred_at,
                        current.closed_at)
    if current.closed_at is not None:
        raise ConflictError("the contract is already closed", field="contract_id")
    if current.opened_at is not None and event.occurred_at < current.opened_at:
        raise InputError("the contract would close before it was opened", field="occurred_at")
    return Contract(current.subject_id, current.contract_id, current.opened_at,
                    event.occurred_at)

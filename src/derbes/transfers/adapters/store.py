"""The transfer log: a port, its SQL adapter, its in-memory fake.

Rows are written once and never changed: a transfer that was made stays
made. Reading back is by subject (the subject's view, Law 94-V Art. 24: to
whom their PD were disclosed) or by id.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Row, select

from derbes.platform.memory import checkpoint
from derbes.platform.tables import transfer_subjects, transfers
from derbes.transfers.model import TransferRecord
from derbes.transfers.ports import TransferRepository

__all__ = [
    "FakeTransferRepository",
    "SqlTransferRepository",
    "TransferRecord",
    "TransferRepository",
]


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _row(r: TransferRecord) -> dict[str, Any]:
    return {"id": r.id, "at": r.at, "actor": r.actor, "operator_id": r.operator_id,
            "recipient_id": r.recipient_id, "purpose": r.purpose,
            "categories": _json(list(r.categories)), "basis_kind": r.basis_kind,
            "law_citation": r.law_citation, "state_body": r.state_body,
            "request_number": r.request_number, "request_date": r.request_date,
            "subject_count": len(r.consent_ids), "decision": _json(dict(r.decision)),
            "request_id": r.request_id}


def _record(row: Row[Any], consent_ids: Mapping[str, tuple[str, ...]]) -> TransferRecord:
    m = row._mapping
    return TransferRecord(
        id=m["id"], at=m["at"], actor=m["actor"], operator_id=m["operator_id"],
        recipient_id=m["recipient_id"], purpose=m["purpose"],
        categories=tuple(json.loads(m["categories"])), basis_kind=m["basis_kind"],
        consent_ids=consent_ids, law_citation=m["law_citation"], state_body=m["state_body"],
        request_number=m["request_number"], request_date=m["request_date"],
        decision=json.loads(m["decision"]), request_id=m["request_id"],
    )


class SqlTransferRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, record: TransferRecord) -> None:
        self._connection.execute(transfers.insert(), [_row(record)])
        self._connection.execute(transfer_subjects.insert(), [
            {"transfer_id": record.id, "subject_id": s, "consent_ids": _json(list(c))}
            for s, c in record.consent_ids.items()
        ])

    def get(self, transfer_id: str) -> TransferRecord | None:
        row = self._connection.execute(
            select(transfers).where(transfers.c.id == transfer_id)).one_or_none()
        if row is None:
            return None
        subjects = self._connection.execute(
            select(transfer_subjects.c.subject_id, transfer_subjects.c.consent_ids)
            .where(transfer_subjects.c.transfer_id == transfer_id)
            .order_by(transfer_subjects.c.subject_id)).all()
        return _record(row, {s: tuple(json.loads(c)) for s, c in subjects})

    def for_subject(self, subject_id: str, *, limit: int = 100) -> builtins.list[TransferRecord]:
        query = (
            select(transfers, transfer_subjects.c.consent_ids.label("subject_consent_ids"))
            .join(transfer_subjects, transfer_subjects.c.transfer_id == transfers.c.id)
            .where(transfer_subjects.c.subject_id == subject_id)
            .order_by(transfers.c.at.desc(), transfers.c.id)
            .limit(limit)
        )
        return [_record(row, {subject_id: tuple(json.loads(row.subject_consent_ids))})
                for row in self._connection.execute(query)]


class FakeTransferRepository:
    def __init__(self) -> None:
        self.rows: dict[str, TransferRecord] = {}

    def add(self, record: TransferRecord) -> None:
        if record.id in self.rows:
            raise ValueError("transfer id exists already")
        self.rows[record.id] = record

    def get(self, transfer_id: str) -> TransferRecord | None:
        return self.rows.get(transfer_id)

    def for_subject(self, subject_id: str, *, limit: int = 100) -> builtins.list[TransferRecord]:
        found = [replace(r, consent_ids={subject_id: r.consent_ids[subject_id]})
                 for r in self.rows.values() if subject_id in r.consent_ids]
        found.sort(key=lambda r: r.id)
        found.sort(key=lambda r: r.at, reverse=True)
        return found[:limit]

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "rows")


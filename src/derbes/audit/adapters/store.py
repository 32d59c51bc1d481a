"""The access audit log and its alerts on SQL: the adapters of ``audit/ports.py``.

``uow.audit.record(...)`` appends one chained entry inside the unit of work's
transaction, so the entry commits or rolls back with the change it records.
The chain key (``KeyStore.audit_key()``, kept outside the data database) is
handed to the unit of work when it is built, as bytes or as a function that
fetches it on first use: units of work that never write to the log never need
the key store.

Concurrent writers take turns on the single ``audit_head`` row (``SELECT …
FOR UPDATE`` on PostgreSQL; SQLite lets one writer in at a time anyway).
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Collection, Iterator, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, select

from derbes.audit.model.log import AuditEntry, AuditRecord, chain_records
from derbes.audit.ports import AccessAlert, AuditKey, AuditQuery, NewAlert
from derbes.platform import chain_store
from derbes.platform.chain import GENESIS
from derbes.platform.tables import access_alerts, audit_head, audit_log

__all__ = [
    "AuditKeySource",
    "SqlAlertRepository",
    "SqlAuditRepository",
    "entry_from_row",
    "json_text",
]


class AuditKeySource(chain_store.KeySource):
    """Resolves the audit key once, when the first entry is written."""

    def __init__(self, key: AuditKey | None) -> None:
        super().__init__(key, cannot="cannot write to the access audit log")


def json_text(value: Any) -> str:
    """JSON as the audit tables store it (sorted keys, compact, UTF-8 kept)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# --- SQL ---------------------------------------------------------------------------


def _entry_values(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "subject_ids": json_text(list(entry.subject_ids)),
        "subject_count": entry.subject_count,
        "categories": json_text(list(entry.categories)),
        "purpose": entry.purpose,
        "request_id": entry.request_id,
        "details": json_text(dict(entry.details)),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def _strings(text: str) -> tuple[str, ...]:
    value = json.loads(text)
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


def entry_from_row(row: Row[Any]) -> AuditEntry:
    m = row._mapping
    details = json.loads(m["details"])
    return AuditEntry(
        seq=int(m["seq"]),
        at=m["at"],
        actor=str(m["actor"]),
        action=str(m["action"]),
        subject_ids=_strings(m["subject_ids"]),
        subject_count=int(m["subject_count"]),
        categories=_strings(m["categories"]),
        purpose=m["purpose"],
        request_id=m["request_id"],
        # Whatever JSON the column holds is hashed as such: an edit that turns
        # the details into a list is caught by the hash, not by a crash here.
        details=details if isinstance(details, dict) else {"": details},
        prev_hash=str(m["prev_hash"]),
        hash=str(m["hash"]),
    )


class SqlAuditRepository:
    """The ``audit_log`` and ``audit_head`` tables on the unit of work's connection."""

    def __init__(self, connection: Connection, key: AuditKey | None) -> None:
        self._connection = connection
        self._key = AuditKeySource(key)

    def record(self, record: AuditRecord) -> AuditEntry:
        return self.record_many([record])[0]

    def record_many(self, records: Sequence[AuditRecord]) -> builtins.list[AuditEntry]:
        if not records:
            return []
        key = self._key()  # before taking the lock: the key store may be slow
        return chain_store.append(self._connection, audit_log, audit_head,
                                  lambda head: chain_records(key, head, records), _entry_values)

    def entries(self, *, after_seq: int = 0) -> Iterator[AuditEntry]:
        return chain_store.stream(self._connection, audit_log, entry_from_row,
                                  after_seq=after_seq)

    def entry(self, seq: int) -> AuditEntry | None:
        row = self._connection.execute(
            select(audit_log).where(audit_log.c.seq == seq)
        ).one_or_none()
        return None if row is None else entry_from_row(row)

    def head(self) -> tuple[int, str]:
        row = self._connection.execute(
            select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
        ).one_or_none()
        return (0, GENESIS) if row is None else (int(row.seq), str(row.hash))

    def search(self, wanted: AuditQuery) -> builtins.list[AuditEntry]:
        query: Select[Any] = select(audit_log)
        if wanted.subject_id is not None:
            # The JSON text holds each id as a quoted string; the exact check follows.
            query = query.where(
                audit_log.c.subject_ids.contains(json_text(wanted.subject_id), autoescape=True)
            )
        if wanted.operator_id is not None:
            # Details are stored compact with sorted keys; the exact check follows.
            query = query.where(audit_log.c.details.contains(
                '"operator_id":' + json_text(wanted.operator_id), autoescape=True))
        if wanted.actor is not None:
            query = query.where(audit_log.c.actor == wanted.actor)
        if wanted.action is not None:
            query = query.where(audit_log.c.action == wanted.action)
        if wanted.since is not None:
            query = query.where(audit_log.c.at >= wanted.since)
        if wanted.until is not None:
            query = query.where(audit_log.c.at < wanted.until)
        if wanted.before_seq is not None:
            query = query.where(audit_log.c.seq < wanted.before_seq)
        rows = self._connection.execute(
            query.order_by(audit_log.c.seq.desc()).limit(wanted.limit)
        ).all()
        return [e for e in (entry_from_row(row) for row in rows) if wanted.admits(e)]

    def by_actor(
        self, actor: str, *, since: datetime, actions: Collection[str]
    ) -> builtins.list[AuditEntry]:
        rows = self._connection.execute(
            select(audit_log)
            .where(audit_log.c.actor == actor, audit_log.c.at > since,
                   audit_log.c.action.in_(sorted(actions)))
            .order_by(audit_log.c.seq)
        ).all()
        return [entry_from_row(row) for row in rows]


def _alert_from_row(row: Row[Any]) -> AccessAlert:
    m = row._mapping
    return AccessAlert(
        id=int(m["id"]), at=m["at"], actor=str(m["actor"]), rule=str(m["rule"]),
        count=int(m["count"]), window_seconds=int(m["window_seconds"]),
        first_at=m["first_at"], last_at=m["last_at"], details=json.loads(m["details"]),
    )


class SqlAlertRepository:
    """The ``access_alerts`` table on the unit of work's connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, alert: NewAlert) -> AccessAlert:
        values = {f.name: getattr(alert, f.name) for f in fields(alert)}
        values["details"] = json_text(dict(alert.details))
        result = self._connection.execute(access_alerts.insert().values(**values))
        key = result.inserted_primary_key
        if key is None:  # pragma: no cover - every supported backend reports it
            raise RuntimeError("the database did not report the new alert's id")
        return self._get(int(key[0]))

    def latest(self, actor: str, rule: str) -> AccessAlert | None:
        row = self._connection.execute(
            select(access_alerts)
            .where(access_alerts.c.actor == actor, access_alerts.c.rule == rule)
            .order_by(access_alerts.c.at.desc(), access_alerts.c.id.desc())
            .limit(1)
        ).one_or_none()
        return None if row is None else _alert_from_row(row)

    def list(self, *, actor: str | None = None, limit: int = 100) -> builtins.list[AccessAlert]:
        query = select(access_alerts)
        if actor is not None:
            query = query.where(access_alerts.c.actor == actor)
        rows = self._connection.execute(
            query.order_by(access_alerts.c.at.desc(), access_alerts.c.id.desc()).limit(limit)
        ).all()
        return [_alert_from_row(row) for row in rows]

    def _get(self, alert_id: int) -> AccessAlert:
        row = self._connection.execute(
            select(access_alerts).where(access_alerts.c.id == alert_id)
        ).one()
        return _alert_from_row(row)

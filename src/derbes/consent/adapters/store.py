"""Where consents, the consent ledger and eGov requests are kept: SQL, and fakes.

The ports they implement are the consent slice's own (``consent/ports.py``).

``uow.consents`` holds the current state of each consent (a projection);
``uow.consent_ledger`` appends chained entries in the same transaction, so a
consent and its ledger entry commit or vanish together. The ledger's chain
key is derived from the audit key handed to the unit of work (bytes, or a
function that fetches it from the key store on the first append).

Concurrent appenders take turns on the single ``consent_ledger_head`` row
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's write lock is taken first).
"""

from __future__ import annotations

import builtins
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from derbes.consent.model.consent import (
    Consent,
    ConsentChannel,
    GivenBy,
    LedgerEvent,
    Scope,
    ScopeKind,
)
from derbes.consent.model.egov import EgovRequest
from derbes.consent.model.ledger import LedgerEntry, LedgerRecord, chain, ledger_key
from derbes.consent.ports import ConsentLedgerRepository, ConsentRepository, EgovRequestRepository
from derbes.errors import ConflictError, DatabaseBusyError
from derbes.platform import chain_store
from derbes.platform.chain import GENESIS
from derbes.platform.memory import checkpoint
from derbes.platform.tables import consent_ledger, consent_ledger_head, consents, egov_requests
from derbes.platform.touched import Touched

__all__ = [
    "ConsentLedgerRepository",
    "ConsentRepository",
    "EgovRequest",
    "EgovRequestRepository",
    "FakeConsentLedgerRepository",
    "FakeConsentRepository",
    "FakeEgovRequestRepository",
    "LedgerKey",
    "SqlConsentLedgerRepository",
    "SqlConsentRepository",
    "SqlEgovRequestRepository",
]

# The audit-chain key (the ledger key is derived from it), or a function fetching it.
LedgerKey = bytes | Callable[[], bytes]

_PAGE = 1000


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class _LedgerKeySource(chain_store.KeySource):
    """The consent ledger's key, derived from the audit key when first needed."""

    def __init__(self, audit_key: LedgerKey | None) -> None:
        super().__init__(audit_key, derive=ledger_key,
                         cannot="cannot append to the consent ledger")


# ------------------------------------------------------------------ rows


def _consent_row(c: Consent) -> dict[str, Any]:
    return {
        "id": c.id, "act_id": c.act_id, "subject_id": c.subject_id,
        "operator_id": c.operator_id, "scope": c.scope.kind.value,
        "purposes": _json(list(c.scope.purposes)), "recipients": _json(list(c.scope.recipients)),
        "cookie_categories": _json(list(c.scope.cookie_categories)),
        "policy_version": c.policy_version, "policy_hash": c.policy_hash,
        "channel": c.channel.value, "evidence_refs": _json(dict(c.evidence_refs)),
        "evidence_sealed": c.evidence_sealed, "given_by": c.given_by.value,
        "representative_sealed": c.representative_sealed, "valid_until": c.valid_until,
        "given_at": c.given_at, "withdrawn_at": c.withdrawn_at, "expired_at": c.expired_at,
        "needs_reconsent_since": c.needs_reconsent_since,
        "idempotency_key": c.idempotency_key, "request_hash": c.request_hash,
    }


def _strings(text: str) -> tuple[str, ...]:
    value = json.loads(text)
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _to_consent(row: Row[Any]) -> Consent:
    m = row._mapping
    refs = json.loads(m["evidence_refs"])
    return Consent(
        id=m["id"], act_id=m["act_id"], subject_id=m["subject_id"],
        operator_id=m["operator_id"],
        scope=Scope(ScopeKind(m["scope"]), _strings(m["purposes"]), _strings(m["recipients"]),
                    _strings(m["cookie_categories"])),
        policy_version=m["policy_version"], policy_hash=m["policy_hash"],
        channel=ConsentChannel(m["channel"]),
        evidence_refs={str(k): str(v) for k, v in refs.items()} if isinstance(refs, dict)
        else {},
        given_by=GivenBy(m["given_by"]), given_at=m["given_at"], valid_until=m["valid_until"],
        withdrawn_at=m["withdrawn_at"], expired_at=m["expired_at"],
        needs_reconsent_since=m["needs_reconsent_since"],
        idempotency_key=m["idempotency_key"], request_hash=m["request_hash"],
        evidence_sealed=None if m["evidence_sealed"] is None else bytes(m["evidence_sealed"]),
        representative_sealed=None if m["representative_sealed"] is None
        else bytes(m["representative_sealed"]),
    )


def _entry_row(e: LedgerEntry) -> dict[str, Any]:
    return {"seq": e.seq, "at": e.at, "event": e.event, "consent_id": e.consent_id,
            "subject_id": e.subject_id, "payload": _json(dict(e.payload)),
            "prev_hash": e.prev_hash, "hash": e.hash}


def _to_entry(row: Row[Any]) -> LedgerEntry:
    m = row._mapping
    payload = json.loads(m["payload"])
    return LedgerEntry(
        seq=int(m["seq"]), at=m["at"], event=str(m["event"]), consent_id=str(m["consent_id"]),
        subject_id=str(m["subject_id"]),
        # Whatever JSON the column holds is hashed as such: an edit turning it
        # into a list is caught by the hash, not by a crash here.
        payload=payload if isinstance(payload, dict) else {"": payload},
        prev_hash=str(m["prev_hash"]), hash=str(m["hash"]),
    )


def _to_egov(row: Row[Any]) -> EgovRequest:
    m = row._mapping
    return EgovRequest(request_id=m["request_id"], subject_id=m["subject_id"],
                       operator_id=m["operator_id"], request=json.loads(m["request"]),
                       status=m["status"], sent_at=m["sent_at"], decided_at=m["decided_at"],
                       act_id=m["act_id"])


# ------------------------------------------------------------------ SQL


class _Marks(ABC):
    """The marks of a consent row, each set once (where not set yet): ``_mark`` sets
    ``column`` to ``at`` on those of ``consent_ids`` without it and counts them."""

    @abstractmethod
    def _mark(self, column: str, consent_ids: Collection[str], at: datetime) -> int: ...

    def mark_withdrawn(self, consent_ids: Collection[str], at: datetime) -> int:
        return self._mark("withdrawn_at", consent_ids, at)

    def mark_expired(self, consent_ids: Collection[str], at: datetime) -> int:
        return self._mark("expired_at", consent_ids, at)

    def mark_needs_reconsent(self, consent_ids: Collection[str], since: datetime) -> int:
        return self._mark("needs_reconsent_since", consent_ids, since)


class SqlConsentRepository(_Marks):
    def __init__(self, connection: Connection, touched: Touched | None = None) -> None:
        self._connection = connection
        self._touched = touched if touched is not None else Touched()

    def add(self, items: Sequence[Consent]) -> None:
        if not items:
            return
        self._touched.update(c.subject_id for c in items)
        try:
            with self._connection.begin_nested():
                self._connection.execute(consents.insert(), [_consent_row(c) for c in items])
        except IntegrityError:
            # Two requests with one key at once (PostgreSQL: neither saw the other's row).
            # Contention, not a conflict: run again, the request finds the act stored by
            # the other and answers it as a replay.
            raise DatabaseBusyError(
                "a consent with this idempotency key is being recorded by another request; "
                "nothing was changed: retry it") from None

    def _select(self, *where: Any) -> builtins.list[Consent]:
        rows = self._connection.execute(
            select(consents).where(*where).order_by(consents.c.given_at, consents.c.id)
        ).all()
        return [_to_consent(r) for r in rows]

    def get(self, consent_id: str) -> Consent | None:
        found = self._select(consents.c.id == consent_id)
        return found[0] if found else None

    def by_idempotency_key(self, operator_id: str, key: str) -> builtins.list[Consent]:
        return self._select(consents.c.operator_id == operator_id,
                            consents.c.idempotency_key == key)

    def by_idempotency_keys(
        self, operator_id: str, keys: Collection[str]
    ) -> dict[str, builtins.list[Consent]]:
        out: dict[str, builtins.list[Consent]] = {}
        wanted = sorted(keys)
        for start in range(0, len(wanted), _PAGE):
            for c in self._select(consents.c.operator_id == operator_id,
                                  consents.c.idempotency_key.in_(wanted[start:start + _PAGE])):
                out.setdefault(str(c.idempotency_key), []).append(c)
        return out

    def by_act(self, act_id: str) -> builtins.list[Consent]:
        return self._select(consents.c.act_id == act_id)

    def for_subject(
        self, subject_id: str, kind: ScopeKind | None = None
    ) -> builtins.list[Consent]:
        where = [consents.c.subject_id == subject_id]
        if kind is not None:
            where.append(consents.c.scope == kind.value)
        return self._select(*where)

    def for_subjects(self, subject_ids: Collection[str]) -> dict[str, builtins.list[Consent]]:
        out: dict[str, builtins.list[Consent]] = {s: [] for s in subject_ids}
        ids = sorted(out)
        for start in range(0, len(ids), _PAGE):
            for c in self._select(consents.c.subject_id.in_(ids[start:start + _PAGE])):
                out[c.subject_id].append(c)
        return out

    def for_operator(
        self, operator_id: str, *, active_on: datetime | None = None
    ) -> builtins.list[Consent]:
        found = self._select(consents.c.operator_id == operator_id)
        return found if active_on is None else [c for c in found if c.is_active_on(active_on)]

    def _mark(self, column: str, consent_ids: Collection[str], at: datetime) -> int:
        if not consent_ids:
            return 0
        col = consents.c[column]
        changed = self._connection.execute(
            update(consents).where(consents.c.id.in_(sorted(consent_ids)), col.is_(None))
            .values({column: at}).returning(consents.c.subject_id)
        ).scalars().all()
        self._touched.update(changed)
        return len(changed)

    def reseal(self, items: Sequence[tuple[str, bytes | None, bytes | None]]) -> None:
        if items:
            self._connection.execute(
                update(consents).where(consents.c.id == bindparam("b_id")).values(
                    evidence_sealed=bindparam("b_evidence"),
                    representative_sealed=bindparam("b_representative")),
                [{"b_id": cid, "b_evidence": e, "b_representative": r} for cid, e, r in items])

    def expiring(self, at: datetime, limit: int = 1000) -> builtins.list[Consent]:
        rows = self._connection.execute(
            select(consents).where(consents.c.valid_until.is_not(None),
                                   consents.c.valid_until <= at,
                                   consents.c.expired_at.is_(None),
                                   consents.c.withdrawn_at.is_(None))
            .order_by(consents.c.valid_until, consents.c.id).limit(limit)
        ).all()
        return [_to_consent(r) for r in rows]


def _sealed_subjects(records: Sequence[LedgerRecord]) -> list[str]:
    return [r.subject_id for r in records if r.event != LedgerEvent.COOKIE_CHOICE.value]


class SqlConsentLedgerRepository:
    def __init__(self, connection: Connection, audit_key: LedgerKey | None,
                 touched: Touched | None = None) -> None:
        self._connection = connection
        self._key = _LedgerKeySource(audit_key)
        self._touched = touched if touched is not None else Touched()

    def append(self, records: Sequence[LedgerRecord]) -> builtins.list[LedgerEntry]:
        if not records:
            return []
        # A subject's latest ledger entry is part of its state seal (a banner answer is
        # a pseudonymous visitor's, no subject's: nothing to reseal).
        self._touched.update(_sealed_subjects(records))
        key = self._key()  # before the lock: the key store may be slow
        return chain_store.append(self._connection, consent_ledger, consent_ledger_head,
                                  lambda head: chain(key, head, records), _entry_row)

    def entries(self, *, after_seq: int = 0) -> Iterator[LedgerEntry]:
        return chain_store.stream(self._connection, consent_ledger, _to_entry,
                                  after_seq=after_seq)

    def entry(self, seq: int) -> LedgerEntry | None:
        row = self._connection.execute(
            select(consent_ledger).where(consent_ledger.c.seq == seq)).one_or_none()
        return None if row is None else _to_entry(row)

    def for_subject(self, subject_id: str) -> builtins.list[LedgerEntry]:
        rows = self._connection.execute(
            select(consent_ledger).where(consent_ledger.c.subject_id == subject_id)
            .order_by(consent_ledger.c.seq)
        ).all()
        return [_to_entry(r) for r in rows]

    def lock_head(self) -> tuple[int, str]:
        return chain_store.lock_head(self._connection, consent_ledger_head)

    def head(self) -> tuple[int, str]:
        row = self._connection.execute(
            select(consent_ledger_head.c.seq, consent_ledger_head.c.hash)
            .where(consent_ledger_head.c.id == 1)
        ).one_or_none()
        return (0, GENESIS) if row is None else (int(row.seq), str(row.hash))


class SqlEgovRequestRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, request: EgovRequest) -> None:
        try:
            with self._connection.begin_nested():
                self._connection.execute(egov_requests.insert().values(
                    request_id=request.request_id, subject_id=request.subject_id,
                    operator_id=request.operator_id, request=_json(dict(request.request)),
                    status=request.status, sent_at=request.sent_at,
                    decided_at=request.decided_at, act_id=request.act_id))
        except IntegrityError:
            raise ConflictError("this eGov request id is already recorded",
                                field="request_id") from None

    def get(self, request_id: str, *, for_update: bool = False) -> EgovRequest | None:
        query = select(egov_requests).where(egov_requests.c.request_id == request_id)
        if for_update and self._connection.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self._connection.execute(query).one_or_none()
        return None if row is None else _to_egov(row)

    def decide(self, request_id: str, status: str, at: datetime, act_id: str | None) -> None:
        self._connection.execute(
            update(egov_requests).where(egov_requests.c.request_id == request_id)
            .values(status=status, decided_at=at, act_id=act_id))


# ------------------------------------------------------------------ fakes


class FakeConsentRepository(_Marks):
    """Consents in memory, held to the same contract as the SQL adapter."""

    def __init__(self, touched: Touched | None = None) -> None:
        self.rows: dict[str, Consent] = {}
        self._touched = touched if touched is not None else Touched()

    def add(self, items: Sequence[Consent]) -> None:
        taken = {(c.operator_id, c.idempotency_key, c.scope.kind) for c in self.rows.values()
                 if c.idempotency_key is not None}
        for c in items:
            if c.id in self.rows or (c.idempotency_key is not None and (
                    c.operator_id, c.idempotency_key, c.scope.kind) in taken):
                raise ConflictError(
                    "a consent with this idempotency key is being recorded by another "
                    "request; retry it", field="idempotency_key")
        for c in items:
            self.rows[c.id] = c
            self._touched.add(c.subject_id)

    def _sorted(self, found: Iterator[Consent] | builtins.list[Consent]) -> list[Consent]:
        return sorted(found, key=lambda c: (c.given_at, c.id))

    def get(self, consent_id: str) -> Consent | None:
        return self.rows.get(consent_id)

    def by_idempotency_key(self, operator_id: str, key: str) -> builtins.list[Consent]:
        return self._sorted([c for c in self.rows.values()
                             if c.operator_id == operator_id and c.idempotency_key == key])

    def by_idempotency_keys(
        self, operator_id: str, keys: Collection[str]
    ) -> dict[str, builtins.list[Consent]]:
        wanted = set(keys)
        out: dict[str, builtins.list[Consent]] = {}
        for c in self._sorted(list(self.rows.values())):
            if c.operator_id == operator_id and c.idempotency_key in wanted:
                out.setdefault(c.idempotency_key, []).append(c)
        return out

    def by_act(self, act_id: str) -> builtins.list[Consent]:
        return self._sorted([c for c in self.rows.values() if c.act_id == act_id])

    def for_subject(
        self, subject_id: str, kind: ScopeKind | None = None
    ) -> builtins.list[Consent]:
        return self._sorted([c for c in self.rows.values() if c.subject_id == subject_id
                             and (kind is None or c.scope.kind is kind)])

    def for_subjects(self, subject_ids: Collection[str]) -> dict[str, builtins.list[Consent]]:
        return {s: self.for_subject(s) for s in subject_ids}

    def for_operator(
        self, operator_id: str, *, active_on: datetime | None = None
    ) -> builtins.list[Consent]:
        return self._sorted([c for c in self.rows.values() if c.operator_id == operator_id
                             and (active_on is None or c.is_active_on(active_on))])

    def _mark(self, column: str, consent_ids: Collection[str], at: datetime) -> int:
        changed = 0
        for cid in consent_ids:
            c = self.rows.get(cid)
            if c is not None and getattr(c, column) is None:
                changes: dict[str, Any] = {column: at}
                self.rows[cid] = replace(c, **changes)
                self._touched.add(c.subject_id)
                changed += 1
        return changed

    def reseal(self, items: Sequence[tuple[str, bytes | None, bytes | None]]) -> None:
        for cid, evidence, representative in items:
            if cid in self.rows:
                self.rows[cid] = replace(self.rows[cid], evidence_sealed=evidence,
                                         representative_sealed=representative)

    def expiring(self, at: datetime, limit: int = 1000) -> builtins.list[Consent]:
        due = [c for c in self.rows.values() if c.valid_until is not None
               and c.valid_until <= at and c.expired_at is None and c.withdrawn_at is None]
        return sorted(due, key=lambda c: (c.valid_until or at, c.id))[:limit]

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "rows")


class FakeConsentLedgerRepository:
    """The ledger in memory; ``rows`` is public so tests can tamper with it."""

    def __init__(self, audit_key: LedgerKey | None, touched: Touched | None = None) -> None:
        self._key = _LedgerKeySource(audit_key)
        self.rows: builtins.list[LedgerEntry] = []
        self.recorded_head: tuple[int, str] = (0, GENESIS)
        self._touched = touched if touched is not None else Touched()

    def append(self, records: Sequence[LedgerRecord]) -> builtins.list[LedgerEntry]:
        if not records:
            return []
        self._touched.update(_sealed_subjects(records))
        entries = chain(self._key(), self.recorded_head, records)
        self.rows.extend(entries)
        self.recorded_head = (entries[-1].seq, entries[-1].hash)
        return entries

    def entries(self, *, after_seq: int = 0) -> Iterator[LedgerEntry]:
        return iter(sorted((e for e in self.rows if e.seq > after_seq), key=lambda e: e.seq))

    def entry(self, seq: int) -> LedgerEntry | None:
        return next((e for e in self.rows if e.seq == seq), None)

    def for_subject(self, subject_id: str) -> builtins.list[LedgerEntry]:
        return [e for e in self.entries() if e.subject_id == subject_id]

    def head(self) -> tuple[int, str]:
        return self.recorded_head

    def lock_head(self) -> tuple[int, str]:
        return self.recorded_head  # one writer in memory

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "rows", "recorded_head")


class FakeEgovRequestRepository:
    def __init__(self) -> None:
        self.rows: dict[str, EgovRequest] = {}

    def add(self, request: EgovRequest) -> None:
        if request.request_id in self.rows:
            raise ConflictError("this eGov request id is already recorded", field="request_id")
        self.rows[request.request_id] = request

    def get(self, request_id: str, *, for_update: bool = False) -> EgovRequest | None:
        return self.rows.get(request_id)

    def decide(self, request_id: str, status: str, at: datetime, act_id: str | None) -> None:
        current = self.rows[request_id]
        self.rows[request_id] = replace(current, status=status, decided_at=at, act_id=act_id)

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "rows")

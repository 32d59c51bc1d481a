"""The unit of work on SQL: one connection of the data database, one transaction.

The port is ``derbes.uow.UnitOfWork``; only bootstrap and tools that open a
database themselves build this one.
"""

from __future__ import annotations

from importlib import import_module
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from derbes.integrity.adapters.seals import SealKeySource
from derbes.platform import db
from derbes.platform.touched import Touched

if TYPE_CHECKING:
    from derbes.audit.ports import AuditKey

__all__ = ["SqlUnitOfWork"]

# Each repository: its module, its class, and what it takes after the connection.
_STORES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "registers": ("derbes.register.adapters.store", "SqlRegisterRepository", ()),
    "audit": ("derbes.audit.adapters.store", "SqlAuditRepository", ("audit_key",)),
    "alerts": ("derbes.audit.adapters.store", "SqlAlertRepository", ()),
    "api_keys": ("derbes.access.adapters.store", "SqlApiKeyRepository", ()),
    "vault": ("derbes.vault.adapters.store", "SqlVaultRepository", ("touched",)),
    "consents": ("derbes.consent.adapters.store", "SqlConsentRepository", ("touched",)),
    "consent_ledger": ("derbes.consent.adapters.store", "SqlConsentLedgerRepository",
                       ("audit_key", "touched")),
    "lifecycle": ("derbes.lifecycle.adapters.store", "SqlLifecycleRepository", ("touched",)),
    "egov_requests": ("derbes.consent.adapters.store", "SqlEgovRequestRepository", ()),
    "decision_facts": ("derbes.decisions.adapters.facts", "SqlDecisionFactsRepository",
                       ("seal_key",)),
    "transfers": ("derbes.transfers.adapters.store", "SqlTransferRepository", ()),
    "requests": ("derbes.requests.adapters.store", "SqlRequestRepository", ()),
    "retention": ("derbes.retention.adapters.store", "SqlRetentionRepository", ("touched",)),
    "acts": ("derbes.retention.adapters.acts_store", "SqlActRepository", ()),
    "key_swaps": ("derbes.vault.adapters.keyswap_store", "SqlKeySwapJournal", ()),
    "seals": ("derbes.integrity.adapters.seals", "SqlSealRepository", ()),
    "projections": ("derbes.integrity.adapters.projections", "SqlProjectionReader", ()),
    "throttle": ("derbes.access.adapters.throttle_store", "SqlThrottleRepository", ()),
    "staff": ("derbes.staff.adapters.store", "SqlStaffRepository", ()),
    "staff_sessions": ("derbes.staff.adapters.store", "SqlSessionRepository", ()),
    "deliveries": ("derbes.delivery.adapters.store", "SqlDeliveryRepository", ()),
    "incidents": ("derbes.incidents.adapters.store", "SqlIncidentRepository", ()),
    "subject_sessions": ("derbes.cabinet.adapters.store", "SqlSubjectSessionRepository", ()),
    "cabinet_documents": ("derbes.cabinet.adapters.store", "SqlDocumentRepository", ()),
    "responsible": ("derbes.compliance.adapters.store", "SqlResponsibleRepository", ()),
}


class SqlUnitOfWork:
    """A unit of work on one connection of ``engine`` and one transaction.

    Its repositories are those of the port (``derbes.uow.UnitOfWork``), each made
    from ``_STORES`` when the block first uses it.

    ``audit_key`` chains the access audit log (bytes, or a function that fetches
    it from the key store when the first entry is written). ``read_only``: the
    unit never writes, so it needs no write lock (the decision point's reads);
    its commit is refused.
    """

    def __init__(self, engine: Engine, *, audit_key: AuditKey | None = None,
                 read_only: bool = False) -> None:
        self._engine = engine
        self._audit_key = audit_key
        self._read_only = read_only
        self._seal_key = SealKeySource(audit_key)
        self._touched = Touched()
        self._connection: Connection | None = None
        self._claim: db.WriteClaim | None = None

    def __enter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("this unit of work is already in use")
        claim = db.WriteClaim(immediate=False) if self._read_only else db.claim_writer(
            self._engine)
        try:
            connection = self._engine.connect()
            try:
                db.begin(connection, claim)
                self._open(connection)
            except BaseException:
                connection.close()
                raise
        except BaseException:
            claim.release()
            raise
        self._connection = connection
        self._claim = claim
        return self

    def _open(self, connection: Connection) -> None:
        self._touched.clear()
        for name in _STORES:
            self.__dict__.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        """A repository, made on first use in this block (so a command that reads one
        table imports one store, not all of them)."""
        found = _STORES.get(name)
        if found is None:
            raise AttributeError(name)
        module, cls, extras = found
        made = getattr(import_module(module), cls)(
            self._require_connection(), *(self._extra(e) for e in extras))
        self.__dict__[name] = made
        return made

    def _extra(self, what: str) -> Any:
        return {"audit_key": self._audit_key, "touched": self._touched,
                "seal_key": self._seal_key}[what]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection = self._require_connection()
        try:
            connection.rollback()
        finally:
            connection.close()
            self._connection = None
            self._touched.clear()
            claim, self._claim = self._claim, None
            if claim is not None:
                claim.release()
        # Contention is not a server fault: the work was rolled back and may be run again.
        if isinstance(exc, DBAPIError):
            busy = db.busy_error(exc)
            if busy is not None:
                raise busy from exc

    def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        connection = self._require_connection()
        if self._touched:
            # Last, after every head lock the transaction took (so seal locks
            # never wait inside a head lock they could be holding up).
            from derbes.integrity.service.sealing import reseal

            ids, fresh = self._touched.take()
            reseal(self.seals, self._seal_key(), ids, fresh)
        try:
            connection.commit()
        except DBAPIError as exc:
            busy = db.busy_error(exc)
            if busy is not None:
                raise busy from exc
            raise
        db.note_commit()
        # Work done after a commit belongs to a new transaction, which the
        # end of the block rolls back unless it is committed too.
        db.begin(connection, self._claim or db.WriteClaim(immediate=False))

    def rollback(self) -> None:
        connection = self._require_connection()
        connection.rollback()
        self._touched.clear()
        connection.begin()

    def read_consistently(self) -> None:
        connection = self._require_connection()
        if connection.dialect.name == "postgresql":
            # READ COMMITTED gives each statement its own snapshot; a long read
            # (a verification in pages) must not see a commit half-way.
            connection.exec_driver_sql(
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # SQLite: the transaction began with BEGIN (platform/db.py) and WAL keeps
        # its first read's snapshot to the end.

    def _require_connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        return self._connection

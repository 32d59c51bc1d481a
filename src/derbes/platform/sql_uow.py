"""The unit of work on SQL: one connection of the data database, one transaction.

The port is ``derbes.uow.UnitOfWork``; only bootstrap and tools that open a
database themselves build this one.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from derbes.access.adapters.store import SqlApiKeyRepository
from derbes.access.adapters.throttle_store import SqlThrottleRepository
from derbes.access.ports import ApiKeyRepository, ThrottleRepository
from derbes.audit.adapters.store import SqlAlertRepository, SqlAuditRepository
from derbes.audit.ports import AlertRepository, AuditKey, AuditRepository
from derbes.cabinet.adapters.store import SqlDocumentRepository, SqlSubjectSessionRepository
from derbes.cabinet.ports import DocumentRepository, SubjectSessionRepository
from derbes.compliance.adapters.store import SqlResponsibleRepository
from derbes.compliance.ports import ResponsibleRepository
from derbes.consent.adapters.store import (
    ConsentLedgerRepository,
    ConsentRepository,
    EgovRequestRepository,
    SqlConsentLedgerRepository,
    SqlConsentRepository,
    SqlEgovRequestRepository,
)
from derbes.decisions.adapters.facts import DecisionFactsRepository, SqlDecisionFactsRepository
from derbes.delivery.adapters.store import SqlDeliveryRepository
from derbes.delivery.ports import DeliveryRepository
from derbes.incidents.adapters.store import SqlIncidentRepository
from derbes.incidents.ports import IncidentRepository
from derbes.integrity.adapters.projections import SqlProjectionReader
from derbes.integrity.adapters.seals import SealKeySource, SqlSealRepository
from derbes.integrity.ports import ProjectionReader, SealRepository
from derbes.integrity.service.sealing import reseal
from derbes.lifecycle.adapters.store import LifecycleRepository, SqlLifecycleRepository
from derbes.platform import db
from derbes.platform.touched import Touched
from derbes.register.adapters.store import SqlRegisterRepository
from derbes.register.ports import RegisterRepository
from derbes.requests.adapters.store import RequestRepository, SqlRequestRepository
from derbes.retention.adapters.acts_store import SqlActRepository
from derbes.retention.adapters.store import SqlRetentionRepository
from derbes.retention.ports import ActRepository, RetentionRepository
from derbes.staff.adapters.store import SqlSessionRepository, SqlStaffRepository
from derbes.staff.ports import SessionRepository, StaffRepository
from derbes.transfers.adapters.store import SqlTransferRepository, TransferRepository
from derbes.vault.adapters.keyswap_store import SqlKeySwapJournal
from derbes.vault.adapters.store import SqlVaultRepository
from derbes.vault.ports import KeySwapJournal, VaultRepository

__all__ = ["SqlUnitOfWork"]


class SqlUnitOfWork:
    """A unit of work on one connection of ``engine`` and one transaction.

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
        touched = self._touched
        touched.clear()
        self.registers: RegisterRepository = SqlRegisterRepository(connection)
        self.audit: AuditRepository = SqlAuditRepository(connection, self._audit_key)
        self.alerts: AlertRepository = SqlAlertRepository(connection)
        self.api_keys: ApiKeyRepository = SqlApiKeyRepository(connection)
        self.vault: VaultRepository = SqlVaultRepository(connection, touched)
        self.consents: ConsentRepository = SqlConsentRepository(connection, touched)
        self.consent_ledger: ConsentLedgerRepository = SqlConsentLedgerRepository(
            connection, self._audit_key, touched)
        self.lifecycle: LifecycleRepository = SqlLifecycleRepository(connection, touched)
        self.egov_requests: EgovRequestRepository = SqlEgovRequestRepository(connection)
        self.decision_facts: DecisionFactsRepository = SqlDecisionFactsRepository(
            connection, self._seal_key)
        self.transfers: TransferRepository = SqlTransferRepository(connection)
        self.requests: RequestRepository = SqlRequestRepository(connection)
        self.retention: RetentionRepository = SqlRetentionRepository(connection, touched)
        self.acts: ActRepository = SqlActRepository(connection)
        self.key_swaps: KeySwapJournal = SqlKeySwapJournal(connection)
        self.seals: SealRepository = SqlSealRepository(connection)
        self.projections: ProjectionReader = SqlProjectionReader(connection)
        self.throttle: ThrottleRepository = SqlThrottleRepository(connection)
        self.staff: StaffRepository = SqlStaffRepository(connection)
        self.staff_sessions: SessionRepository = SqlSessionRepository(connection)
        self.deliveries: DeliveryRepository = SqlDeliveryRepository(connection)
        self.incidents: IncidentRepository = SqlIncidentRepository(connection)
        self.subject_sessions: SubjectSessionRepository = SqlSubjectSessionRepository(
            connection)
        self.cabinet_documents: DocumentRepository = SqlDocumentRepository(connection)
        self.responsible: ResponsibleRepository = SqlResponsibleRepository(connection)

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

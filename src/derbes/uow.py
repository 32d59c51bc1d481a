"""The unit of work: one transaction, and the repositories that work inside it.

    with uow:
        uow.registers.add(...)
        uow.commit()          # without this, everything above is rolled back

Leaving the block rolls back whatever was not committed, whether the block
ended normally or by an exception. Audit and ledger rows must be written
through the same unit of work as the change they record, so they commit or
vanish together with it.

A unit of work may write unless it is made ``read_only``: on SQLite it holds
the database's write lock from its start to its end (``platform/db.py`` says
why), so keep it short. Contention it meets (a lock still busy after the busy
timeout, a PostgreSQL deadlock victim or serialization failure) leaves it as
:class:`~derbes.errors.DatabaseBusyError`: rolled back, safe to run again.

Adding a repository (vault, consent ledger, audit log…): declare it on
``UnitOfWork``, build it from the connection in ``SqlUnitOfWork._open`` and
from memory in ``FakeUnitOfWork.__init__``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from derbes.access.adapters.store import ApiKeyRepository, FakeApiKeyRepository, SqlApiKeyRepository
from derbes.access.adapters.throttle_store import (
    FakeThrottleRepository,
    SqlThrottleRepository,
    ThrottleRepository,
)
from derbes.audit.adapters.store import (
    FAKE_AUDIT_KEY,
    AlertRepository,
    AuditKey,
    AuditRepository,
    FakeAlertRepository,
    FakeAuditRepository,
    SqlAlertRepository,
    SqlAuditRepository,
)
from derbes.consent.adapters.store import (
    ConsentLedgerRepository,
    ConsentRepository,
    EgovRequestRepository,
    FakeConsentLedgerRepository,
    FakeConsentRepository,
    FakeEgovRequestRepository,
    SqlConsentLedgerRepository,
    SqlConsentRepository,
    SqlEgovRequestRepository,
)
from derbes.decisions.adapters.facts import (
    DecisionFactsRepository,
    FactSources,
    FakeDecisionFactsRepository,
    SqlDecisionFactsRepository,
    snapshot_rows,
)
from derbes.integrity.adapters.projections import (
    FakeProjectionReader,
    ProjectionReader,
    SqlProjectionReader,
)
from derbes.integrity.adapters.seals import (
    FakeSealRepository,
    SealKeySource,
    SealRepository,
    SqlSealRepository,
    reseal,
)
from derbes.integrity.model.state_seal import Snapshot
from derbes.lifecycle.adapters.store import (
    FakeLifecycleRepository,
    LifecycleRepository,
    SqlLifecycleRepository,
)
from derbes.platform import db
from derbes.platform.touched import Touched
from derbes.register.adapters.store import FakeRegisterRepository, SqlRegisterRepository
from derbes.register.ports import RegisterRepository
from derbes.requests.adapters.store import (
    FakeRequestRepository,
    RequestRepository,
    SqlRequestRepository,
)
from derbes.retention.adapters.acts_store import FakeActRepository, SqlActRepository
from derbes.retention.adapters.memory_store import FakeRetentionRepository
from derbes.retention.adapters.store import SqlRetentionRepository
from derbes.retention.ports import ActRepository, RetentionRepository
from derbes.transfers.adapters.store import (
    FakeTransferRepository,
    SqlTransferRepository,
    TransferRepository,
)
from derbes.vault.adapters.keyswap_store import (
    FakeKeySwapJournal,
    KeySwapJournal,
    SqlKeySwapJournal,
)
from derbes.vault.adapters.store import FakeVaultRepository, SqlVaultRepository, VaultRepository


class UnitOfWork(Protocol):
    """What services see: repositories plus commit / rollback."""

    registers: RegisterRepository
    audit: AuditRepository
    alerts: AlertRepository
    api_keys: ApiKeyRepository
    vault: VaultRepository
    consents: ConsentRepository
    consent_ledger: ConsentLedgerRepository
    lifecycle: LifecycleRepository
    egov_requests: EgovRequestRepository
    decision_facts: DecisionFactsRepository
    transfers: TransferRepository
    requests: RequestRepository
    retention: RetentionRepository
    acts: ActRepository
    key_swaps: KeySwapJournal
    seals: SealRepository
    projections: ProjectionReader
    throttle: ThrottleRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def read_consistently(self) -> None:
        """First thing in a block that reads much and writes nothing: every read of the
        block sees the same committed state (one snapshot)."""
        ...


class _Checkpointable(Protocol):
    def checkpoint(self) -> Callable[[], None]: ...


class SqlUnitOfWork:
    """A unit of work on one connection of ``engine`` and one transaction.

    ``audit_key`` chains the access audit log (bytes, or a function that fetches
    it from the key store when the first entry is written). ``read_only``: the
    unit never writes, so it needs no write lock (the decision point's reads);
    its commit is refused.
    """

    registers: RegisterRepository
    audit: AuditRepository
    alerts: AlertRepository
    api_keys: ApiKeyRepository
    vault: VaultRepository
    consents: ConsentRepository
    consent_ledger: ConsentLedgerRepository
    lifecycle: LifecycleRepository
    egov_requests: EgovRequestRepository
    decision_facts: DecisionFactsRepository
    transfers: TransferRepository
    requests: RequestRepository
    retention: RetentionRepository
    acts: ActRepository
    key_swaps: KeySwapJournal
    seals: SealRepository
    projections: ProjectionReader
    throttle: ThrottleRepository

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
        self.registers = SqlRegisterRepository(connection)
        self.audit = SqlAuditRepository(connection, self._audit_key)
        self.alerts = SqlAlertRepository(connection)
        self.api_keys = SqlApiKeyRepository(connection)
        self.vault = SqlVaultRepository(connection, touched)
        self.consents = SqlConsentRepository(connection, touched)
        self.consent_ledger = SqlConsentLedgerRepository(connection, self._audit_key, touched)
        self.lifecycle = SqlLifecycleRepository(connection, touched)
        self.egov_requests = SqlEgovRequestRepository(connection)
        self.decision_facts = SqlDecisionFactsRepository(connection, self._seal_key)
        self.transfers = SqlTransferRepository(connection)
        self.requests = SqlRequestRepository(connection)
        self.retention = SqlRetentionRepository(connection, touched)
        self.acts = SqlActRepository(connection)
        self.key_swaps = SqlKeySwapJournal(connection)
        self.seals = SqlSealRepository(connection)
        self.projections = SqlProjectionReader(connection)
        self.throttle = SqlThrottleRepository(connection)

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


class FakeUnitOfWork:
    """An in-memory unit of work whose data outlives each ``with`` block.

    It really rolls back: each repository is checkpointed on entry and on
    commit, and restored on rollback. ``commits`` counts the commits.
    """

    def __init__(self, *, audit_key: AuditKey | None = FAKE_AUDIT_KEY) -> None:
        self._touched = touched = Touched()
        self._seal_key = SealKeySource(audit_key)
        self.fake_registers = FakeRegisterRepository()
        self.registers: RegisterRepository = self.fake_registers
        self.fake_audit = FakeAuditRepository(audit_key)
        self.audit: AuditRepository = self.fake_audit
        self.fake_alerts = FakeAlertRepository()
        self.alerts: AlertRepository = self.fake_alerts
        self.fake_api_keys = FakeApiKeyRepository()
        self.api_keys: ApiKeyRepository = self.fake_api_keys
        self.fake_vault = FakeVaultRepository(touched)
        self.vault: VaultRepository = self.fake_vault
        self._repositories: list[_Checkpointable] = [self.fake_registers, self.fake_vault]
        self._repositories += [self.fake_audit, self.fake_alerts, self.fake_api_keys]
        self.fake_consents = FakeConsentRepository(touched)
        self.consents: ConsentRepository = self.fake_consents
        self.fake_consent_ledger = FakeConsentLedgerRepository(audit_key, touched)
        self.consent_ledger: ConsentLedgerRepository = self.fake_consent_ledger
        self.fake_lifecycle = FakeLifecycleRepository(touched)
        self.lifecycle: LifecycleRepository = self.fake_lifecycle
        self.fake_egov_requests = FakeEgovRequestRepository()
        self.egov_requests: EgovRequestRepository = self.fake_egov_requests
        self._repositories += [self.fake_consents, self.fake_consent_ledger,
                               self.fake_lifecycle, self.fake_egov_requests]
        self.fake_transfers = FakeTransferRepository()
        self.transfers: TransferRepository = self.fake_transfers
        self._repositories.append(self.fake_transfers)
        self.fake_requests = FakeRequestRepository()
        self.requests: RequestRepository = self.fake_requests
        self._repositories.append(self.fake_requests)
        self.fake_retention = FakeRetentionRepository(self.fake_vault, touched)
        self.retention: RetentionRepository = self.fake_retention
        self._repositories.append(self.fake_retention)
        self.fake_acts = FakeActRepository()
        self.acts: ActRepository = self.fake_acts
        self._repositories.append(self.fake_acts)
        self.fake_key_swaps = FakeKeySwapJournal()
        self.key_swaps: KeySwapJournal = self.fake_key_swaps
        self._repositories.append(self.fake_key_swaps)
        self.fake_seals = FakeSealRepository(self._snapshots, self.fake_vault.all_subject_ids)
        self.seals: SealRepository = self.fake_seals
        self._repositories.append(self.fake_seals)
        self.projections: ProjectionReader = FakeProjectionReader(
            self.fake_vault, self.fake_consents, self.fake_lifecycle)
        self.fake_throttle = FakeThrottleRepository()
        self.throttle: ThrottleRepository = self.fake_throttle
        self._repositories.append(self.fake_throttle)
        # A read model over the fakes above: nothing of its own to roll back.
        self.decision_facts: DecisionFactsRepository = FakeDecisionFactsRepository(
            self._fact_sources(), self.audit, self.seals, self._seal_key)
        self._restores: list[Callable[[], None]] | None = None
        self.commits = 0

    def __enter__(self) -> Self:
        if self._restores is not None:
            raise RuntimeError("this unit of work is already in use")
        self._checkpoint()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        self._restores = None

    def commit(self) -> None:
        if self._restores is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        if self._touched:
            ids, fresh = self._touched.take()
            reseal(self.seals, self._seal_key(), ids, fresh)
        self.commits += 1
        self._checkpoint()

    def rollback(self) -> None:
        if self._restores is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        self._touched.clear()
        for restore in self._restores:
            restore()

    def read_consistently(self) -> None:
        return None  # one fake unit of work at a time

    def _fact_sources(self) -> FactSources:
        return FactSources(self.vault, self.consents, self.consent_ledger, self.lifecycle,
                           self.retention)

    def _snapshots(self, subject_ids: Collection[str]) -> dict[str, Snapshot]:
        rows = snapshot_rows(self._fact_sources(), subject_ids)
        out: dict[str, Snapshot] = {}
        for subject_id in rows.subjects:
            found = rows.snapshot(subject_id)
            if found is not None:
                out[subject_id] = found
        return out

    def _checkpoint(self) -> None:
        self._restores = [repository.checkpoint() for repository in self._repositories]

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

from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from derbes.access.adapters.store import ApiKeyRepository, FakeApiKeyRepository, SqlApiKeyRepository
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
    FakeDecisionFactsRepository,
    SqlDecisionFactsRepository,
)
from derbes.lifecycle.adapters.store import (
    FakeLifecycleRepository,
    LifecycleRepository,
    SqlLifecycleRepository,
)
from derbes.platform import db
from derbes.register.adapters.store import (
    FakeRegisterRepository,
    RegisterRepository,
    SqlRegisterRepository,
)
from derbes.requests.adapters.store import (
    FakeRequestRepository,
    RequestRepository,
    SqlRequestRepository,
)
from derbes.retention.adapters.acts_store import ActRepository, FakeActRepository, SqlActRepository
from derbes.retention.adapters.store import (
    FakeRetentionRepository,
    RetentionRepository,
    SqlRetentionRepository,
)
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

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


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

    def __init__(self, engine: Engine, *, audit_key: AuditKey | None = None,
                 read_only: bool = False) -> None:
        self._engine = engine
        self._audit_key = audit_key
        self._read_only = read_only
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
        self.registers = SqlRegisterRepository(connection)
        self.audit = SqlAuditRepository(connection, self._audit_key)
        self.alerts = SqlAlertRepository(connection)
        self.api_keys = SqlApiKeyRepository(connection)
        self.vault = SqlVaultRepository(connection)
        self.consents = SqlConsentRepository(connection)
        self.consent_ledger = SqlConsentLedgerRepository(connection, self._audit_key)
        self.lifecycle = SqlLifecycleRepository(connection)
        self.egov_requests = SqlEgovRequestRepository(connection)
        self.decision_facts = SqlDecisionFactsRepository(connection)
        self.transfers = SqlTransferRepository(connection)
        self.requests = SqlRequestRepository(connection)
        self.retention = SqlRetentionRepository(connection)
        self.acts = SqlActRepository(connection)
        self.key_swaps = SqlKeySwapJournal(connection)

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
        connection.begin()

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
        self.fake_registers = FakeRegisterRepository()
        self.registers: RegisterRepository = self.fake_registers
        self.fake_audit = FakeAuditRepository(audit_key)
        self.audit: AuditRepository = self.fake_audit
        self.fake_alerts = FakeAlertRepository()
        self.alerts: AlertRepository = self.fake_alerts
        self.fake_api_keys = FakeApiKeyRepository()
        self.api_keys: ApiKeyRepository = self.fake_api_keys
        self.fake_vault = FakeVaultRepository()
        self.vault: VaultRepository = self.fake_vault
        self._repositories: list[_Checkpointable] = [self.fake_registers, self.fake_vault]
        self._repositories += [self.fake_audit, self.fake_alerts, self.fake_api_keys]
        self.fake_consents = FakeConsentRepository()
        self.consents: ConsentRepository = self.fake_consents
        self.fake_consent_ledger = FakeConsentLedgerRepository(audit_key)
        self.consent_ledger: ConsentLedgerRepository = self.fake_consent_ledger
        self.fake_lifecycle = FakeLifecycleRepository()
        self.lifecycle: LifecycleRepository = self.fake_lifecycle
        self.fake_egov_requests = FakeEgovRequestRepository()
        self.egov_requests: EgovRequestRepository = self.fake_egov_requests
        self._repositories += [self.fake_consents, self.fake_consent_ledger,
                               self.fake_lifecycle, self.fake_egov_requests]
        # A read model over the fakes above: nothing of its own to roll back.
        self.decision_facts: DecisionFactsRepository = FakeDecisionFactsRepository(
            self.vault, self.consents, self.audit, self.lifecycle)
        self.fake_transfers = FakeTransferRepository()
        self.transfers: TransferRepository = self.fake_transfers
        self._repositories.append(self.fake_transfers)
        self.fake_requests = FakeRequestRepository()
        self.requests: RequestRepository = self.fake_requests
        self._repositories.append(self.fake_requests)
        self.fake_retention = FakeRetentionRepository(self.fake_vault)
        self.retention: RetentionRepository = self.fake_retention
        self._repositories.append(self.fake_retention)
        self.fake_acts = FakeActRepository()
        self.acts: ActRepository = self.fake_acts
        self._repositories.append(self.fake_acts)
        self.fake_key_swaps = FakeKeySwapJournal()
        self.key_swaps: KeySwapJournal = self.fake_key_swaps
        self._repositories.append(self.fake_key_swaps)
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
        self.commits += 1
        self._checkpoint()

    def rollback(self) -> None:
        if self._restores is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        for restore in self._restores:
            restore()

    def _checkpoint(self) -> None:
        self._restores = [repository.checkpoint() for repository in self._repositories]

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
``UnitOfWork`` (its Protocol in the slice's ``ports``), build it from the
connection in ``platform/sql_uow._STORES`` and from memory in
``derbes.testing.uow.FakeUnitOfWork``.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

if TYPE_CHECKING:
    from derbes.access.ports import ApiKeyRepository, ThrottleRepository
    from derbes.audit.ports import AlertRepository, AuditRepository
    from derbes.cabinet.ports import DocumentRepository, SubjectSessionRepository
    from derbes.compliance.ports import ResponsibleRepository
    from derbes.consent.adapters.store import (
        ConsentLedgerRepository,
        ConsentRepository,
        EgovRequestRepository,
    )
    from derbes.decisions.adapters.facts import DecisionFactsRepository
    from derbes.delivery.ports import DeliveryRepository
    from derbes.incidents.ports import IncidentRepository
    from derbes.integrity.ports import ProjectionReader, SealRepository
    from derbes.lifecycle.adapters.store import LifecycleRepository
    from derbes.register.ports import RegisterRepository
    from derbes.requests.adapters.store import RequestRepository
    from derbes.retention.ports import ActRepository, RetentionRepository
    from derbes.staff.ports import SessionRepository, StaffRepository
    from derbes.transfers.adapters.store import TransferRepository
    from derbes.vault.ports import KeySwapJournal, VaultRepository

__all__ = ["UnitOfWork"]


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
    staff: StaffRepository
    staff_sessions: SessionRepository
    deliveries: DeliveryRepository
    incidents: IncidentRepository
    subject_sessions: SubjectSessionRepository
    cabinet_documents: DocumentRepository
    responsible: ResponsibleRepository

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

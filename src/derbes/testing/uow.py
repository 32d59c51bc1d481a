"""An in-memory unit of work over the fakes of every slice, for unit tests."""

from __future__ import annotations

from collections.abc import Callable, Collection
from types import TracebackType
from typing import Protocol, Self

from derbes.access.ports import ApiKeyRepository, ThrottleRepository
from derbes.audit.ports import AlertRepository, AuditKey, AuditRepository
from derbes.cabinet.ports import DocumentRepository, SubjectSessionRepository
from derbes.compliance.ports import ResponsibleRepository
from derbes.consent.adapters.store import (
    ConsentLedgerRepository,
    ConsentRepository,
    EgovRequestRepository,
    FakeConsentLedgerRepository,
    FakeConsentRepository,
    FakeEgovRequestRepository,
)
from derbes.decisions.adapters.facts import (
    DecisionFactsRepository,
    FactSources,
    FakeDecisionFactsRepository,
    snapshot_rows,
)
from derbes.delivery.ports import DeliveryRepository
from derbes.incidents.ports import IncidentRepository
from derbes.integrity.adapters.seals import SealKeySource
from derbes.integrity.model.state_seal import Snapshot
from derbes.integrity.ports import ProjectionReader, SealRepository
from derbes.integrity.service.sealing import reseal
from derbes.lifecycle.adapters.store import FakeLifecycleRepository, LifecycleRepository
from derbes.platform.touched import Touched
from derbes.register.adapters.store import FakeRegisterRepository
from derbes.register.ports import RegisterRepository
from derbes.requests.adapters.store import FakeRequestRepository, RequestRepository
from derbes.retention.adapters.acts_store import FakeActRepository
from derbes.retention.adapters.memory_store import FakeRetentionRepository
from derbes.retention.ports import ActRepository, RetentionRepository
from derbes.staff.ports import SessionRepository, StaffRepository
from derbes.testing.access import FakeApiKeyRepository, FakeThrottleRepository
from derbes.testing.audit import FAKE_AUDIT_KEY, FakeAlertRepository, FakeAuditRepository
from derbes.testing.cabinet import FakeDocumentRepository, FakeSubjectSessionRepository
from derbes.testing.compliance import FakeResponsibleRepository
from derbes.testing.delivery import FakeDeliveryRepository
from derbes.testing.incidents import FakeIncidentRepository
from derbes.testing.integrity import FakeProjectionReader, FakeSealRepository
from derbes.testing.staff import FakeSessionRepository, FakeStaffRepository
from derbes.testing.vault import FakeKeySwapJournal, FakeVaultRepository
from derbes.transfers.adapters.store import FakeTransferRepository, TransferRepository
from derbes.vault.ports import KeySwapJournal, VaultRepository

__all__ = ["FakeUnitOfWork"]


class _Checkpointable(Protocol):
    def checkpoint(self) -> Callable[[], None]: ...


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
        self.fake_staff = FakeStaffRepository()
        self.staff: StaffRepository = self.fake_staff
        self.fake_staff_sessions = FakeSessionRepository()
        self.staff_sessions: SessionRepository = self.fake_staff_sessions
        self._repositories += [self.fake_staff, self.fake_staff_sessions]
        self._add_message_and_incident_stores()
        self._open_cabinet()
        # A read model over the fakes above: nothing of its own to roll back.
        self.decision_facts: DecisionFactsRepository = FakeDecisionFactsRepository(
            self._fact_sources(), self.audit, self.seals, self._seal_key)
        self._restores: list[Callable[[], None]] | None = None
        self.commits = 0

    def _open_cabinet(self) -> None:
        self.fake_subject_sessions = FakeSubjectSessionRepository()
        self.subject_sessions: SubjectSessionRepository = self.fake_subject_sessions
        self.fake_cabinet_documents = FakeDocumentRepository()
        self.cabinet_documents: DocumentRepository = self.fake_cabinet_documents
        self._repositories += [self.fake_subject_sessions, self.fake_cabinet_documents]

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

    def _add_message_and_incident_stores(self) -> None:
        self.fake_deliveries = FakeDeliveryRepository()
        self.deliveries: DeliveryRepository = self.fake_deliveries
        self.fake_incidents = FakeIncidentRepository()
        self.incidents: IncidentRepository = self.fake_incidents
        self._repositories += [self.fake_deliveries, self.fake_incidents]
        self.fake_responsible = FakeResponsibleRepository()
        self.responsible: ResponsibleRepository = self.fake_responsible
        self._repositories.append(self.fake_responsible)

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

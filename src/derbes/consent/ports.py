"""What the consent use cases need from outside, owned by the consent slice.

The stores (``consent/adapters/store.py`` implements them on SQL, and as fakes)
reach the services through the unit of work; the eGov consent service
(``consent/adapters/egov.py``) is chosen by bootstrap and passed in.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from derbes.consent.model.consent import Consent, ScopeKind
from derbes.consent.model.egov import EgovRequest, EgovSent
from derbes.consent.model.ledger import LedgerEntry, LedgerRecord

__all__ = ["ConsentLedgerRepository", "ConsentRepository", "EgovConsentService",
           "EgovRequestRepository"]


class ConsentRepository(Protocol):
    def add(self, items: Sequence[Consent]) -> None:
        """Insert new consents; ``DatabaseBusyError`` when an idempotency key is taken
        meanwhile by a concurrent transaction (retry: it will find that act)."""
        ...

    def get(self, consent_id: str) -> Consent | None: ...

    def by_idempotency_key(self, operator_id: str, key: str) -> builtins.list[Consent]:
        """The consents of the act recorded under ``key`` (one per scope)."""
        ...

    def by_idempotency_keys(
        self, operator_id: str, keys: Collection[str]
    ) -> dict[str, builtins.list[Consent]]:
        """Batch form of :meth:`by_idempotency_key`: only keys already used are in it."""
        ...

    def by_act(self, act_id: str) -> builtins.list[Consent]: ...

    def for_subject(
        self, subject_id: str, kind: ScopeKind | None = None
    ) -> builtins.list[Consent]:
        """The subject's consents (of one scope kind), oldest first."""
        ...

    def for_subjects(self, subject_ids: Collection[str]) -> dict[str, builtins.list[Consent]]:
        """Consents of many subjects in one query (decision point, batch)."""
        ...

    def for_operator(
        self, operator_id: str, *, active_on: datetime | None = None
    ) -> builtins.list[Consent]:
        """The operator's consents; with ``active_on`` only those active at that instant."""
        ...

    def mark_withdrawn(self, consent_ids: Collection[str], at: datetime) -> int:
        """Set ``withdrawn_at`` where it is not set yet; returns how many changed."""
        ...

    def mark_expired(self, consent_ids: Collection[str], at: datetime) -> int: ...

    def mark_needs_reconsent(self, consent_ids: Collection[str], since: datetime) -> int:
        """Set ``needs_reconsent_since`` where not set yet (policy change, C2)."""
        ...

    def reseal(self, items: Sequence[tuple[str, bytes | None, bytes | None]]) -> None:
        """Replace the sealed evidence and representative of consents (id, evidence,
        representative): the subject's key was replaced by a partial destruction."""
        ...

    def expiring(self, at: datetime, limit: int = 1000) -> builtins.list[Consent]:
        """Consents whose term ended by ``at`` and that are not yet marked expired."""
        ...


class ConsentLedgerRepository(Protocol):
    def append(self, records: Sequence[LedgerRecord]) -> builtins.list[LedgerEntry]:
        """Chain and insert entries in the current transaction, with one head update."""
        ...

    def entries(self, *, after_seq: int = 0) -> Iterator[LedgerEntry]:
        """Every entry after ``after_seq`` in seq order (streamed)."""
        ...

    def entry(self, seq: int) -> LedgerEntry | None: ...

    def for_subject(self, subject_id: str) -> builtins.list[LedgerEntry]: ...

    def head(self) -> tuple[int, str]:
        """(seq, hash) of the last entry as recorded by the writer."""
        ...

    def lock_head(self) -> tuple[int, str]:
        """The head, locked until the end of the transaction: a check made after it
        (is this entry already there?) holds until the append."""
        ...


class EgovRequestRepository(Protocol):
    def add(self, request: EgovRequest) -> None: ...

    def get(self, request_id: str, *, for_update: bool = False) -> EgovRequest | None: ...

    def decide(self, request_id: str, status: str, at: datetime, act_id: str | None) -> None: ...


class EgovConsentService(Protocol):
    def send(self, subject_id: str, operator_id: str, summary: Mapping[str, Any],
             at: datetime) -> EgovSent:
        """Ask the subject through eGov; returns the service's request id."""
        ...

    def verify_callback(self, body: bytes, signature: str | None) -> bool:
        """Whether a callback body was signed by the service."""
        ...

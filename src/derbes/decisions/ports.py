"""What the decision point reads, owned by the core: the facts of a batch of subjects
and the change feed a long-lived cache polls (``adapters/facts.py`` implements it on
SQL databases and in memory; the unit of work exposes it as ``decision_facts``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from derbes.decisions.model import ConsentFact

__all__ = ["ChangeCursor", "DecisionFactsRepository", "DestroyEvent", "FactRows"]


@dataclass(frozen=True)
class ChangeCursor:
    """Where the change feed was last read: log positions and a recording time."""

    audit_seq: int = 0
    ledger_seq: int = 0
    events_at: datetime | None = None


@dataclass(frozen=True)
class DestroyEvent:
    """A destruction recorded in the audit log: which categories of which subjects."""

    seq: int
    at: datetime
    subject_ids: tuple[str, ...]
    categories: tuple[str, ...]


@dataclass
class FactRows:
    """The raw facts of a batch, before they are reduced to states."""

    subjects: dict[str, tuple[bool, bool]] = field(default_factory=dict)  # (blocked, destroyed)
    blocked_categories: dict[str, set[str]] = field(default_factory=dict)
    open_contracts: set[str] = field(default_factory=set)  # subjects with one open
    consents: dict[str, list[ConsentFact]] = field(default_factory=dict)
    destroy_events: list[DestroyEvent] = field(default_factory=list)
    # purpose -> last day of retention (None: still running), per subject
    clocks: dict[str, list[tuple[str, date | None]]] = field(default_factory=dict)
    # subjects whose rows do not match their state seal, and why
    unverified: dict[str, str] = field(default_factory=dict)


class DecisionFactsRepository(Protocol):
    def load(
        self, operator_id: str, subject_ids: Collection[str], *, destroyed_after_seq: int = 0
    ) -> FactRows:
        """The subjects of ``operator_id`` among ``subject_ids`` (others are absent),
        their active category blocks, consents and open contracts, and every destruction
        recorded after ``destroyed_after_seq`` (for any subject)."""
        ...

    def collected_after(
        self, since: Mapping[tuple[str, str], datetime]
    ) -> set[tuple[str, str]]:
        """The (subject, category) pairs holding a value collected after the given time."""
        ...

    def cursor(self) -> ChangeCursor:
        """The change feed's present end."""
        ...

    def changes(self, after: ChangeCursor) -> tuple[set[str] | None, ChangeCursor]:
        """Subjects whose state may have changed after ``after`` (None: any), and the
        new cursor. Lifecycle events are read again from a little before the
        cursor's time, so one recorded by a slow transaction is not missed."""
        ...

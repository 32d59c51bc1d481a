"""What a retention run hands to its destruction act: groups destroyed, methods, totals.

Pure: the service turns a run's summary into a :class:`RunRecord` (:func:`record_of`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from derbes.datasets.model import ErasureStrategy
from derbes.deadlines.model.periods import Period
from derbes.errors import InputError, PeriodError
from derbes.register.model.register import AfterRetention, RetentionTrigger
from derbes.retention.model.retention import DestructionMethod, RunSummary

__all__ = ["DestroyedGroup", "Method", "MethodUse", "RunRecord", "VaultTotals",
           "record_of"]


class Method(StrEnum):
    """How the data of a group were made to cease to exist (or to identify anyone)."""

    # Vault: the subject's data key was destroyed in the key store, then the rows
    # deleted; backups hold only ciphertext nobody can open.
    CRYPTO_SHREDDING = "crypto_shredding"
    # Vault: the categories' records were deleted and the subject's key replaced
    # (the old key destroyed, what remains re-sealed under the new one).
    DELETION = "deletion"
    # Vault: values replaced so that they can no longer be attributed to the subject.
    ANONYMISATION = "anonymisation"
    # The operator's own databases, through a connector (its dataset's strategy).
    STORE_DELETE_ROW = "store_delete_row"
    STORE_NULL = "store_null"
    STORE_MASK = "store_mask"
    STORE_HASH = "store_hash"

    @property
    def in_store(self) -> bool:
        return self.value.startswith("store_")


_STORE_METHODS: Mapping[ErasureStrategy, Method] = {
    ErasureStrategy.DELETE_ROW: Method.STORE_DELETE_ROW,
    ErasureStrategy.NULL: Method.STORE_NULL,
    ErasureStrategy.MASK: Method.STORE_MASK,
    ErasureStrategy.HASH: Method.STORE_HASH,
}


@dataclass(frozen=True)
class MethodUse:
    """One method applied in one place: the vault (``store`` None) or a connected store.

    ``count`` is subjects for the vault and rows changed for a store.
    """

    method: Method
    count: int
    store: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", Method(self.method))
        if self.count < 0:
            raise InputError("a method's count cannot be negative", field="count")
        if self.method.in_store and not self.store:
            raise InputError("a connected-store method names its store", field="store")


# ------------------------------------------------------------------ run input


@dataclass(frozen=True)
class DestroyedGroup:
    """What a run did for one purpose whose retention ended (the service's input).

    ``subject_ids`` are internal vault ids; they are turned into pseudonymous
    references when the act is built and are not kept in it.
    """

    purpose_id: str
    action: AfterRetention
    categories: tuple[str, ...]
    subject_ids: tuple[str, ...]
    # The retention rule as the run applied it; None: take it from the register.
    citation: str | None = None
    trigger: RetentionTrigger | None = None
    period: Period | None = None
    items: int | None = None  # (subject, category) pairs; None: not counted
    # Empty: crypto-shredding (destroy) or anonymisation in the vault, for every subject.
    methods: tuple[MethodUse, ...] = ()
    ended_from: date | None = None  # earliest retention end among the group's subjects
    ended_to: date | None = None  # latest


@dataclass(frozen=True)
class RunRecord:
    """A completed retention run, as the act needs it."""

    run_id: str
    operator_id: str
    as_of: date
    started_at: datetime
    finished_at: datetime
    actor: str
    groups: tuple[DestroyedGroup, ...]
    totals: VaultTotals | None = None


@dataclass(frozen=True)
class VaultTotals:
    """What the run did in the vault, over all groups."""

    subjects_shredded: int  # every category due: the data key destroyed
    subjects_partial: int  # some categories due: deleted, the key replaced
    values_deleted: int
    items_skipped: int = 0  # due when planned, held (or gone) when reached


def _trigger(value: str) -> RetentionTrigger | None:
    try:
        return RetentionTrigger(value)
    except ValueError:
        return None


def _period(value: str) -> Period | None:
    try:
        return Period.parse(value) if value else None
    except PeriodError:
        return None


def record_of(summary: RunSummary) -> RunRecord:
    """The act's view of a completed run of the retention engine."""
    groups = tuple(DestroyedGroup(
        purpose_id=g.purpose,
        action=AfterRetention.ANONYMISE if g.method is DestructionMethod.ANONYMISE
        else AfterRetention.DESTROY,
        categories=tuple(g.categories), subject_ids=tuple(g.subject_ids),
        citation=g.citation or None, trigger=_trigger(g.trigger), period=_period(g.period),
        items=g.items,
    ) for g in summary.groups)
    return RunRecord(
        run_id=summary.run_id, operator_id=summary.operator_id, as_of=summary.as_of,
        started_at=summary.started_at, finished_at=summary.finished_at, actor=summary.actor,
        groups=groups, totals=VaultTotals(
            subjects_shredded=summary.subjects_shredded,
            subjects_partial=summary.subjects_partial,
            values_deleted=summary.values_deleted, items_skipped=summary.items_skipped),
    )

"""Use cases of retention: clocks moved by events, the plan, the resumable sweep.

* The clocks (``clocks.py``): :func:`on_event` is called by
  ``lifecycle/service.record_event`` inside its unit of work; the subject's clocks
  are recomputed (:func:`update_clocks`) — one subject, never a rescan of the world.
* The plan (``plan.py``): one indexed range query on the category clocks.
* The connected databases a sweep erases in (``stores.py``).
* :func:`run` sweeps in batches of subjects. A run is a row, its subjects are
  items; each batch is one data transaction that deletes the batch's rows and
  marks its items done together, so a killed run resumes from its pending
  items and never does anything twice.

Crypto-shredding order, per batch (the same reasoning as
``vault/service/subjects.destroy_subject`` and ``vault/service/keyswap``): the key store
goes FIRST, and every commit boundary is a named crash point.

* Subjects whose every held category is due: their data keys are destroyed
  (``KeyStore.destroy``, idempotent), then their rows are deleted and the
  subject row kept as a tombstone. A crash in between leaves ciphertext that
  nobody can open, and the resumed run deletes it.
* Subjects with only some categories due: a journaled key swap. The key store
  stores a new key beside each current one (``prepare_swaps``); the batch's
  data transaction deletes the due categories, re-seals the kept values under
  the new keys and records the swap in ``key_swaps``; then the old keys are
  destroyed (``finish_swaps``). A crash anywhere leaves every kept value
  readable under one of the two stored keys; the next run settles the swap
  (``keyswap.settle``) before anything else, so no destroyed value stays
  readable from a backup after it.

Anonymisation (a rule's ``then: anonymise``) removes the vault's values the
same way — the vault holds only identifying values — and is recorded as
anonymisation in the act; connected databases apply their dataset strategies.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from derbes.audit.model.log import AuditAction, AuditRecord
from derbes.context import Context
from derbes.datasets.ports import OperatorStore, StoreOpener, no_stores, opened_stores
from derbes.errors import (
    ConfigurationError,
    InputError,
    NotFoundError,
    StoreUnavailableError,
)
from derbes.platform import crypto
from derbes.platform.faults import crash_point
from derbes.register.model.register import (
    Register,
    ValueType,
)
from derbes.retention.model.retention import (
    DEFAULT_BATCH,
    MAX_BATCH,
    STORE_GROUP_PREFIX,
    RunGroup,
    RunRecord,
    RunState,
    RunSummary,
    StoreErasure,
    method_of,
)
from derbes.retention.service import acts
from derbes.retention.service.clocks import (
    SubjectClocks,
    clocks_of,
    expired_for,
    history_of,
    new_subject_clocks,
    on_event,
    register_of,
    require_register,
    runs,
    update_clocks,
)
from derbes.retention.service.plan import KeptLine, KeptState, PlanLine, RetentionPlan, plan
from derbes.retention.service.stores import (
    UNOPENED,
    erase_in_stores,
    open_any,
    store_failed,
)
from derbes.uow import UnitOfWork
from derbes.vault import model as vault
from derbes.vault.ports import KeyStore, SealedValue
from derbes.vault.service import keyswap

__all__ = [
    "DEFAULT_BATCH",
    "SYSTEM_ACTOR",
    "KeptLine",
    "KeptState",
    "PlanLine",
    "Progress",
    "RetentionPlan",
    "RunReport",
    "StoreOpener",
    "SubjectClocks",
    "clocks_of",
    "expired_for",
    "history_of",
    "new_subject_clocks",
    "on_event",
    "plan",
    "register_of",
    "run",
    "runs",
    "summary_of",
    "update_clocks",
]

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "retention-sweep"

# --------------------------------------------------------------------- run


@dataclass(frozen=True)
class Progress:
    run_id: str
    done: int  # subjects done or skipped so far
    total: int


@dataclass(frozen=True)
class RunReport:
    """What :func:`run` did. ``run`` None: nothing was due, no run was made."""

    run: RunRecord | None
    resumed: bool = False  # an unfinished run was finished instead of a new one
    summary: RunSummary | None = None
    act_id: str | None = None


def run(
    ctx: Context,
    operator_id: str,
    as_of: date,
    *,
    batch_size: int = DEFAULT_BATCH,
    on_progress: Callable[[Progress], None] | None = None,
    issue_act: bool = True,
    stores: StoreOpener = no_stores,
) -> RunReport:
    """Destroy what is due on ``as_of``, in batches; resume an unfinished run first.

    If the operator has an unfinished (killed) run, that run is finished — on
    its own as-of date — and reported with ``resumed=True``; call again for a
    new run. A run whose as-of date finds nothing due creates nothing. After
    the last batch the destruction act is issued (``retention/service/acts.issue``) in
    the transaction that marks the run completed. The run is ``ctx.actor``'s
    (:data:`SYSTEM_ACTOR` for the scheduled sweep).

    ``stores``: the operator's connected databases; each batch applies their
    dataset strategies (one transaction per store) before the key store
    destroys the batch's keys. A store that fails leaves the batch undone and
    the run unfinished (the reason is in the audit log) and raises
    :class:`~derbes.errors.StoreUnavailableError`; running again resumes.
    """
    if not 1 <= batch_size <= MAX_BATCH:
        raise InputError(f"batch size must be 1 to {MAX_BATCH}", field="batch_size")
    if as_of > ctx.now().date():
        # A sweep dated ahead would destroy what the law still keeps today.
        raise InputError("a run cannot be dated in the future (plan can)", field="as_of")
    ctx.scope.check(operator_id, f"operator {operator_id!r}")
    # Key swaps a killed run (or a partial destruction) left unfinished.
    keyswap.settle(ctx.uow, ctx.keystore, ctx.clock)
    register, current, resumed = _current_run(ctx, operator_id, as_of, batch_size)
    if current is None:
        return RunReport(None)
    if current.state is RunState.RUNNING:
        done = current.subjects_done
        size = current.batch_size if resumed else batch_size
        try:
            with opened_stores(stores, operator_id, register) as opened:
                while count := _batch(ctx, current, size, opened):
                    done += count
                    if on_progress is not None:
                        on_progress(Progress(current.id, done, current.subjects_total))
        except (StoreUnavailableError, ConfigurationError) as exc:
            store_failed(ctx, current, exc)
            raise
    return _finish(ctx, current.id, register, resumed=resumed, issue_act=issue_act)


def _current_run(ctx: Context, operator_id: str, as_of: date, batch_size: int
                 ) -> tuple[Register, RunRecord | None, bool]:
    """The register in force, the run to work on (the unfinished one, or a new one;
    None when nothing is due), and whether it is resumed."""
    with ctx.uow as uow:
        register = require_register(uow, operator_id, ctx.rules.retention)
        current = uow.retention.unfinished_run(operator_id)
        resumed = current is not None
        if current is None:
            if uow.retention.due_subjects(operator_id, as_of) == 0:
                return register, None, False
            current = RunRecord(id=str(uuid.uuid4()), operator_id=operator_id, as_of=as_of,
                                state=RunState.RUNNING, actor=ctx.actor, batch_size=batch_size,
                                started_at=ctx.now())
            uow.retention.start_run(current)
            uow.commit()
            crash_point("retention.run.started")
        found = uow.retention.run(current.id)
        assert found is not None
    return register, found, resumed


@dataclass
class _Due:
    """What one batch of a run settles: per subject, the purposes and categories due."""

    ids: list[str]
    partial: set[str]
    done: dict[str, dict[str, int]] = field(default_factory=dict)
    groups: dict[str, dict[str, int]] = field(default_factory=dict)
    doomed: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, ids: list[str], rows: Iterable[tuple[str, str, str]], partial: set[str]
           ) -> _Due:
        due = cls(ids, partial)
        for sid, category, purpose in rows:
            per = due.done.setdefault(sid, {})
            per[purpose] = per.get(purpose, 0) + 1
            cats = due.groups.setdefault(purpose, {})
            cats[category] = cats.get(category, 0) + 1
            due.doomed.setdefault(sid, []).append(category)
        return due

    @property
    def full(self) -> list[str]:
        return [s for s in self.ids if s in self.done and s not in self.partial]

    @property
    def skipped(self) -> list[str]:
        return [s for s in self.ids if s not in self.done]


def _batch(ctx: Context, current: RunRecord, size: int,
           stores: Sequence[OperatorStore] = ()) -> int:
    """One batch in one data transaction; the number of subjects it settled (0: none left).

    Commit boundaries, in order (each a crash point): the operator stores'
    own transactions; the key store destroying the fully due subjects' keys;
    the key store preparing the partly due subjects' key swap; the data
    transaction (rows deleted, kept values re-sealed, swap journaled, items
    settled, audited); the key store finishing the swap.
    """
    uow, keystore = ctx.uow, ctx.keystore
    swap: list[str] = []
    try:
        with uow:
            # A write first: takes the run row (PostgreSQL) or the database write
            # lock (SQLite), so two sweeps never work the same batch.
            uow.retention.add_progress(current.id)
            planned = uow.retention.next_batch(current.id, size)
            if not planned:
                return 0
            ids = sorted(planned)
            # Re-read what is due now: a hold recorded since the run started wins.
            rows, partial = uow.retention.split_batch(ids, current.as_of)
            due = _Due.of(ids, rows, set(partial))
            _settle(ctx, current, planned, due, stores, swap)
            uow.commit()
    except Exception:
        if swap:  # the data transaction rolled back: drop the new keys
            keyswap.abort(uow, keystore, ctx.clock, swap[0])
        raise
    crash_point("retention.batch.data_committed")
    if swap:
        keyswap.finish(uow, keystore, swap[0], "retention.batch.swap_committed")
    return len(ids)


def _settle(ctx: Context, current: RunRecord, planned: Mapping[str, Mapping[str, int]],
            due: _Due, stores: Sequence[OperatorStore], swap: list[str]) -> None:
    """Inside the batch's data transaction: erase, destroy, re-seal, settle and audit.
    A key swap begun here appends its id to ``swap``."""
    uow, keystore, now = ctx.uow, ctx.keystore, ctx.now()
    full, shredded = due.full, set(due.full)
    # Connected databases before the keys go: their identity values are
    # read from the vault, which is impossible once the keys are destroyed.
    store_counts = erase_in_stores(ctx, stores, current, shredded, due.doomed)
    if stores:
        crash_point("retention.batch.stores_erased")
    # Key store first (see the module docstring).
    if full:
        keystore.destroy(full)
        crash_point("retention.batch.keys_destroyed")
    keys: dict[str, tuple[bytes, bytes]] = {}
    partial = sorted(due.partial)
    if partial:
        # Kept values of these subjects are re-sealed below: no update
        # of theirs may slip in between (see keyswap.sealing_key).
        uow.retention.lock_subjects(partial)
        swap.append(str(uuid.uuid4()))
        keys = keystore.prepare_swaps(partial, swap[0])
        crash_point("retention.batch.swap_prepared")
        uow.key_swaps.commit(swap[0], len(keys), now)
    values_deleted = uow.retention.shred(full, now) if full else 0
    if partial:
        values_deleted += _shred_partly(uow, keystore, partial, due.doomed, keys)
        keyswap.reseal_evidence(uow, keys, now)
    # Clocks of categories no longer held (destroyed through the vault
    # meanwhile) are only forgotten.
    uow.retention.drop_due_clocks([s for s in due.ids if s not in shredded], current.as_of)
    uow.retention.settle_items(current.id, planned, due.done, full, due.skipped)
    uow.retention.add_progress(current.id, shredded=len(full), partial=len(partial),
                               skipped=len(due.skipped), values_deleted=values_deleted,
                               groups={**due.groups, **store_counts})
    uow.audit.record_many(_audit_records(current, now, full, due,
                                         ctx.rules.retention.destruction))


def _shred_partly(uow: UnitOfWork, keystore: KeyStore, partial: Sequence[str],
                  doomed: dict[str, list[str]], keys: dict[str, tuple[bytes, bytes]]) -> int:
    """Delete the ``doomed`` categories of ``partial`` subjects, re-seal their survivors."""
    due = {sid: set(doomed.get(sid, ())) for sid in partial}
    index_key = keystore.index_key()
    resealed: list[SealedValue] = []
    lookups: list[tuple[str, str, str]] = []
    cards: list[tuple[str, str]] = []
    unreadable = 0
    for stored in uow.retention.values_of(partial):
        old, new = keys.get(stored.subject_id, (b"", b""))
        is_doomed = stored.category in due.get(stored.subject_id, {})
        needs_plain = not is_doomed or _may_index(stored)
        plain = open_any(stored, (old, new)) if needs_plain and old else UNOPENED
        if is_doomed:
            if plain is not UNOPENED:
                pair = vault.lookup_of(_as_pd(stored, plain))
                if pair is not None:
                    kind, normalised = pair
                    lookups.append((stored.subject_id, kind.value,
                                    crypto.blind_index(index_key, kind.value, normalised)))
                if isinstance(plain, dict) and isinstance(plain.get("token"), str):
                    cards.append((stored.subject_id, str(plain["token"])))
            continue
        if plain is UNOPENED:
            unreadable += 1
            continue
        aad = crypto.value_aad(stored.subject_id, stored.category, stored.seq)
        resealed.append(SealedValue(
            subject_id=stored.subject_id, category=stored.category, seq=stored.seq,
            sealed=crypto.seal(new, vault.encode_plain(plain), aad),
            value_type=stored.value_type, source=stored.source, purposes=stored.purposes,
            method=stored.method, collected_at=stored.collected_at,
            updated_at=stored.updated_at))
    deleted = uow.retention.delete_categories(
        [(sid, category) for sid in partial for category in due.get(sid, {})])
    uow.retention.delete_lookups(lookups)
    uow.retention.delete_cards(cards)
    uow.retention.reseal(resealed)
    if unreadable:
        log.error("retention sweep: %d surviving value(s) cannot be opened with the "
                  "subject's key (an earlier interrupted destruction); left in place",
                  unreadable)
    return deleted


_INDEXED_TYPES = frozenset({ValueType.IIN.value, ValueType.PHONE.value, ValueType.EMAIL.value,
                            ValueType.CARD_TOKEN.value})


def _may_index(stored: SealedValue) -> bool:
    """Does destroying this value need its plaintext (a look-up or card token to drop)?"""
    return stored.category == vault.CUSTOMER_ID_CATEGORY or stored.value_type in _INDEXED_TYPES


def _as_pd(stored: SealedValue, plain: vault.JsonValue) -> vault.PdValue:
    return vault.PdValue(
        category=stored.category, value_type=ValueType(stored.value_type), value=plain,
        provenance=vault.Provenance(source=vault.Source(stored.source),
                                    purposes=stored.purposes, method=stored.method,
                                    collected_at=stored.collected_at))


def _audit_records(current: RunRecord, now: datetime, full: Sequence[str], due: _Due,
                   citation: str) -> list[AuditRecord]:
    """One entry for the shredded subjects, one per set of categories destroyed partly."""
    groups, doomed = due.groups, due.doomed
    details = {"operation": "retention_sweep", "run_id": current.id,
               "as_of": current.as_of.isoformat(), "citation": citation}
    records = []
    if full:
        cats = sorted({c for per in groups.values() for c in per})
        records.append(AuditRecord(at=now, actor=current.actor,
                                   action=AuditAction.SUBJECT_DESTROY, subject_ids=list(full),
                                   categories=cats, details={**details, "mode": "shred"}))
    by_set: dict[tuple[str, ...], list[str]] = {}
    shredded = set(full)
    for sid, cats_of in sorted(doomed.items()):
        if sid in shredded:
            continue
        by_set.setdefault(tuple(sorted(set(cats_of))), []).append(sid)
    for cats_set, ids in sorted(by_set.items()):
        records.append(AuditRecord(at=now, actor=current.actor,
                                   action=AuditAction.SUBJECT_DESTROY, subject_ids=ids,
                                   categories=list(cats_set),
                                   details={**details, "mode": "categories"}))
    return records


def summary_of(uow: UnitOfWork, run_id: str, register: Register, finished_at: datetime
               ) -> RunSummary:
    """The run's groups per (governing purpose, retention citation, method)."""
    record = uow.retention.run(run_id)
    if record is None:
        raise NotFoundError("no such retention run", field="run_id")
    members: dict[str, list[str]] = {}
    for purpose_key, subject_id, _n in uow.retention.group_members(run_id):
        members.setdefault(purpose_key, []).append(subject_id)
    built = []
    # Two purposes citing the same law stay apart: the act names each purpose
    # whose retention ended.
    store_counts = []
    for purpose_key, categories in sorted(record.groups.items()):
        if purpose_key.startswith(STORE_GROUP_PREFIX):
            store_counts.append(StoreErasure(
                store=purpose_key[len(STORE_GROUP_PREFIX):],
                rows_deleted=int(categories.get("rows_deleted", 0)),
                rows_updated=int(categories.get("rows_updated", 0))))
            continue
        purpose = register.purposes.get(purpose_key)
        retention = purpose.retention if purpose else None
        built.append(RunGroup(
            purpose=purpose_key, citation=retention.citation if retention else "",
            trigger=retention.trigger.value if retention else "",
            period=str(retention.period) if retention else "",
            method=method_of(retention), categories=tuple(sorted(categories)),
            subject_ids=tuple(members.get(purpose_key, ())),
            items=sum(categories.values())))
    return RunSummary(
        run_id=record.id, operator_id=record.operator_id, as_of=record.as_of,
        started_at=record.started_at, finished_at=finished_at, actor=record.actor,
        groups=tuple(built), subjects_shredded=record.subjects_shredded,
        subjects_partial=record.subjects_partial, values_deleted=record.values_deleted,
        items_skipped=record.subjects_skipped, stores=tuple(store_counts))


def _finish(ctx: Context, run_id: str, register: Register, *, resumed: bool,
            issue_act: bool) -> RunReport:
    """Issue the act and mark the run completed, in one transaction.

    ``acts.issue`` is idempotent per run, so a crash anywhere here is finished
    by the next call: the run is still unfinished, has no pending items, and
    is completed then.
    """
    now = ctx.now()
    with ctx.uow as uow:
        record = uow.retention.run(run_id)
        assert record is not None
        if record.state is RunState.COMPLETED:
            summary = summary_of(uow, run_id, register, record.finished_at or now)
            return RunReport(record, resumed, summary, record.act_id)
        summary = summary_of(uow, run_id, register, now)
        act_id: str | None = None
        if issue_act and summary.groups:
            act_id = acts.issue(ctx, summary, register).id
        uow.retention.complete_run(run_id, now, act_id)
        uow.commit()
        crash_point("retention.run.finished")
        done = uow.retention.run(run_id)
    return RunReport(done, resumed, summary, act_id)

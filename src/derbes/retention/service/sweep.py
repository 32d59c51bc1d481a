"""Use cases of retention: clocks moved by events, the plan, the resumable sweep.

* :func:`on_event` is called by ``lifecycle/service.record_event`` inside its
  unit of work: legal holds are stored or released, and the subject's clocks
  recomputed (:func:`update_clocks`) — one subject, never a rescan of the world.
* :func:`plan` is one indexed range query on the category clocks
  (``keep_until < as_of``) grouped by purpose and category, plus a histogram of
  the dates falling due next.
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
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from derbes.audit.model.log import AuditAction, AuditRecord
from derbes.consent.model.consent import Consent, ScopeKind
from derbes.datasets.adapters.connectors import ErasureResult, OperatorStore
from derbes.datasets.model import ErasurePlan, IdentityKind, SubjectIdentity
from derbes.deadlines.adapters.kz_calendar import calendar_for
from derbes.deadlines.model.calendar import WorkingCalendar
from derbes.errors import (
    ConfigurationError,
    ConflictError,
    CryptoError,
    DerbesError,
    InputError,
    NotFoundError,
    StoreUnavailableError,
)
from derbes.lifecycle.model import CONTRACT_EVENTS, EventType, LifecycleEvent
from derbes.platform import crypto
from derbes.platform.clock import Clock
from derbes.platform.faults import crash_point
from derbes.register.adapters.yaml import parse_register
from derbes.register.model.lint import lint as lint_register
from derbes.register.model.lint import rule
from derbes.register.model.register import (
    AchievedWhen,
    BasisKind,
    Register,
    RetentionTrigger,
    ValueType,
)
from derbes.requests.adapters.store import RequestFilter
from derbes.requests.model import RequestState
from derbes.retention.adapters.rules import load_retention_rules
from derbes.retention.model import clocks as clock_rule
from derbes.retention.model.clocks import History, PurposeClock
from derbes.retention.model.retention import (
    DEFAULT_BATCH,
    MAX_BATCH,
    STORE_GROUP_PREFIX,
    CategoryClock,
    DestructionMethod,
    RunGroup,
    RunRecord,
    RunState,
    RunSummary,
    StoreErasure,
    category_clocks,
    check_minimums,
    due_histogram,
    expired_purposes,
    method_of,
    new_hold,
)
from derbes.retention.service import acts
from derbes.uow import UnitOfWork
from derbes.vault import model as vault
from derbes.vault.ports import KeyStore, SealedValue, SubjectRecord
from derbes.vault.service import keyswap

__all__ = [
    "DEFAULT_BATCH",
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

# ------------------------------------------------------------------- helpers

_PARSED: dict[str, Register] = {}


def register_of(uow: UnitOfWork, operator_id: str) -> Register | None:
    """The register in force for ``operator_id`` (inside an open unit of work)."""
    stored = uow.registers.latest(operator_id)
    if stored is None:
        return None
    register = _PARSED.get(stored.sha256)
    if register is None:
        register = parse_register(stored.source_text,
                                  f"{operator_id}@{stored.sha256[:12]}").register
        _PARSED[stored.sha256] = register
    return register


def _require_register(uow: UnitOfWork, operator_id: str) -> Register:
    register = register_of(uow, operator_id)
    if register is None:
        raise NotFoundError(f"no register published for operator {operator_id!r}",
                            field="operator")
    check_minimums(register, load_retention_rules().minimums)
    return register


@cache
def _calendar_of_year(year: int) -> WorkingCalendar:
    return calendar_for(date(year, 7, 1))


def _calendar(day: date) -> WorkingCalendar:
    # A term of working days starting late in a year runs into the next one:
    # the calendar of a year covers the year before to two years after.
    return _calendar_of_year(day.year)


def _day(at: datetime) -> date:
    return at.date()


# ------------------------------------------------------------------ clocks

# Lifecycle events whose last date starts a clock (``History.events``).
_LAST_OF = {
    EventType.TRANSACTION: RetentionTrigger.TRANSACTION.value,
    EventType.LAST_ACTIVITY: RetentionTrigger.LAST_ACTIVITY.value,
    EventType.REQUEST_ANSWERED: AchievedWhen.REQUEST_ANSWERED.value,
}
# The relationship an event shows exists (``History.ever``).
_RELATION_OF = {
    EventType.TRANSACTION: "transaction",
    EventType.LAST_ACTIVITY: "last_activity",
    EventType.ACCOUNT_OPENED: "account",
    EventType.ACCOUNT_CLOSED: "account",
    EventType.REQUEST_ANSWERED: "request_answered",
}
_ANSWERED = (RequestState.ANSWERED, RequestState.REFUSED)


def _later(found: dict[str, date], key: str, day: date) -> None:
    found[key] = max(day, found.get(key, day))


def history_of(uow: UnitOfWork, subject_id: str, register: Register,
               values: Sequence[SealedValue]) -> History:
    """What the subject's events, consents, values and answered requests tell the clocks
    (inside an open unit of work)."""
    contracts = uow.lifecycle.contracts_for(subject_id)
    open_contracts = sum(1 for c in contracts if c.is_open)
    closed = [_day(c.closed_at) for c in contracts if c.closed_at is not None]
    opened = [_day(c.opened_at) for c in contracts if c.opened_at is not None]
    events: dict[str, date] = {}
    ever: set[str] = {"contract"} if contracts else set()
    if values:
        events[RetentionTrigger.COLLECTED.value] = max(_day(v.collected_at) for v in values)
    achieved: dict[str, date] = {}
    ended_by_event: dict[str, date] = {}
    accounts: dict[str, date] = {}
    consent_purposes = [p.id for p in register.purposes.values()
                        if p.basis.kind is BasisKind.CONSENT]
    for event in uow.lifecycle.events_for(subject_id):
        day = _day(event.occurred_at)
        relation = _RELATION_OF.get(event.type)
        if relation is not None:
            ever.add(relation)
        last = _LAST_OF.get(event.type)
        if last is not None:
            _later(events, last, day)
        elif event.type in (EventType.ACCOUNT_OPENED, EventType.ACCOUNT_CLOSED):
            _later(accounts, event.type.value, day)
        elif event.type is EventType.PURPOSE_ACHIEVED:
            _later(achieved, str(event.data.get("purpose")), day)
        elif event.type is EventType.CONSENT_WITHDRAWN:
            named = event.data.get("purposes")
            for purpose in (named if isinstance(named, list) else consent_purposes):
                _later(ended_by_event, str(purpose), day)
    for request in uow.requests.list(RequestFilter(subject_id=subject_id, states=_ANSWERED)):
        if request.closed_at is not None:
            ever.add("request_answered")
            _later(events, AchievedWhen.REQUEST_ANSWERED.value, _day(request.closed_at))
    closed_account = accounts.get(EventType.ACCOUNT_CLOSED.value)
    opened_account = accounts.get(EventType.ACCOUNT_OPENED.value)
    # An account opened again after its close has no close to count from.
    if closed_account is not None and (opened_account is None
                                       or opened_account <= closed_account):
        events[RetentionTrigger.ACCOUNT_CLOSED.value] = closed_account
    live, ended = _consent_spans(uow.consents.for_subject(subject_id), ended_by_event)
    return History(
        open_contracts=open_contracts,
        last_contract_opened=max(opened) if opened else None,
        last_contract_closed=max(closed) if closed and not open_contracts else None,
        events=events, ever=frozenset(ever), achieved=achieved,
        consent_live=frozenset(live), consent_ended=ended,
        linked=frozenset(p for v in values for p in v.purposes),
    )


def _consent_spans(given: Sequence[Consent], ended_by_event: Mapping[str, date]
                   ) -> tuple[set[str], dict[str, date]]:
    """Purposes with a consent in force, and the day the last consent to the others ended.

    A consent ends when withdrawn or expired, or on its ``valid_until`` (a date
    known in advance); a consent given after a reported withdrawal event is in
    force again.
    """
    live: set[str] = set()
    ended: dict[str, date] = {}
    last_given: dict[str, date] = {}
    for consent in given:
        if consent.scope.kind not in (ScopeKind.PROCESSING, ScopeKind.MARKETING):
            continue
        ends = [t for t in (consent.withdrawn_at, consent.expired_at, consent.valid_until)
                if t is not None]
        for purpose in consent.scope.purposes:
            _later(last_given, purpose, _day(consent.given_at))
            if ends:
                _later(ended, purpose, _day(min(ends)))
            else:
                live.add(purpose)
    for purpose, day in ended_by_event.items():
        if purpose in live and last_given.get(purpose, day) <= day:
            live.discard(purpose)
        if purpose not in live:
            _later(ended, purpose, day)
    return live, {p: d for p, d in ended.items() if p not in live}


@dataclass(frozen=True)
class SubjectClocks:
    """One subject's clocks under the register in force, from the one clock rule."""

    history: History
    purposes: Mapping[str, PurposeClock]  # the purposes the subject is in
    categories: Mapping[str, CategoryClock]  # the categories held

    def until(self, purpose_id: str) -> date | None:
        clock = self.purposes.get(purpose_id)
        return None if clock is None else clock.end_date


def clocks_of(uow: UnitOfWork, subject_id: str, register: Register) -> SubjectClocks:
    """Compute (not store) one subject's clocks, inside an open unit of work.

    Every answer that names an end date — withdrawal, access, destruction —
    asks this; :func:`update_clocks` stores the same for the sweep and the
    decision point.
    """
    values = uow.vault.values(subject_id)
    held = {v.category for v in values}
    history = history_of(uow, subject_id, register, values)
    clocks = clock_rule.purpose_clocks(register.purposes.values(), history, _calendar,
                                       held=held)
    categories = category_clocks(register, held, clocks, uow.retention.holds_for(subject_id))
    return SubjectClocks(history, {c.purpose: c for c in clocks},
                         {c.category: c for c in categories})


NewValueFacts = tuple[str, tuple[str, ...], datetime]
"""(category, purposes it was collected for, collected at) of a value just stored."""


def new_subject_clocks(
    register: Register, values: Mapping[str, Sequence[NewValueFacts]],
) -> dict[str, tuple[tuple[PurposeClock, ...], tuple[CategoryClock, ...]]]:
    """The first clocks of subjects just added (no event, consent or request yet): the
    same rule as :func:`clocks_of`, worked out in memory for a bulk ingest."""
    out: dict[str, tuple[tuple[PurposeClock, ...], tuple[CategoryClock, ...]]] = {}
    for subject_id, facts in values.items():
        held = {category for category, _, _ in facts}
        history = History(
            events={RetentionTrigger.COLLECTED.value: max(_day(at) for _, _, at in facts)}
            if facts else {},
            linked=frozenset(p for _, purposes, _ in facts for p in purposes))
        clocks = clock_rule.purpose_clocks(register.purposes.values(), history, _calendar,
                                           held=held)
        out[subject_id] = (clocks, category_clocks(register, held, clocks))
    return out


def update_clocks(
    uow: UnitOfWork, subject_id: str, now: datetime, *, register: Register | None = None,
) -> tuple[CategoryClock, ...]:
    """Recompute and store one subject's purpose and category clocks (inside an open
    unit of work). Called whenever the subject's values, events, consents, answered
    requests or holds change."""
    subject = uow.vault.get(subject_id)
    if subject is None:
        raise NotFoundError("no such subject", field="subject_id")
    register = register or register_of(uow, subject.operator_id)
    if register is None:
        return ()
    found = clocks_of(uow, subject.id, register)
    categories = tuple(found.categories.values())
    uow.retention.put_clocks(subject.id, subject.operator_id, tuple(found.purposes.values()),
                             categories, now)
    return categories


def _who(value: object, what: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > 1000:
        raise InputError(f"a legal hold release needs {what}", field=f"data.{what}")
    return text


def on_event(uow: UnitOfWork, subject: SubjectRecord, event: LifecycleEvent) -> None:
    """What a newly recorded event does to retention (inside ``record_event``'s unit of work).

    Legal holds: ``legal_hold_set`` (data: basis, set_by, kind, until,
    categories) stores a hold whose id is the event id; ``legal_hold_released``
    (data: hold_id, released_by) releases it. Then the subject's clocks move.
    """
    if (event.contract_id is not None and event.type not in CONTRACT_EVENTS
            and uow.lifecycle.contract(subject.id, event.contract_id) is None):
        raise NotFoundError("no such contract of this subject", field="contract_id")
    register = register_of(uow, subject.operator_id)
    if event.type is EventType.LEGAL_HOLD_SET:
        known = register.categories if register is not None else ()
        uow.retention.add_hold(new_hold(event.event_id, subject.id, event.data,
                                        event.occurred_at, known))
    elif event.type is EventType.LEGAL_HOLD_RELEASED:
        hold = uow.retention.hold(str(event.data.get("hold_id")))
        if hold is None or hold.subject_id != subject.id:
            raise NotFoundError("no such legal hold of this subject", field="data.hold_id")
        if not hold.active:
            raise ConflictError("this legal hold is already released", field="data.hold_id")
        uow.retention.release_hold(hold.hold_id, event.occurred_at,
                                   _who(event.data.get("released_by"), "released_by"),
                                   event.event_id)
    if register is not None:
        update_clocks(uow, subject.id, event.recorded_at, register=register)


def runs(uow: UnitOfWork, operator_id: str | None = None, *, limit: int = 50
         ) -> list[RunRecord]:
    """Runs of the sweep, the newest first."""
    with uow:
        return uow.retention.runs(operator_id, limit)


def expired_for(uow: UnitOfWork, subject_ids: Collection[str], day: date
                ) -> dict[str, frozenset[str]]:
    """Purposes whose retention is over on ``day``, per subject (decision point)."""
    clocks = uow.retention.purpose_clocks(subject_ids)
    return {sid: expired_purposes(found, day) for sid, found in clocks.items()}


# -------------------------------------------------------------------- plan


@dataclass(frozen=True)
class PlanLine:
    purpose: str | None  # the purpose whose retention ended last
    category: str
    subjects: int
    method: DestructionMethod
    citation: str | None
    period: str | None


class KeptState(StrEnum):
    """Why (subject, category) pairs have no destruction date in the plan."""

    NO_END_DATE = "no_end_date"  # the governing purpose has no retention rule (DRB001)
    UNLINKED = "unlinked"  # no purpose the subject is in needs the values
    HELD = "held"  # a legal hold without an end
    RUNNING = "running"  # the purpose's trigger has not happened (contract open…)


@dataclass(frozen=True)
class KeptLine:
    """Pairs kept with no destruction date yet, and the reason (with its lint finding)."""

    purpose: str | None
    category: str
    subjects: int
    state: KeptState
    waits_for: str | None  # RUNNING: the event the clock waits for
    finding: str | None  # NO_END_DATE / UNLINKED: the rule or finding behind it


@dataclass(frozen=True)
class RetentionPlan:
    operator_id: str
    as_of: date
    lines: tuple[PlanLine, ...]
    subjects: int  # distinct subjects with something due
    histogram: tuple[tuple[date, int], ...]  # (month, pairs falling due in it)
    unfinished_run: str | None = None  # a killed run that `run` would resume first
    kept: tuple[KeptLine, ...] = ()  # pairs with no destruction date, and why

    @property
    def kept_with_no_end_date(self) -> int:
        return sum(k.subjects for k in self.kept
                   if k.state in (KeptState.NO_END_DATE, KeptState.UNLINKED))

    @property
    def pairs(self) -> int:
        return sum(line.subjects for line in self.lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "operator_id": self.operator_id, "as_of": self.as_of.isoformat(),
            "subjects": self.subjects, "pairs": self.pairs,
            "unfinished_run": self.unfinished_run,
            "lines": [{"purpose": x.purpose, "category": x.category, "subjects": x.subjects,
                       "method": x.method.value, "citation": x.citation, "period": x.period}
                      for x in self.lines],
            "histogram": [{"month": m.isoformat()[:7], "pairs": n} for m, n in self.histogram],
            "kept_with_no_end_date": self.kept_with_no_end_date,
            "kept": [{"purpose": k.purpose, "category": k.category, "subjects": k.subjects,
                      "state": k.state.value, "waits_for": k.waits_for,
                      "finding": k.finding} for k in self.kept],
        }


def plan(uow: UnitOfWork, operator_id: str, as_of: date, *, months: int = 12) -> RetentionPlan:
    """What is due on ``as_of`` (per purpose and category), what falls due next, and what
    is kept with no end date and why.

    A rehearsal: the stored clocks are a pure function of the events, so the plan for
    a future ``as_of`` counts exactly what :func:`run` on that day would destroy if no
    new event arrives meanwhile (``run`` itself refuses a future date).
    """
    if months < 1 or months > 120:
        raise InputError("months must be 1 to 120", field="months")
    with uow:
        register = _require_register(uow, operator_id)
        open_rows = uow.retention.open_counts(operator_id)
        counts = uow.retention.due_counts(operator_id, as_of)
        subjects = uow.retention.due_subjects(operator_id, as_of)
        horizon = _month_start(as_of, months)
        upcoming = uow.retention.upcoming(operator_id, as_of, horizon)
        unfinished = uow.retention.unfinished_run(operator_id)
    lines = []
    for purpose_id, category, n in counts:
        purpose = register.purposes.get(purpose_id) if purpose_id else None
        retention = purpose.retention if purpose else None
        lines.append(PlanLine(purpose_id, category, n, method_of(retention),
                              retention.citation if retention else None,
                              str(retention.period) if retention else None))
    histogram = due_histogram(((keep + timedelta(days=1), n) for keep, n in upcoming),
                              as_of, months)
    return RetentionPlan(operator_id, as_of, tuple(lines), subjects, tuple(histogram),
                         unfinished.id if unfinished else None,
                         _kept_lines(register, open_rows))


def _kept_lines(register: Register, rows: Sequence[tuple[str | None, str, bool, int]]
                ) -> tuple[KeptLine, ...]:
    """Never silently "nothing due": what has no end date says why, with the finding."""
    findings = {f.path: f for f in lint_register(register)}
    out: list[KeptLine] = []
    for purpose_id, category, held, n in rows:
        purpose = register.purposes.get(purpose_id) if purpose_id else None
        if held:
            out.append(KeptLine(purpose_id, category, n, KeptState.HELD, None, None))
        elif purpose is None:
            out.append(KeptLine(None, category, n, KeptState.UNLINKED, None,
                                load_retention_rules().unlinked))
        elif purpose.retention is None:
            found = findings.get(f"{register.purpose_path(purpose.id)}.retention")
            text = None
            if found is not None:
                text = f"{found.code} {rule(found.code).name}: {found.message}"
                if found.waived_by is not None:
                    text += (f" (waived, clause {found.waived_by.clause}: "
                             f"{found.waived_by.reason})")
            out.append(KeptLine(purpose.id, category, n, KeptState.NO_END_DATE, None, text))
        else:
            retention = purpose.retention
            waits = (retention.achieved_when.value if retention.achieved_when
                     else retention.trigger.value)
            out.append(KeptLine(purpose.id, category, n, KeptState.RUNNING, waits, None))
    order = {KeptState.NO_END_DATE: 0, KeptState.UNLINKED: 1, KeptState.HELD: 2,
             KeptState.RUNNING: 3}
    return tuple(sorted(out, key=lambda k: (order[k.state], k.purpose or "", k.category)))


def _month_start(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)


# ------------------------------------------------------------------ stores

StoreOpener = Callable[[str, Register], Sequence[OperatorStore]]
"""The operator's connected databases (``requests/service.stores_from_dir`` makes one)."""


def _no_stores(operator_id: str, register: Register) -> Sequence[OperatorStore]:
    return ()


@contextmanager
def _opened(opener: StoreOpener, operator_id: str, register: Register
            ) -> Iterator[Sequence[OperatorStore]]:
    with ExitStack() as stack:
        stores = opener(operator_id, register)
        for store in stores:
            close = getattr(store, "close", None)
            if callable(close):
                stack.callback(close)
        yield stores


# Vault categories that name the subject in the operator's databases, and the
# order in which a store's identity columns are tried.
_IDENTITY_CATEGORIES = {"identity.iin": IdentityKind.IIN,
                        vault.CUSTOMER_ID_CATEGORY: IdentityKind.CUSTOMER_ID,
                        "contact.phone": IdentityKind.PHONE}
_IDENTITY_ORDER = (IdentityKind.IIN, IdentityKind.CUSTOMER_ID, IdentityKind.PHONE)
SWEEP_PURPOSE = "retention_destruction"


def _identities(uow: UnitOfWork, keystore: KeyStore, current: RunRecord, now: datetime,
                subject_ids: Sequence[str]) -> dict[str, dict[IdentityKind, str]]:
    """The batch's identity values, decrypted with the subjects' keys; the read is audited
    (before the key store destroys the keys: afterwards nobody can read them)."""
    keys = keystore.candidate_keys(subject_ids)
    found: dict[str, dict[IdentityKind, str]] = {}
    read_categories: set[str] = set()
    for stored in uow.retention.values_of(subject_ids):
        kind = _IDENTITY_CATEGORIES.get(stored.category)
        candidates = keys.get(stored.subject_id)
        if kind is None or not candidates:
            continue
        plain = _open_any(stored, candidates)
        if isinstance(plain, str) and plain.strip():
            found.setdefault(stored.subject_id, {}).setdefault(kind, plain.strip())
            read_categories.add(stored.category)
    if found:
        uow.audit.record(AuditRecord(
            at=now, actor=current.actor, action=AuditAction.SUBJECT_READ,
            subject_ids=sorted(found), categories=sorted(read_categories),
            purpose=SWEEP_PURPOSE,
            details={"operation": "retention_sweep.identities", "run_id": current.id,
                     "as_of": current.as_of.isoformat(),
                     "citation": load_retention_rules().destruction}))
    return found


def _store_identity(store: OperatorStore, known: Mapping[IdentityKind, str]
                    ) -> SubjectIdentity | None:
    tables = store.dataset.tables.values()
    for kind in _IDENTITY_ORDER:
        if kind in known and any(t.identity_columns(kind) for t in tables):
            return SubjectIdentity(kind, known[kind])
    return None


def _apply_all(store: OperatorStore, plans: Sequence[ErasurePlan]) -> ErasureResult:
    """The batch's plans for one store in one transaction where the store can."""
    apply_many = getattr(store, "apply_erasures", None)
    if callable(apply_many):
        result: ErasureResult = apply_many(plans)
        return result
    deleted: dict[str, int] = {}
    updated: dict[str, int] = {}
    for plan in plans:
        one = store.apply_erasure(plan)
        for table, n in one.deleted.items():
            deleted[table] = deleted.get(table, 0) + n
        for table, n in one.updated.items():
            updated[table] = updated.get(table, 0) + n
    return ErasureResult(store=store.dataset.store.id, deleted=deleted, updated=updated)


def _erase_in_stores(uow: UnitOfWork, keystore: KeyStore, stores: Sequence[OperatorStore],
                     current: RunRecord, now: datetime, full: Collection[str],
                     doomed: Mapping[str, Sequence[str]]) -> dict[str, dict[str, int]]:
    """Apply the dataset strategies of every store to the batch's due subjects.

    A subject every one of whose categories is due loses what no purpose still
    running or retained needs; a subject with some categories due loses those
    only. A store that fails raises (its transaction rolled back): the caller's
    batch is not marked done, and the re-run plans it again — erasing erased
    rows changes nothing.
    """
    subjects = sorted(doomed)
    if not stores or not subjects:
        return {}
    known = _identities(uow, keystore, current, now, subjects)
    clocks = uow.retention.purpose_clocks(subjects)
    keep = {sid: sorted({c.purpose for c in clocks.get(sid, ())
                         if not c.expired_on(current.as_of)}) for sid in subjects}
    counts: dict[str, dict[str, int]] = {}
    for store in stores:
        plans: list[ErasurePlan] = []
        for sid in subjects:
            identity = _store_identity(store, known.get(sid, {}))
            if identity is None:
                continue
            categories: list[str] | None = None
            if sid not in full:
                categories = sorted(set(doomed[sid]) & set(store.dataset.categories))
                if not categories:
                    continue
            plan = store.plan_erasure(identity, categories, keep[sid])
            if plan.changes:
                plans.append(plan)
        if not plans:
            continue
        store_id = plans[0].store
        uow.audit.record(AuditRecord(
            at=now, actor=current.actor, action=AuditAction.SUBJECT_DESTROY,
            subject_ids=sorted({s for p in plans for s in p.subjects}),
            categories=sorted({c for p in plans for c in p.erased_categories(store.dataset)}),
            details={"operation": "retention_sweep.dataset_erase", "run_id": current.id,
                     "store": store_id, "as_of": current.as_of.isoformat(),
                     "citation": load_retention_rules().destruction}))
        result = _apply_all(store, plans)
        counts[STORE_GROUP_PREFIX + store_id] = {"rows_deleted": result.rows_deleted,
                                                 "rows_updated": result.rows_updated}
    return counts


def _store_failed(uow: UnitOfWork, current: RunRecord, clock: Clock, exc: DerbesError
                  ) -> None:
    """Record why the run stays unfinished (the batch was rolled back)."""
    store = getattr(exc, "store", None)
    with uow:
        uow.audit.record(AuditRecord(
            at=clock.now(), actor=current.actor, action=AuditAction.SUBJECT_READ,
            details={"operation": "retention_sweep.store_failed", "run_id": current.id,
                     "store": store if isinstance(store, str) else None,
                     "reason": exc.message, "state": "unfinished"}))
        uow.commit()
    log.error("retention run %s stays unfinished: store %s failed (%s); run it again",
              current.id, store, type(exc).__name__)


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
    uow: UnitOfWork,
    keystore: KeyStore,
    operator_id: str,
    as_of: date,
    clock: Clock,
    *,
    actor: str = SYSTEM_ACTOR,
    batch_size: int = DEFAULT_BATCH,
    on_progress: Callable[[Progress], None] | None = None,
    issue_act: bool = True,
    stores: StoreOpener = _no_stores,
) -> RunReport:
    """Destroy what is due on ``as_of``, in batches; resume an unfinished run first.

    If the operator has an unfinished (killed) run, that run is finished — on
    its own as-of date — and reported with ``resumed=True``; call again for a
    new run. A run whose as-of date finds nothing due creates nothing. After
    the last batch the destruction act is issued (``retention/service/acts.issue``) in
    the transaction that marks the run completed.

    ``stores``: the operator's connected databases; each batch applies their
    dataset strategies (one transaction per store) before the key store
    destroys the batch's keys. A store that fails leaves the batch undone and
    the run unfinished (the reason is in the audit log) and raises
    :class:`~derbes.errors.StoreUnavailableError`; running again resumes.
    """
    if not 1 <= batch_size <= MAX_BATCH:
        raise InputError(f"batch size must be 1 to {MAX_BATCH}", field="batch_size")
    if as_of > clock.now().date():
        # A sweep dated ahead would destroy what the law still keeps today.
        raise InputError("a run cannot be dated in the future (plan can)", field="as_of")
    # Key swaps a killed run (or a partial destruction) left unfinished.
    keyswap.settle(uow, keystore, clock)
    with uow:
        register = _require_register(uow, operator_id)
        current = uow.retention.unfinished_run(operator_id)
        resumed = current is not None
        if current is None:
            if uow.retention.due_subjects(operator_id, as_of) == 0:
                return RunReport(None)
            current = RunRecord(id=str(uuid.uuid4()), operator_id=operator_id, as_of=as_of,
                                state=RunState.RUNNING, actor=actor, batch_size=batch_size,
                                started_at=clock.now())
            uow.retention.start_run(current)
            uow.commit()
            crash_point("retention.run.started")
        found = uow.retention.run(current.id)
        assert found is not None
        current = found
    if current.state is RunState.RUNNING:
        done = current.subjects_done
        try:
            with _opened(stores, operator_id, register) as opened:
                while (count := _batch(uow, keystore, current, clock,
                                       current.batch_size if resumed else batch_size,
                                       opened)):
                    done += count
                    if on_progress is not None:
                        on_progress(Progress(current.id, done, current.subjects_total))
        except (StoreUnavailableError, ConfigurationError) as exc:
            _store_failed(uow, current, clock, exc)
            raise
    return _finish(uow, keystore, current.id, register, clock, resumed=resumed,
                   issue_act=issue_act)


def _batch(uow: UnitOfWork, keystore: KeyStore, current: RunRecord, clock: Clock,
           size: int, stores: Sequence[OperatorStore] = ()) -> int:
    """One batch in one data transaction; the number of subjects it settled (0: none left).

    Commit boundaries, in order (each a crash point): the operator stores'
    own transactions; the key store destroying the fully due subjects' keys;
    the key store preparing the partly due subjects' key swap; the data
    transaction (rows deleted, kept values re-sealed, swap journaled, items
    settled, audited); the key store finishing the swap.
    """
    now = clock.now()
    swap_id: str | None = None
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
            done: dict[str, dict[str, int]] = {}
            groups: dict[str, dict[str, int]] = {}
            doomed: dict[str, list[str]] = {}
            for sid, category, purpose in rows:
                per = done.setdefault(sid, {})
                per[purpose] = per.get(purpose, 0) + 1
                cats = groups.setdefault(purpose, {})
                cats[category] = cats.get(category, 0) + 1
                doomed.setdefault(sid, []).append(category)
            full = [s for s in ids if s in done and s not in partial]
            shredded = set(full)
            skipped = [s for s in ids if s not in done]
            # Connected databases before the keys go: their identity values are
            # read from the vault, which is impossible once the keys are destroyed.
            store_counts = _erase_in_stores(uow, keystore, stores, current, now, shredded,
                                            doomed)
            if stores:
                crash_point("retention.batch.stores_erased")
            # Key store first (see the module docstring).
            if full:
                keystore.destroy(full)
                crash_point("retention.batch.keys_destroyed")
            keys: dict[str, tuple[bytes, bytes]] = {}
            if partial:
                # Kept values of these subjects are re-sealed below: no update
                # of theirs may slip in between (see keyswap.sealing_key).
                uow.retention.lock_subjects(sorted(partial))
                swap_id = str(uuid.uuid4())
                keys = keystore.prepare_swaps(sorted(partial), swap_id)
                crash_point("retention.batch.swap_prepared")
                uow.key_swaps.commit(swap_id, len(keys), now)
            values_deleted = uow.retention.shred(full, now) if full else 0
            if partial:
                values_deleted += _shred_partly(uow, keystore, sorted(partial), doomed, keys)
                keyswap.reseal_evidence(uow, keys, now)
            # Clocks of categories no longer held (destroyed through the vault
            # meanwhile) are only forgotten.
            uow.retention.drop_due_clocks([s for s in ids if s not in shredded],
                                          current.as_of)
            uow.retention.settle_items(current.id, planned, done, full, skipped)
            uow.retention.add_progress(current.id, shredded=len(full), partial=len(partial),
                                       skipped=len(skipped), values_deleted=values_deleted,
                                       groups={**groups, **store_counts})
            uow.audit.record_many(_audit_records(current, now, full, groups, doomed))
            uow.commit()
    except Exception:
        if swap_id is not None:  # the data transaction rolled back: drop the new keys
            keyswap.abort(uow, keystore, clock, swap_id)
        raise
    crash_point("retention.batch.data_committed")
    if swap_id is not None:
        keyswap.finish(uow, keystore, swap_id, "retention.batch.swap_committed")
    return len(ids)


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
        plain = _open_any(stored, (old, new)) if needs_plain and old else _UNOPENED
        if is_doomed:
            if plain is not _UNOPENED:
                pair = vault.lookup_of(_as_pd(stored, plain))
                if pair is not None:
                    kind, normalised = pair
                    lookups.append((stored.subject_id, kind.value,
                                    crypto.blind_index(index_key, kind.value, normalised)))
                if isinstance(plain, dict) and isinstance(plain.get("token"), str):
                    cards.append((stored.subject_id, str(plain["token"])))
            continue
        if plain is _UNOPENED:
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


class _Unopened:
    pass


_UNOPENED: Any = _Unopened()
_INDEXED_TYPES = frozenset({ValueType.IIN.value, ValueType.PHONE.value, ValueType.EMAIL.value,
                            ValueType.CARD_TOKEN.value})


def _may_index(stored: SealedValue) -> bool:
    """Does destroying this value need its plaintext (a look-up or card token to drop)?"""
    return stored.category == vault.CUSTOMER_ID_CATEGORY or stored.value_type in _INDEXED_TYPES


def _open_any(stored: SealedValue, keys: Iterable[bytes]) -> Any:
    aad = crypto.value_aad(stored.subject_id, stored.category, stored.seq)
    for key in keys:
        try:
            return vault.decode_plain(crypto.open_sealed(key, stored.sealed, aad))
        except CryptoError:
            continue
    return _UNOPENED


def _as_pd(stored: SealedValue, plain: vault.JsonValue) -> vault.PdValue:
    return vault.PdValue(
        category=stored.category, value_type=ValueType(stored.value_type), value=plain,
        provenance=vault.Provenance(source=vault.Source(stored.source),
                                    purposes=stored.purposes, method=stored.method,
                                    collected_at=stored.collected_at))


def _audit_records(current: RunRecord, now: datetime, full: Sequence[str],
                   groups: dict[str, dict[str, int]], doomed: dict[str, list[str]]
                   ) -> list[AuditRecord]:
    """One entry for the shredded subjects, one per set of categories destroyed partly."""
    citation = load_retention_rules().destruction
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


def _finish(uow: UnitOfWork, keystore: KeyStore, run_id: str, register: Register,
            clock: Clock, *, resumed: bool, issue_act: bool) -> RunReport:
    """Issue the act and mark the run completed, in one transaction.

    ``acts.issue`` is idempotent per run, so a crash anywhere here is finished
    by the next call: the run is still unfinished, has no pending items, and
    is completed then.
    """
    now = clock.now()
    with uow:
        record = uow.retention.run(run_id)
        assert record is not None
        if record.state is RunState.COMPLETED:
            summary = summary_of(uow, run_id, register, record.finished_at or now)
            return RunReport(record, resumed, summary, record.act_id)
        summary = summary_of(uow, run_id, register, now)
        act_id: str | None = None
        if issue_act and summary.groups:
            act_id = acts.issue(uow, summary, register, clock, keystore=keystore).id
        uow.retention.complete_run(run_id, now, act_id)
        uow.commit()
        crash_point("retention.run.finished")
        done = uow.retention.run(run_id)
    return RunReport(done, resumed, summary, act_id)

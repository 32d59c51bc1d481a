"""The decision point as a use case: load subject states in batch, decide, cache.

    point = DecisionPoint(container.reader, container.clock, container.rules.decisions)
    decisions = point.decide("example-pay", [Action(ActionKind.USE, sid, "newsletters",
                                                    None, ("contact.email",))])

A :class:`DecisionPoint` keeps, per operator and language, the register in
force compiled into a :class:`~derbes.decisions.model.DecisionIndex` (rebuilt
when a new version is published), and a cache of subject states, so a
high-throughput caller pays one database round trip per batch of subjects it
has not seen yet. Every ``ttl`` seconds it polls the change feed (consent
ledger, vault audit entries, lifecycle events) and drops the states of the
subjects named there: a withdrawal, block or destruction is honoured within
``ttl`` (default two seconds). A state also leaves the cache when one of its
consents runs out, and after ``max_age`` in any case. ``ttl=0`` caches
nothing (the CLI; the transfer log reads inside its own transaction).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from derbes.decisions.model import (
    Action,
    Decision,
    DecisionIndex,
    DecisionRules,
    SubjectFacts,
    SubjectState,
    decide_many,
    state_of,
    unverified_subject,
)
from derbes.decisions.ports import ChangeCursor, DestroyEvent, FactRows
from derbes.errors import InputError, NotFoundError
from derbes.platform.clock import Clock
from derbes.platform.labels import Lang
from derbes.retention.model.retention import PurposeClock, expired_purposes
from derbes.uow import UnitOfWork

__all__ = [
    "MAX_BATCH",
    "CacheLimits",
    "DecisionPoint",
    "MinorCheck",
    "states_from_rows",
]

log = logging.getLogger(__name__)

MAX_BATCH = 10_000  # actions in one call of the batch API

MinorCheck = Callable[[str, Sequence[str]], Collection[str]]
"""(operator, subject ids) -> the ids of those under the age of majority now."""


@dataclass
class _Destroyed:
    """Destroyed categories seen so far in the audit log, by subject."""

    after_seq: int = 0
    by_subject: dict[str, dict[str, datetime]] | None = None

    def merge(self, events: Iterable[DestroyEvent]) -> None:
        if self.by_subject is None:
            self.by_subject = {}
        for event in events:
            for subject_id in event.subject_ids:
                held = self.by_subject.setdefault(subject_id, {})
                for category in event.categories:
                    held[category] = event.at
            self.after_seq = max(self.after_seq, event.seq)


def states_from_rows(
    uow: UnitOfWork,
    rows: FactRows,
    destroyed: Mapping[str, Mapping[str, datetime]],
    subject_ids: Iterable[str],
    now: datetime,
    minors: Collection[str] = (),
) -> dict[str, SubjectState]:
    """Reduce a batch's fact rows to states; call inside the unit of work that loaded them."""
    # A category destroyed and collected again since is live again.
    since = {(s, c): at for s in rows.subjects for c, at in destroyed.get(s, {}).items()}
    recollected = uow.decision_facts.collected_after(since) if since else set()
    # Purposes past their retention end are denied before the sweep has run.
    today = now.date()
    expired = {sid: expired_purposes((PurposeClock(p, None, None, end) for p, end in clocks),
                                     today)
               for sid, clocks in rows.clocks.items()}
    states: dict[str, SubjectState] = {}
    for subject_id in subject_ids:
        known = rows.subjects.get(subject_id)
        if known is None:
            continue
        why = rows.unverified.get(subject_id)
        if why is not None:
            # Order 179/НҚ: PD protected against unauthorised change. A row changed
            # behind derbes's back must not turn a refusal into a permission.
            log.warning("subject %s: stored state not trusted (%s); every action denied",
                        subject_id, why)
            states[subject_id] = unverified_subject(subject_id)
            continue
        blocked, gone = known
        facts = SubjectFacts(
            subject_id=subject_id,
            destroyed=gone,
            blocked=blocked,
            blocked_categories=frozenset(rows.blocked_categories.get(subject_id, ())),
            destroyed_categories=frozenset(
                c for c in destroyed.get(subject_id, {}) if (subject_id, c) not in recollected),
            retention_expired=expired.get(subject_id, frozenset()),
            minor=subject_id in minors,
            open_contract=subject_id in rows.open_contracts,
            consents=rows.consents.get(subject_id, ()),
        )
        states[subject_id] = state_of(facts, now)
    return states


@dataclass(frozen=True)
class CacheLimits:
    """How many subject states the cache holds, and how long one may stay (seconds)."""

    max_states: int = 500_000
    max_age: float = 300.0


class DecisionPoint:
    """In-process decisions for high-throughput callers (thread-safe).

    ``uow`` makes the (read-only) units of work it loads with; ``rules`` words the
    reasons (``Rules.decisions``, read once by bootstrap).
    """

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        rules: DecisionRules,
        *,
        ttl: float = 2.0,
        minors: MinorCheck | None = None,
        limits: CacheLimits = CacheLimits(),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ttl = ttl
        self._max_age = limits.max_age
        self._rules = rules
        self._minors = minors
        self._max_states = limits.max_states
        self._lock = threading.Lock()
        # operator -> (checked at, sha256); (operator, sha256, lang) -> index
        self._versions: dict[str, tuple[float, str]] = {}
        self._indexes: dict[tuple[str, str, Lang], DecisionIndex] = {}
        # (operator, subject) -> (leaves the cache at, state)
        self._states: dict[tuple[str, str], tuple[float, SubjectState]] = {}
        self._destroyed = _Destroyed()
        self._cursor: ChangeCursor | None = None
        self._polled_at = 0.0

    # ------------------------------------------------------------ register

    def index(self, operator_id: str, lang: Lang = Lang.EN) -> DecisionIndex:
        """The register in force for ``operator_id``, compiled (checked every ``ttl``)."""
        now = time.monotonic()
        seen = self._versions.get(operator_id)
        if seen is not None and now - seen[0] < self._ttl:
            found = self._indexes.get((operator_id, seen[1], lang))
            if found is not None:
                return found
        with self._uow() as uow:
            stored = uow.registers.latest(operator_id)
        if stored is None:
            raise NotFoundError(f"no register published for operator {operator_id!r}",
                                field="operator")
        key = (operator_id, stored.sha256, lang)
        index = self._indexes.get(key)
        if index is None:
            register = uow.registers.parsed(stored).register
            index = DecisionIndex.build(register, self._rules, lang)
            with self._lock:
                self._indexes[key] = index
        with self._lock:
            self._versions[operator_id] = (now, stored.sha256)
        return index

    # ------------------------------------------------------------ states

    def states(self, operator_id: str, subject_ids: Iterable[str]) -> dict[str, SubjectState]:
        """States of the subjects (unknown ones absent): cached, or loaded in one batch."""
        ttl = self._ttl
        if ttl <= 0:
            wanted = list(dict.fromkeys(subject_ids))
            return self._load(operator_id, wanted)[0]
        now = time.monotonic()
        if now - self._polled_at >= ttl:
            self._poll(now)
        cache = self._states
        out: dict[str, SubjectState] = {}
        missing: list[str] = []
        for subject_id in subject_ids:
            if subject_id in out:
                continue
            hit = cache.get((operator_id, subject_id))
            if hit is not None and now < hit[0]:
                out[subject_id] = hit[1]
            else:
                missing.append(subject_id)
        if missing:
            loaded, ends = self._load(operator_id, list(dict.fromkeys(missing)))
            out.update(loaded)
            with self._lock:
                if len(cache) + len(loaded) > self._max_states:
                    cache.clear()
                default_end = now + self._max_age
                for subject_id, state in loaded.items():
                    end = ends.get(subject_id)
                    cache[(operator_id, subject_id)] = (
                        default_end if end is None else min(default_end, now + end), state)
        return out

    def refresh(self) -> None:
        """Read the change feed now (it is read every ``ttl`` seconds anyway)."""
        self._poll(time.monotonic())

    def _poll(self, now: float) -> None:
        """Drop the states the change feed names (all of them when it cannot tell)."""
        with self._uow() as uow:
            if self._cursor is None:
                cursor, changed = uow.decision_facts.cursor(), None
            else:
                changed, cursor = uow.decision_facts.changes(self._cursor)
        with self._lock:
            self._cursor = cursor
            self._polled_at = now
            if changed is None:
                self._states.clear()
            elif changed:
                for key in [k for k in self._states if k[1] in changed]:
                    del self._states[key]

    def _load(
        self, operator_id: str, subject_ids: list[str]
    ) -> tuple[dict[str, SubjectState], dict[str, float]]:
        """States, and for those with a consent running out, seconds until it does."""
        at = self._clock.now()
        with self._lock:
            after = self._destroyed.after_seq if self._destroyed.by_subject is not None else 0
        with self._uow() as uow:
            rows = uow.decision_facts.load(operator_id, subject_ids, destroyed_after_seq=after)
            with self._lock:
                self._destroyed.merge(rows.destroy_events)
                known = self._destroyed.by_subject or {}
                destroyed = {s: dict(known[s]) for s in rows.subjects if s in known}
            minors: Collection[str] = ()
            if self._minors is not None and rows.consents:
                minors = set(self._minors(operator_id, list(rows.consents)))
            states = states_from_rows(uow, rows, destroyed, subject_ids, at, minors)
        ends: dict[str, float] = {}
        for subject_id, facts in rows.consents.items():
            future = [f.valid_until for f in facts
                      if f.valid_until is not None and f.valid_until > at]
            if future:
                ends[subject_id] = (min(future) - at).total_seconds()
        return states, ends

    def forget(self, subject_ids: Iterable[str] | None = None) -> None:
        """Drop cached states (all, or of these subjects): the next decision reloads them."""
        with self._lock:
            if subject_ids is None:
                self._states.clear()
                return
            doomed = set(subject_ids)
            for key in [k for k in self._states if k[1] in doomed]:
                del self._states[key]

    # ------------------------------------------------------------ deciding

    def decide(
        self, operator_id: str, actions: Sequence[Action], lang: Lang = Lang.EN
    ) -> list[Decision]:
        """One decision per action, in order. An invalid action fails the whole batch
        with an :class:`InputError` naming it (``actions[3].purpose``)."""
        if len(actions) > MAX_BATCH:
            raise InputError(f"at most {MAX_BATCH} actions in one batch", field="actions")
        index = self.index(operator_id, lang)
        states = self.states(operator_id, (a.subject_id for a in actions))
        return decide_many(index, states, actions)

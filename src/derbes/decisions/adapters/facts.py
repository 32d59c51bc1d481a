"""What the decision point reads about subjects: a read model over vault, consents, audit.

:meth:`DecisionFactsRepository.load` answers for a whole batch of subjects in
one query on SQL databases (a ``UNION ALL`` of the subjects' rows, their
active category blocks, their consents, and destructions recorded since the
caller last looked), so a batch of 10,000 decisions costs one round trip. The
ids travel as one parameter (a PostgreSQL array, a JSON text on SQLite), not
as thousands of bound values.

Destroyed categories are not kept in a table of their own: the vault deletes
their rows and records the destruction in the access audit log, in the same
transaction. The log is the record read here (action ``subject.destroy``),
incrementally by sequence number, so a long-lived caller reads each
destruction once. A category collected again after its destruction is live
again: :meth:`~DecisionFactsRepository.collected_after` tells.

:meth:`~DecisionFactsRepository.changes` is the change feed a long-lived
cache of states polls: the subjects named by consent-ledger entries (every
consent given, withdrawn, expired or marked for re-consent), by audit entries
that change the vault (writes, blocks, destructions) and by lifecycle events
recorded since a cursor.

Every subject's rows are checked against its state seal
(``integrity/model/state_seal.py``) as they are read: a subject whose rows were
changed outside derbes (a consent inserted, ``withdrawn_at`` cleared, a block
deleted, an old row restored) or was never sealed is listed in
:attr:`FactRows.unverified`, and the decision point denies every action on
it.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    String,
    cast,
    func,
    literal,
    null,
    select,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Connection

from derbes.audit.adapters.store import entry_from_row
from derbes.audit.model.log import AuditAction, AuditEntry
from derbes.audit.ports import AuditRepository
from derbes.consent.adapters.store import ConsentLedgerRepository, ConsentRepository
from derbes.consent.model.consent import GivenBy
from derbes.decisions.model import ConsentTimes, consent_fact
from derbes.decisions.ports import (
    ChangeCursor,
    DecisionFactsRepository,
    DestroyEvent,
    FactRows,
)
from derbes.integrity.adapters.seals import (
    SealKeySource,
    SnapshotRows,
    among_ids,
    ids_params,
    snapshot_selects,
)
from derbes.integrity.model.state_seal import SealedConsent, matches
from derbes.integrity.ports import SealRepository
from derbes.lifecycle.adapters.store import LifecycleRepository
from derbes.platform.chain import link
from derbes.platform.tables import (
    UtcDateTime,
    audit_log,
    consent_ledger,
    lifecycle_events,
    pd_values,
)
from derbes.retention.ports import RetentionRepository
from derbes.vault.ports import VaultRepository

__all__ = [
    "ChangeCursor",
    "DecisionFactsRepository",
    "DestroyEvent",
    "FactRows",
    "FactSources",
    "FakeDecisionFactsRepository",
    "SqlDecisionFactsRepository",
    "facts_of",
    "snapshot_rows",
]

_DESTROY = AuditAction.SUBJECT_DESTROY.value
_WRITE = AuditAction.SUBJECT_WRITE.value
_REPRESENTATIVE = GivenBy.REPRESENTATIVE.value
# How far back lifecycle events are re-read: a transaction that stamped its
# recording time before another one committed may commit after it.
EVENTS_OVERLAP = timedelta(seconds=30)
# Audit actions after which a subject's state may differ.
_CHANGING = (AuditAction.SUBJECT_WRITE.value, AuditAction.SUBJECT_BLOCK.value, _DESTROY)


def _strings(text: Any) -> tuple[str, ...]:
    if text is None:
        return ()
    if isinstance(text, str):
        return _parsed(text)
    return tuple(str(v) for v in text) if isinstance(text, list) else ()


@lru_cache(maxsize=8192)
def _parsed(text: str) -> tuple[str, ...]:
    # The same few lists of purposes and recipients recur across thousands of
    # consents: parse each text once.
    value = json.loads(text)
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def facts_of(state: SnapshotRows, seals: Mapping[str, str], destroy_events: list[DestroyEvent],
             key: bytes) -> FactRows:
    """Fact rows from the rows read, each subject checked against its seal."""
    rows = FactRows()
    for subject_id, (_operator, blocked_at, destroyed_at) in state.subjects.items():
        found = state.snapshot(subject_id)
        stored = seals.get(subject_id)
        if found is None or not matches(key, found, stored):
            rows.unverified[subject_id] = (
                "never sealed" if not stored else "its rows do not match their seal")
        rows.subjects[subject_id] = (blocked_at is not None, destroyed_at is not None)
    for subject_id, categories in state.blocks.items():
        rows.blocked_categories[subject_id] = set(categories)
    rows.open_contracts.update(state.contracts)
    for subject_id, held in state.consents.items():
        rows.consents[subject_id] = [
            consent_fact(c.id, c.scope, c.purposes, c.recipients,
                         ConsentTimes(c.given_at, c.valid_until, c.expired_at, c.withdrawn_at,
                                      c.needs_reconsent_since),
                         by_representative=c.given_by == _REPRESENTATIVE)
            for c in held]
    rows.clocks = state.clocks
    destroy_events.sort(key=lambda e: e.seq)
    rows.destroy_events = destroy_events
    return rows


# ------------------------------------------------------------------ SQL


def _written(audit_key: bytes, entries: Iterable[AuditEntry],
             pairs: Mapping[tuple[str, str], datetime]) -> set[tuple[str, str]]:
    """The pairs some authentic ``subject.write`` entry wrote at or after their time."""
    out: set[tuple[str, str]] = set()
    for entry in entries:
        if entry.action != _WRITE or not hmac.compare_digest(
                entry.hash, link(audit_key, entry.seq, entry.prev_hash, entry.payload())):
            continue
        for sid in entry.subject_ids:
            for category in entry.categories:
                at = pairs.get((sid, category))
                if at is not None and entry.at >= at:
                    out.add((sid, category))
    return out


class SqlDecisionFactsRepository:
    def __init__(self, connection: Connection, seal_key: SealKeySource | None = None
                 ) -> None:
        self._connection = connection
        self._postgres = connection.dialect.name == "postgresql"
        self._seal_key = seal_key or SealKeySource(None)

    def load(
        self, operator_id: str, subject_ids: Collection[str], *, destroyed_after_seq: int = 0
    ) -> FactRows:
        ids = list(dict.fromkeys(subject_ids))
        key = self._seal_key()  # before the query: no key, no answer
        t = type_coerce(null(), UtcDateTime())
        among = among_ids(self._postgres)
        # Columns: kind, subject, a, b, c, d, t1..t5 — one shape for every row kind:
        # the sealed state with the stored seals (snapshot_selects), destructions.
        q_destroyed = select(
            literal("d"), null(), cast(audit_log.c.seq, String()),
            audit_log.c.subject_ids, audit_log.c.categories, null(), audit_log.c.at,
            t, t, t, t,
        ).where(audit_log.c.action == _DESTROY, audit_log.c.seq > destroyed_after_seq)
        query = union_all(*snapshot_selects(among, postgres=self._postgres,
                                            operator_id=operator_id), q_destroyed)
        state = SnapshotRows()
        destroy_events: list[DestroyEvent] = []
        for row in self._connection.execute(query, ids_params(self._postgres, ids)):
            if not state.add(row):
                destroy_events.append(DestroyEvent(
                    int(row[2]), row[6], _strings(row[3]), _strings(row[4])))
        return facts_of(state, state.seals, destroy_events, key)

    def cursor(self) -> ChangeCursor:
        c = self._connection
        return ChangeCursor(
            audit_seq=int(c.execute(select(func.coalesce(func.max(audit_log.c.seq), 0)))
                          .scalar_one()),
            ledger_seq=int(c.execute(select(func.coalesce(func.max(consent_ledger.c.seq), 0)))
                           .scalar_one()),
            events_at=c.execute(select(func.max(lifecycle_events.c.recorded_at))).scalar_one(),
        )

    def changes(self, after: ChangeCursor) -> tuple[set[str] | None, ChangeCursor]:
        # The new end first, then what lies between: an entry committed in
        # between is beyond the new end, so the next poll reads it.
        fresh = self.cursor()
        t = cast(null(), UtcDateTime())
        since = (after.events_at - EVENTS_OVERLAP) if after.events_at is not None \
            else datetime(1970, 1, 1, tzinfo=UTC)
        query = union_all(
            select(literal("a").label("kind"), audit_log.c.seq.label("n"),
                   audit_log.c.subject_ids.label("subjects"), t.label("at"))
            .where(audit_log.c.seq > after.audit_seq, audit_log.c.seq <= fresh.audit_seq,
                   audit_log.c.action.in_(_CHANGING)),
            select(literal("l"), consent_ledger.c.seq, consent_ledger.c.subject_id, t)
            .where(consent_ledger.c.seq > after.ledger_seq,
                   consent_ledger.c.seq <= fresh.ledger_seq),
            select(literal("e"), null(), lifecycle_events.c.subject_id,
                   lifecycle_events.c.recorded_at)
            .where(lifecycle_events.c.recorded_at > since),
        )
        changed: set[str] = set()
        for kind, _seq, subjects_text, _at in self._connection.execute(query):
            if kind == "a":
                changed.update(_strings(subjects_text))
            else:
                changed.add(subjects_text)
        events_at = after.events_at
        if fresh.events_at is not None and (events_at is None or fresh.events_at > events_at):
            events_at = fresh.events_at
        return changed, ChangeCursor(max(after.audit_seq, fresh.audit_seq),
                                     max(after.ledger_seq, fresh.ledger_seq), events_at)

    def collected_after(
        self, since: Mapping[tuple[str, str], datetime]
    ) -> set[tuple[str, str]]:
        if not since:
            return set()
        query = select(pd_values.c.subject_id, pd_values.c.category,
                       func.max(pd_values.c.collected_at)).where(
            tuple_(pd_values.c.subject_id, pd_values.c.category).in_(list(since))
        ).group_by(pd_values.c.subject_id, pd_values.c.category)
        out: set[tuple[str, str]] = set()
        for subject_id, category, latest in self._connection.execute(query):
            key = (subject_id, category)
            if latest is not None and latest > since[key]:
                out.add(key)
        if not out:
            return out
        # A value row alone does not bring a destroyed category back: the write
        # that stored it must be in the audit log, authentic (a row inserted
        # behind derbes's back would otherwise undo a destruction).
        wanted = {pair: since[pair] for pair in out}
        entries: list[AuditEntry] = []
        for sid in sorted({s for s, _ in wanted}):
            first = min(at for (s, _), at in wanted.items() if s == sid)
            rows = self._connection.execute(select(audit_log).where(
                audit_log.c.action == _WRITE, audit_log.c.at >= first,
                audit_log.c.subject_ids.contains(json.dumps(sid), autoescape=True)))
            entries.extend(entry_from_row(r) for r in rows)
        return _written(self._seal_key.audit_key(), entries, wanted)


# ------------------------------------------------------------------ fake


@dataclass(frozen=True)
class FactSources:
    """The repositories a subject's decision facts are read through (the fakes' path)."""

    vault: VaultRepository
    consents: ConsentRepository
    ledger: ConsentLedgerRepository
    lifecycle: LifecycleRepository
    retention: RetentionRepository


def snapshot_rows(sources: FactSources, subject_ids: Collection[str],
                  operator_id: str | None = None) -> SnapshotRows:
    """The rows of :func:`snapshot_selects`, read through repositories (the fakes' path)."""
    vault, ledger, lifecycle = sources.vault, sources.ledger, sources.lifecycle
    rows = SnapshotRows()
    for subject_id in dict.fromkeys(subject_ids):
        subject = vault.get(subject_id)
        if subject is None or (operator_id is not None and subject.operator_id != operator_id):
            continue
        rows.subjects[subject_id] = (subject.operator_id, subject.blocked_at,
                                     subject.destroyed_at)
        blocks = [b.category for b in vault.category_blocks(subject_id)]
        if blocks:
            rows.blocks[subject_id] = blocks
        entries = ledger.for_subject(subject_id)
        if entries:
            rows.ledger[subject_id] = (entries[-1].seq, entries[-1].hash)
    known = list(rows.subjects)
    for subject_id, held in lifecycle.contracts_for_subjects(known).items():
        open_ids = [c.contract_id for c in held if c.is_open]
        if open_ids:
            rows.contracts[subject_id] = open_ids
    for subject_id, found in sources.consents.for_subjects(known).items():
        mine = [SealedConsent(c.id, c.scope.kind.value, tuple(c.scope.purposes),
                              tuple(c.scope.recipients), c.given_by.value, c.given_at,
                              c.valid_until, c.expired_at, c.withdrawn_at,
                              c.needs_reconsent_since)
                for c in found if operator_id is None or c.operator_id == operator_id]
        if mine:
            rows.consents[subject_id] = mine
    for subject_id, clocks in sources.retention.purpose_clocks(known).items():
        if clocks:
            rows.clocks[subject_id] = [(c.purpose, c.end_date) for c in clocks]
    return rows


class FakeDecisionFactsRepository:
    """The same read model over the fake repositories of a :class:`FakeUnitOfWork`."""

    def __init__(self, sources: FactSources, audit: AuditRepository, seals: SealRepository,
                 seal_key: SealKeySource) -> None:
        self._sources = sources
        self._vault = sources.vault
        self._audit = audit
        self._seals = seals
        self._seal_key = seal_key

    def load(
        self, operator_id: str, subject_ids: Collection[str], *, destroyed_after_seq: int = 0
    ) -> FactRows:
        key = self._seal_key()
        state = snapshot_rows(self._sources, subject_ids, operator_id)
        seals = {sid: stored.mac for sid, stored in self._seals.stored(state.subjects).items()}
        events = [DestroyEvent(e.seq, e.at, tuple(e.subject_ids), tuple(e.categories))
                  for e in self._audit.entries(after_seq=destroyed_after_seq)
                  if e.action == _DESTROY]
        return facts_of(state, seals, events, key)

    def cursor(self) -> ChangeCursor:
        return ChangeCursor()

    def changes(self, after: ChangeCursor) -> tuple[set[str] | None, ChangeCursor]:
        return None, after  # the fakes keep no change feed: everything may have changed

    def collected_after(
        self, since: Mapping[tuple[str, str], datetime]
    ) -> set[tuple[str, str]]:
        out: dict[tuple[str, str], datetime] = {}
        for (subject_id, category), at in since.items():
            values = self._vault.values(subject_id, [category])
            if any(v.collected_at > at for v in values):
                out[(subject_id, category)] = at
        if not out:
            return set()
        return _written(self._seal_key.audit_key(), self._audit.entries(), out)


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
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    Text,
    any_,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects import postgresql

from derbes.audit.adapters.store import AuditRepository
from derbes.audit.model.log import AuditAction
from derbes.consent.adapters.store import ConsentRepository
from derbes.consent.model.consent import GivenBy
from derbes.decisions.model import ConsentFact, consent_fact
from derbes.lifecycle.adapters.store import LifecycleRepository
from derbes.platform.tables import (
    UtcDateTime,
    audit_log,
    category_blocks,
    consent_ledger,
    consents,
    contracts,
    lifecycle_events,
    pd_values,
    subjects,
)
from derbes.vault.adapters.store import VaultRepository

__all__ = [
    "ChangeCursor",
    "DecisionFactsRepository",
    "DestroyEvent",
    "FactRows",
    "FakeDecisionFactsRepository",
    "SqlDecisionFactsRepository",
]

_DESTROY = AuditAction.SUBJECT_DESTROY.value
# How far back lifecycle events are re-read: a transaction that stamped its
# recording time before another one committed may commit after it.
EVENTS_OVERLAP = timedelta(seconds=30)
# Audit actions after which a subject's state may differ.
_CHANGING = (AuditAction.SUBJECT_WRITE.value, AuditAction.SUBJECT_BLOCK.value, _DESTROY)


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


# ------------------------------------------------------------------ SQL


class SqlDecisionFactsRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._postgres = connection.dialect.name == "postgresql"

    def _among(self, column: ColumnElement[Any]) -> ColumnElement[bool]:
        # One parameter for the whole batch, whatever its size.
        if self._postgres:
            return column == any_(bindparam("ids", type_=postgresql.ARRAY(String())))
        return column.in_(
            select(literal_column("value")).select_from(func.json_each(bindparam("ids_json")))
        )

    def load(
        self, operator_id: str, subject_ids: Collection[str], *, destroyed_after_seq: int = 0
    ) -> FactRows:
        ids = list(dict.fromkeys(subject_ids))
        rows = FactRows()
        t = type_coerce(null(), UtcDateTime())
        text_null = type_coerce(null(), Text())
        # Columns: kind, subject, a, b, c, d, t1..t5 — one shape for four row kinds.
        q_consents = select(
            literal("c").label("kind"), consents.c.subject_id.label("subject"),
            consents.c.id.label("a"), type_coerce(consents.c.purposes, Text()).label("b"),
            type_coerce(consents.c.recipients, Text()).label("c"),
            (consents.c.scope + literal(":") + consents.c.given_by).label("d"),
            consents.c.given_at.label("t1"), consents.c.valid_until.label("t2"),
            consents.c.expired_at.label("t3"), consents.c.withdrawn_at.label("t4"),
            consents.c.needs_reconsent_since.label("t5"),
        ).where(self._among(consents.c.subject_id), consents.c.operator_id == operator_id)
        q_subjects = select(
            literal("s"), subjects.c.id, null(), text_null, text_null,
            null(), subjects.c.blocked_at, subjects.c.destroyed_at, t, t, t,
        ).where(self._among(subjects.c.id), subjects.c.operator_id == operator_id)
        q_blocks = select(
            literal("b"), category_blocks.c.subject_id, category_blocks.c.category, text_null,
            text_null, null(), t, t, t, t, t,
        ).where(self._among(category_blocks.c.subject_id),
                category_blocks.c.unblocked_at.is_(None))
        q_contracts = select(
            literal("k"), contracts.c.subject_id, null(), text_null, text_null, null(),
            t, t, t, t, t,
        ).where(self._among(contracts.c.subject_id), contracts.c.closed_at.is_(None))
        q_destroyed = select(
            literal("d"), null(), cast(audit_log.c.seq, String()),
            audit_log.c.subject_ids, audit_log.c.categories, null(), audit_log.c.at,
            t, t, t, t,
        ).where(audit_log.c.action == _DESTROY, audit_log.c.seq > destroyed_after_seq)
        query = union_all(q_consents, q_subjects, q_blocks, q_contracts, q_destroyed)
        params: dict[str, Any] = {"ids": ids} if self._postgres else {"ids_json": json.dumps(ids)}
        for row in self._connection.execute(query, params):
            kind, subject = row[0], row[1]
            if kind == "c":
                scope, _, given_by = str(row[5]).partition(":")
                rows.consents.setdefault(subject, []).append(consent_fact(
                    row[2], scope, _strings(row[3]), _strings(row[4]),
                    by_representative=given_by == GivenBy.REPRESENTATIVE.value,
                    given_at=row[6], valid_until=row[7], expired_at=row[8],
                    withdrawn_at=row[9], needs_reconsent_since=row[10],
                ))
            elif kind == "s":
                rows.subjects[subject] = (row[6] is not None, row[7] is not None)
            elif kind == "b":
                rows.blocked_categories.setdefault(subject, set()).add(row[2])
            elif kind == "k":
                rows.open_contracts.add(subject)
            else:
                rows.destroy_events.append(DestroyEvent(
                    int(row[2]), row[6], _strings(row[3]), _strings(row[4])))
        rows.destroy_events.sort(key=lambda e: e.seq)
        return rows

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
        return out


# ------------------------------------------------------------------ fake


class FakeDecisionFactsRepository:
    """The same read model over the fake repositories of a :class:`FakeUnitOfWork`."""

    def __init__(self, vault: VaultRepository, consent_repo: ConsentRepository,
                 audit: AuditRepository, lifecycle: LifecycleRepository) -> None:
        self._vault = vault
        self._consents = consent_repo
        self._audit = audit
        self._lifecycle = lifecycle

    def load(
        self, operator_id: str, subject_ids: Collection[str], *, destroyed_after_seq: int = 0
    ) -> FactRows:
        rows = FactRows()
        ids = list(dict.fromkeys(subject_ids))
        for subject_id in ids:
            subject = self._vault.get(subject_id)
            if subject is None or subject.operator_id != operator_id:
                continue
            rows.subjects[subject_id] = (subject.blocked_at is not None, subject.destroyed)
            blocks = {b.category for b in self._vault.category_blocks(subject_id)}
            if blocks:
                rows.blocked_categories[subject_id] = blocks
        for subject_id, held in self._lifecycle.contracts_for_subjects(
                list(rows.subjects)).items():
            if any(c.is_open for c in held):
                rows.open_contracts.add(subject_id)
        for subject_id, found in self._consents.for_subjects(list(rows.subjects)).items():
            facts = [
                consent_fact(
                    c.id, c.scope.kind, c.scope.purposes, c.scope.recipients,
                    by_representative=c.given_by is GivenBy.REPRESENTATIVE,
                    given_at=c.given_at, valid_until=c.valid_until, expired_at=c.expired_at,
                    withdrawn_at=c.withdrawn_at, needs_reconsent_since=c.needs_reconsent_since,
                )
                for c in found if c.operator_id == operator_id
            ]
            if facts:
                rows.consents[subject_id] = facts
        for entry in self._audit.entries(after_seq=destroyed_after_seq):
            if entry.action == _DESTROY:
                rows.destroy_events.append(DestroyEvent(
                    entry.seq, entry.at, tuple(entry.subject_ids), tuple(entry.categories)))
        return rows

    def cursor(self) -> ChangeCursor:
        return ChangeCursor()

    def changes(self, after: ChangeCursor) -> tuple[set[str] | None, ChangeCursor]:
        return None, after  # the fakes keep no change feed: everything may have changed

    def collected_after(
        self, since: Mapping[tuple[str, str], datetime]
    ) -> set[tuple[str, str]]:
        out: set[tuple[str, str]] = set()
        for (subject_id, category), at in since.items():
            values = self._vault.values(subject_id, [category])
            if any(v.collected_at > at for v in values):
                out.add((subject_id, category))
        return out


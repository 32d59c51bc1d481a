"""State seals on the unit of work: the rows a seal covers, and the seals themselves.

:func:`snapshot_selects` is the one query of what the decision point reads
about a batch of subjects — subject row, active category blocks, consents,
open contracts, retention clocks, latest consent-ledger entry — as rows of one
shape, and :class:`SnapshotRows` turns them into
:class:`~derbes.integrity.model.state_seal.Snapshot` objects. The decision point
(``decisions/adapters/facts.py``) and the sealing on commit
(``integrity/service/sealing.reseal``) both
use them, so what is sealed and what is checked cannot drift apart.

On PostgreSQL, :meth:`SqlSealRepository.lock` takes the subjects' seal rows
``FOR UPDATE`` (in id order) before their state is read: two transactions that
change one subject reseal it one after the other, and the later one reads the
earlier one's committed rows. SQLite has one writer at a time anyway.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    Text,
    any_,
    bindparam,
    cast,
    delete,
    func,
    literal,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects import postgresql, sqlite

from derbes.audit.ports import AuditKey
from derbes.integrity.model.state_seal import (
    SealedConsent,
    Snapshot,
    canonical,
    seal_key,
)
from derbes.integrity.ports import SEAL_PAGE, StoredSeal
from derbes.platform import chain_store
from derbes.platform.chain import GENESIS
from derbes.platform.tables import (
    UtcDateTime,
    category_blocks,
    consent_ledger,
    consents,
    contracts,
    retention_clocks,
    subject_seals,
    subjects,
)

__all__ = [
    "SealKeySource",
    "SnapshotRows",
    "SqlSealRepository",
    "among_ids",
    "ids_params",
    "snapshot_selects",
]

_CHUNK = SEAL_PAGE


class SealKeySource(chain_store.KeySource):
    """The state-seal key, derived from the audit key when first needed."""

    def __init__(self, audit_key: AuditKey | None) -> None:
        super().__init__(audit_key, derive=seal_key,
                         cannot="can neither seal nor check the state the decision point reads")


def _strings(text: Any) -> tuple[str, ...]:
    if text is None:
        return ()
    if isinstance(text, list):
        return tuple(str(v) for v in text)
    return _parsed(str(text))


@lru_cache(maxsize=8192)
def _parsed(text: str) -> tuple[str, ...]:
    # The same few lists of purposes and recipients recur across thousands of
    # consents: parse each text once.
    try:
        value = json.loads(text)
    except ValueError:
        return (text,)  # not JSON (edited by hand): sealed and compared as it is
    return tuple(str(v) for v in value) if isinstance(value, list) else (text,)


# ------------------------------------------------------------------ the query


def among_ids(postgres: bool) -> Callable[[ColumnElement[Any]], ColumnElement[bool]]:
    """``column IN (the batch)``, the batch bound as one parameter (``ids`` / ``ids_json``)."""

    def among(column: ColumnElement[Any]) -> ColumnElement[bool]:
        if postgres:
            return column == any_(bindparam("ids", type_=postgresql.ARRAY(String())))
        return column.in_(
            select(literal_column("value")).select_from(func.json_each(bindparam("ids_json")))
        )

    return among


def ids_params(postgres: bool, ids: Sequence[str]) -> dict[str, Any]:
    return {"ids": list(ids)} if postgres else {"ids_json": json.dumps(list(ids))}


def _day_text(column: ColumnElement[Any], postgres: bool) -> ColumnElement[Any]:
    # One text form of a date on both databases, whatever PostgreSQL's DateStyle.
    if postgres:
        return func.to_char(column, "YYYY-MM-DD")
    return cast(column, Text())


def snapshot_selects(
    among: Callable[[ColumnElement[Any]], ColumnElement[bool]],
    *,
    postgres: bool,
    operator_id: str | None = None,
) -> list[Select[Any]]:
    """The rows of every :class:`Snapshot` of a batch, one shape for all kinds.

    Columns: kind, subject, a, b, c, d, t1..t5. Kinds: ``s`` subject (with its
    stored seal in ``a``), ``b`` active category block, ``c`` consent, ``k`` open
    contract, ``r`` retention clock, ``l`` the subject's latest ledger entry. With
    ``operator_id``, only that operator's subjects and consents.
    """
    t = type_coerce(null(), UtcDateTime())
    text_null = type_coerce(null(), Text())
    q_consents = select(
        literal("c").label("kind"), consents.c.subject_id.label("subject"),
        consents.c.id.label("a"), type_coerce(consents.c.purposes, Text()).label("b"),
        type_coerce(consents.c.recipients, Text()).label("c"),
        (consents.c.scope + literal(":") + consents.c.given_by).label("d"),
        consents.c.given_at.label("t1"), consents.c.valid_until.label("t2"),
        consents.c.expired_at.label("t3"), consents.c.withdrawn_at.label("t4"),
        consents.c.needs_reconsent_since.label("t5"),
    ).where(among(consents.c.subject_id))
    # The subject's stored seal rides on its row (a join, not rows of their own).
    q_subjects = select(
        literal("s"), subjects.c.id, subject_seals.c.mac, text_null, text_null,
        subjects.c.operator_id, subjects.c.blocked_at, subjects.c.destroyed_at, t, t, t,
    ).select_from(subjects.outerjoin(subject_seals, subject_seals.c.subject_id == subjects.c.id)
                  ).where(among(subjects.c.id))
    if operator_id is not None:
        q_consents = q_consents.where(consents.c.operator_id == operator_id)
        q_subjects = q_subjects.where(subjects.c.operator_id == operator_id)
    q_blocks = select(
        literal("b"), category_blocks.c.subject_id, category_blocks.c.category, text_null,
        text_null, null(), t, t, t, t, t,
    ).where(among(category_blocks.c.subject_id), category_blocks.c.unblocked_at.is_(None))
    q_contracts = select(
        literal("k"), contracts.c.subject_id, contracts.c.contract_id, text_null, text_null,
        null(), t, t, t, t, t,
    ).where(among(contracts.c.subject_id), contracts.c.closed_at.is_(None))
    q_clocks = select(
        literal("r"), retention_clocks.c.subject_id, retention_clocks.c.purpose_id,
        _day_text(retention_clocks.c.end_date, postgres), text_null, null(), t, t, t, t, t,
    ).where(among(retention_clocks.c.subject_id))
    later = consent_ledger.alias("later")
    latest = (select(func.max(later.c.seq))
              .where(later.c.subject_id == consent_ledger.c.subject_id).scalar_subquery())
    q_ledger = select(
        literal("l"), consent_ledger.c.subject_id, consent_ledger.c.hash, text_null, text_null,
        cast(consent_ledger.c.seq, String()), t, t, t, t, t,
    ).where(among(consent_ledger.c.subject_id), consent_ledger.c.seq == latest)
    return [q_consents, q_subjects, q_blocks, q_contracts, q_clocks, q_ledger]


@dataclass
class SnapshotRows:
    """Rows of :func:`snapshot_selects`, gathered per subject."""

    subjects: dict[str, tuple[str, datetime | None, datetime | None]] = field(
        default_factory=dict)
    blocks: dict[str, list[str]] = field(default_factory=dict)
    contracts: dict[str, list[str]] = field(default_factory=dict)
    consents: dict[str, list[SealedConsent]] = field(default_factory=dict)
    clocks: dict[str, list[tuple[str, date | None]]] = field(default_factory=dict)
    ledger: dict[str, tuple[int, str]] = field(default_factory=dict)
    seals: dict[str, str] = field(default_factory=dict)  # the stored MACs

    def add(self, row: Sequence[Any]) -> bool:
        """Take one row; False when its kind is not a snapshot kind."""
        kind, subject = row[0], row[1]
        if kind == "c":
            scope, _, given_by = str(row[5]).partition(":")
            self.consents.setdefault(subject, []).append(SealedConsent(
                row[2], scope, _strings(row[3]), _strings(row[4]), given_by,
                row[6], row[7], row[8], row[9], row[10]))
        elif kind == "s":
            self.subjects[subject] = (str(row[5]), row[6], row[7])
            if row[2]:
                self.seals[subject] = row[2]
        elif kind == "b":
            self.blocks.setdefault(subject, []).append(row[2])
        elif kind == "k":
            self.contracts.setdefault(subject, []).append(row[2])
        elif kind == "r":
            end = row[3]
            self.clocks.setdefault(subject, []).append(
                (row[2], None if end is None else date.fromisoformat(str(end)[:10])))
        elif kind == "l":
            self.ledger[subject] = (int(row[5]), str(row[2]))
        else:
            return False
        return True

    def snapshot(self, subject_id: str) -> Snapshot | None:
        """The subject's snapshot; None when its row was not read."""
        found = self.subjects.get(subject_id)
        if found is None:
            return None
        operator_id, blocked_at, destroyed_at = found
        return canonical(Snapshot(
            subject_id, operator_id, blocked_at=blocked_at, destroyed_at=destroyed_at,
            blocked_categories=tuple(self.blocks.get(subject_id, ())),
            open_contracts=tuple(self.contracts.get(subject_id, ())),
            consents=tuple(self.consents.get(subject_id, ())),
            clocks=tuple(self.clocks.get(subject_id, ())),
            ledger=self.ledger.get(subject_id) or (0, GENESIS),
        ))


def _components_json(parts: Mapping[str, str]) -> str:
    return json.dumps(dict(parts), sort_keys=True, separators=(",", ":"))


def _components_of(text: str) -> dict[str, str]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


# ------------------------------------------------------------------ SQL


class SqlSealRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._postgres = connection.dialect.name == "postgresql"

    def snapshots(self, subject_ids: Collection[str]) -> dict[str, Snapshot]:
        ids = sorted(set(subject_ids))
        out: dict[str, Snapshot] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            rows = SnapshotRows()
            query = union_all(*snapshot_selects(among_ids(self._postgres),
                                                postgres=self._postgres))
            for row in self._connection.execute(query, ids_params(self._postgres, chunk)):
                rows.add(row)
            for sid in chunk:
                state = rows.snapshot(sid)
                if state is not None:
                    out[sid] = state
        return out

    def lock(self, subject_ids: Sequence[str]) -> None:
        if not self._postgres or not subject_ids:
            return
        ids = sorted(set(subject_ids))
        # A row to lock for a subject never sealed (inserted by a concurrent
        # transaction first: this waits for it, then does nothing).
        # One statement from an array: a multi-row VALUES of a thousand rows costs more
        # to build and compile in SQLAlchemy than PostgreSQL takes to run it.
        self._connection.execute(sql_text(
            "INSERT INTO subject_seals (subject_id, mac, components)"
            " SELECT id, '', '{}' FROM unnest(CAST(:ids AS text[])) AS u(id)"
            " ON CONFLICT DO NOTHING"), {"ids": ids})
        self._connection.execute(
            select(subject_seals.c.subject_id)
            .where(subject_seals.c.subject_id == any_(
                bindparam("ids", type_=postgresql.ARRAY(String()))))
            .order_by(subject_seals.c.subject_id).with_for_update(), {"ids": ids})

    def stored(self, subject_ids: Collection[str]) -> dict[str, StoredSeal]:
        ids = sorted(set(subject_ids))
        out: dict[str, StoredSeal] = {}
        for start in range(0, len(ids), _CHUNK):
            rows = self._connection.execute(
                select(subject_seals).where(
                    subject_seals.c.subject_id.in_(ids[start:start + _CHUNK])))
            for row in rows:
                out[row.subject_id] = StoredSeal(row.mac, _components_of(row.components))
        return out

    def put(self, seals: Sequence[tuple[str, str, Mapping[str, str]]]) -> None:
        if not seals:
            return
        values = [{"subject_id": sid, "mac": digest, "components": _components_json(parts)}
                  for sid, digest, parts in seals]
        if self._postgres:
            statement: Any = postgresql.insert(subject_seals)
        else:
            statement = sqlite.insert(subject_seals)
        statement = statement.on_conflict_do_update(
            index_elements=[subject_seals.c.subject_id],
            set_={"mac": statement.excluded.mac, "components": statement.excluded.components})
        self._connection.execute(statement, values)

    def delete(self, subject_ids: Collection[str]) -> None:
        ids = sorted(set(subject_ids))
        for start in range(0, len(ids), _CHUNK):
            self._connection.execute(delete(subject_seals).where(
                subject_seals.c.subject_id.in_(ids[start:start + _CHUNK])))

    def subject_ids(self, *, after: str = "", limit: int = _CHUNK) -> builtins.list[str]:
        return list(self._connection.execute(
            select(subjects.c.id).where(subjects.c.id > after).order_by(subjects.c.id)
            .limit(limit)).scalars())

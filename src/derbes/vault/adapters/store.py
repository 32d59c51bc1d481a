"""Where the PD vault keeps its rows: the SQL adapter of ``vault/ports.VaultRepository``.

The repository stores what the services give it — sealed bytes, blind-index
digests, card tokens — and never sees a key or a plaintext. Batch methods
(``VaultRepository.add_many``) send one ``executemany`` per table, so a
batch of thousands of subjects costs a handful of round trips; bulk ingest
(``VaultRepository.add_batch``) goes to the driver directly: plain tuples
in one ``executemany`` per table on SQLite, one binary ``COPY`` per table on
PostgreSQL, with no per-row statement compilation or type processing.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    LargeBinary,
    Row,
    String,
    Table,
    Text,
    and_,
    delete,
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.dml import Delete

from derbes.errors import ConflictError
from derbes.platform.tables import (
    UtcDateTime,
    card_tokens,
    category_blocks,
    pd_values,
    subject_imports,
    subject_lookups,
)
from derbes.platform.tables import subjects as subjects_table
from derbes.platform.touched import Touched
from derbes.vault.ports import (
    BlockedSubject,
    CardToken,
    CategoryBlock,
    Lookup,
    SealedValue,
    SubjectBatch,
    SubjectRecord,
    blocked_list,
)

__all__ = ["DUPLICATE_IDENTIFIER", "SqlVaultRepository"]


DUPLICATE_IDENTIFIER = (
    "an identifier given is already registered for another subject of this operator"
)


# ------------------------------------------------------------------ rows


def _subject_row(s: SubjectRecord) -> dict[str, Any]:
    return {"id": s.id, "operator_id": s.operator_id, "created_at": s.created_at,
            "blocked_at": s.blocked_at, "block_reason": s.block_reason,
            "destroyed_at": s.destroyed_at}


def _value_row(v: SealedValue) -> dict[str, Any]:
    return {"subject_id": v.subject_id, "category": v.category, "seq": v.seq,
            "sealed": v.sealed, "value_type": v.value_type, "source": v.source,
            "purposes": json.dumps(list(v.purposes)), "method": v.method,
            "collected_at": v.collected_at, "updated_at": v.updated_at}


def _lookup_row(x: Lookup) -> dict[str, Any]:
    return {"operator_id": x.operator_id, "kind": x.kind, "digest": x.digest,
            "subject_id": x.subject_id}


def _card_row(c: CardToken) -> dict[str, Any]:
    return {"token": c.token, "subject_id": c.subject_id, "bin6": c.bin6, "last4": c.last4,
            "brand": c.brand, "created_at": c.created_at}


def _block_row(b: CategoryBlock) -> dict[str, Any]:
    return {"subject_id": b.subject_id, "category": b.category, "reason": b.reason,
            "blocked_at": b.blocked_at, "unblocked_at": b.unblocked_at}


def _to_subject(row: Row[Any]) -> SubjectRecord:
    m = row._mapping
    return SubjectRecord(id=m["id"], operator_id=m["operator_id"], created_at=m["created_at"],
                         blocked_at=m["blocked_at"], block_reason=m["block_reason"],
                         destroyed_at=m["destroyed_at"])


def _to_value(row: Row[Any]) -> SealedValue:
    m = row._mapping
    return SealedValue(subject_id=m["subject_id"], category=m["category"], seq=int(m["seq"]),
                       sealed=bytes(m["sealed"]), value_type=m["value_type"],
                       source=m["source"], purposes=tuple(json.loads(m["purposes"])),
                       method=m["method"], collected_at=m["collected_at"],
                       updated_at=m["updated_at"])


def _to_block(row: Row[Any]) -> CategoryBlock:
    m = row._mapping
    return CategoryBlock(id=int(m["id"]), subject_id=m["subject_id"], category=m["category"],
                         reason=m["reason"], blocked_at=m["blocked_at"],
                         unblocked_at=m["unblocked_at"])


def _to_card(row: Row[Any]) -> CardToken:
    m = row._mapping
    return CardToken(token=m["token"], subject_id=m["subject_id"], bin6=m["bin6"],
                     last4=m["last4"], brand=m["brand"], created_at=m["created_at"])


# ------------------------------------------------------------ bulk writes
# ``add_batch`` goes to the driver: SQLite takes one ``executemany`` of plain
# tuples per table, PostgreSQL one binary ``COPY`` per table, both inside the
# unit of work's transaction. Column lists and COPY types come from the table
# definitions; datetimes pass through the columns' own bind processing (so a
# naive datetime is refused exactly as on the Core path), once per distinct value.

_SUBJECT_COLUMNS = ("id", "operator_id", "created_at")
_VALUE_COLUMNS = ("subject_id", "category", "seq", "sealed", "value_type", "source",
                  "purposes", "method", "collected_at", "updated_at")
_LOOKUP_COLUMNS = ("operator_id", "kind", "digest", "subject_id")


# The first that fits: a BigInteger is an Integer too, and a Text a String.
_PG_COPY_TYPES: tuple[tuple[type[Any], str], ...] = (
    (UtcDateTime, "timestamptz"), (LargeBinary, "bytea"), (BigInteger, "int8"),
    (Integer, "int4"), (Text, "text"), (String, "varchar"),
)


def _pg_copy_type(column: Column[Any]) -> str:
    for kind, name in _PG_COPY_TYPES:
        if isinstance(column.type, kind):
            return name
    raise TypeError(f"no COPY type for column {column.name}")  # pragma: no cover


class _Memo(dict[Any, Any]):
    """A dict that computes a missing value once: ``memo[key]``."""

    def __init__(self, compute: Callable[[Any], Any]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self._compute(key)
        return value


def _purposes_json(purposes: tuple[str, ...]) -> str:
    return json.dumps(list(purposes))


_IN_CHUNK = 5000
_IMPORT_COLUMNS = ("import_id", "batch", "subjects", "rejected", "committed_at")


class _BulkWriter:
    """Driver-level inserts for one batch on one connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._postgresql = connection.dialect.name == "postgresql"
        dialect = connection.dialect
        processor = pd_values.c.updated_at.type.dialect_impl(dialect).bind_processor(dialect)
        self.stamp = _Memo(processor if processor is not None else (lambda at: at))

    def insert(self, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
               ) -> None:
        if not rows:
            return
        names = ", ".join(columns)
        if self._postgresql:
            types = [_pg_copy_type(table.c[name]) for name in columns]
            driver = self._connection.connection.driver_connection
            statement = f"COPY {table.name} ({names}) FROM STDIN (FORMAT BINARY)"
            with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            self._connection.exec_driver_sql(
                f"INSERT INTO {table.name} ({names}) VALUES ({marks})",  # noqa: S608
                rows,
            )

    def integrity_errors(self) -> tuple[type[Exception], ...]:
        dbapi_error: type[Exception] = self._connection.dialect.loaded_dbapi.IntegrityError
        return (IntegrityError, dbapi_error)


# -------------------------------------------------------------------- SQL


class SqlVaultRepository:
    """The vault tables, on the connection (and transaction) of a unit of work.

    Writes that change what the decision point reads (new subjects, blocks,
    destruction marks) note the subject in ``touched``: the unit of work
    reseals it before committing.
    """

    def __init__(self, connection: Connection, touched: Touched | None = None) -> None:
        self._connection = connection
        self._touched = touched if touched is not None else Touched()

    def _insert(self, table: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            # A list of parameter sets: executemany (or "insertmanyvalues"
            # multi-row INSERTs on PostgreSQL), never one round trip per row.
            self._connection.execute(table.insert(), rows)

    def add_many(
        self,
        subjects: Sequence[SubjectRecord],
        values: Sequence[SealedValue],
        lookups: Sequence[Lookup] = (),
        cards: Sequence[CardToken] = (),
    ) -> None:
        self._insert(subjects_table, [_subject_row(s) for s in subjects])
        self._touched.update(s.id for s in subjects)
        self._insert(pd_values, [_value_row(v) for v in values])
        self._insert(card_tokens, [_card_row(c) for c in cards])
        self.add_lookups(lookups)

    def add_batch(self, batch: SubjectBatch) -> None:
        if self._connection.dialect.name not in ("sqlite", "postgresql"):  # pragma: no cover
            self.add_many(batch.records(), batch.sealed_values(), batch.lookup_records(),
                          batch.cards)
            return
        self._touched.created(batch.operator_id, batch.subject_ids)
        writer = _BulkWriter(self._connection)
        stamp = writer.stamp
        created = stamp[batch.created_at]
        operator_id = batch.operator_id
        writer.insert(subjects_table, _SUBJECT_COLUMNS,
                      [(sid, operator_id, created) for sid in batch.subject_ids])
        purposes_json = _Memo(_purposes_json)
        writer.insert(pd_values, _VALUE_COLUMNS, [
            (sid, category, seq, sealed, value_type, source, purposes_json[purposes], method,
             stamp[collected_at], created)
            for sid, category, seq, sealed, value_type, source, purposes, method, collected_at
            in batch.values
        ])
        self._insert(card_tokens, [_card_row(c) for c in batch.cards])
        if batch.lookups:
            try:
                with self._connection.begin_nested():
                    # In key order: neighbouring digests share index pages.
                    writer.insert(subject_lookups, _LOOKUP_COLUMNS,
                                  [(operator_id, kind, digest, sid)
                                   for kind, digest, sid in sorted(batch.lookups)])
            except writer.integrity_errors():
                raise ConflictError(DUPLICATE_IDENTIFIER, field="identifiers") from None
        if batch.mark is not None:
            mark = batch.mark
            try:
                writer.insert(subject_imports, _IMPORT_COLUMNS, [
                    (mark.import_id, mark.batch, len(batch.subject_ids), mark.rejected,
                     created)])
            except writer.integrity_errors():
                # Another run of the same import stored this batch first.
                raise ConflictError("this batch of the import is already stored",
                                    field="batch") from None

    def taken_lookups(self, operator_id: str, pairs: Collection[tuple[str, str]]
                      ) -> set[tuple[str, str]]:
        by_kind: dict[str, list[str]] = {}
        for kind, digest in pairs:
            by_kind.setdefault(kind, []).append(digest)
        taken: set[tuple[str, str]] = set()
        for kind, digests in by_kind.items():
            # Chunks stay well under SQLite's limit of bound parameters.
            for start in range(0, len(digests), _IN_CHUNK):
                rows = self._connection.execute(
                    select(subject_lookups.c.digest).where(
                        subject_lookups.c.operator_id == operator_id,
                        subject_lookups.c.kind == kind,
                        subject_lookups.c.digest.in_(digests[start:start + _IN_CHUNK])))
                taken.update((kind, digest) for (digest,) in rows)
        return taken

    def imported_batches(self, import_id: str) -> set[int]:
        rows = self._connection.execute(
            select(subject_imports.c.batch).where(subject_imports.c.import_id == import_id))
        return {int(batch) for (batch,) in rows}

    def get(self, subject_id: str, *, for_update: bool = False) -> SubjectRecord | None:
        query = select(subjects_table).where(subjects_table.c.id == subject_id)
        if for_update:
            # Serialises writers of one subject on PostgreSQL; SQLite locks
            # the whole database for writing anyway and ignores FOR UPDATE.
            query = query.with_for_update()
        row = self._connection.execute(query).one_or_none()
        return None if row is None else _to_subject(row)

    def values(
        self, subject_id: str, categories: Collection[str] | None = None
    ) -> builtins.list[SealedValue]:
        query = select(pd_values).where(pd_values.c.subject_id == subject_id)
        if categories is not None:
            query = query.where(pd_values.c.category.in_(list(categories)))
        query = query.order_by(pd_values.c.category, pd_values.c.seq)
        return [_to_value(row) for row in self._connection.execute(query)]

    def get_many(self, subject_ids: Collection[str]) -> dict[str, SubjectRecord]:
        ids = sorted(set(subject_ids))
        found: dict[str, SubjectRecord] = {}
        for start in range(0, len(ids), _IN_CHUNK):
            query = select(subjects_table).where(
                subjects_table.c.id.in_(ids[start:start + _IN_CHUNK]))
            found.update((r.id, r) for r in map(_to_subject, self._connection.execute(query)))
        return found

    def values_of_many(self, subject_ids: Collection[str],
                       categories: Collection[str] | None = None,
                       ) -> dict[str, builtins.list[SealedValue]]:
        ids = sorted(set(subject_ids))
        found: dict[str, builtins.list[SealedValue]] = {}
        for start in range(0, len(ids), _IN_CHUNK):
            query = select(pd_values).where(
                pd_values.c.subject_id.in_(ids[start:start + _IN_CHUNK]))
            if categories is not None:
                query = query.where(pd_values.c.category.in_(list(categories)))
            query = query.order_by(pd_values.c.subject_id, pd_values.c.category,
                                   pd_values.c.seq)
            for value in map(_to_value, self._connection.execute(query)):
                found.setdefault(value.subject_id, []).append(value)
        return found

    def put_values(self, values: Sequence[SealedValue]) -> None:
        if not values:
            return
        keys = [v.key for v in values]
        self._connection.execute(
            delete(pd_values).where(
                tuple_(pd_values.c.subject_id, pd_values.c.category, pd_values.c.seq).in_(keys)
            )
        )
        self._insert(pd_values, [_value_row(v) for v in values])

    def delete_values(
        self, subject_id: str, categories: Collection[str] | None = None,
        seqs: Collection[tuple[str, int]] | None = None,
    ) -> int:
        statement = delete(pd_values).where(pd_values.c.subject_id == subject_id)
        if categories is not None:
            statement = statement.where(pd_values.c.category.in_(list(categories)))
        return self._delete(statement, (pd_values.c.category, pd_values.c.seq), seqs)

    def add_lookups(self, lookups: Sequence[Lookup]) -> None:
        if not lookups:
            return
        # A savepoint, so that on PostgreSQL the failed INSERT does not poison
        # the transaction of the caller, who may want to report and roll back.
        try:
            with self._connection.begin_nested():
                self._insert(subject_lookups, [_lookup_row(x) for x in lookups])
        except IntegrityError:
            raise ConflictError(DUPLICATE_IDENTIFIER, field="identifiers") from None

    def delete_lookups(
        self, subject_id: str, keys: Collection[tuple[str, str]] | None = None
    ) -> int:
        statement = delete(subject_lookups).where(subject_lookups.c.subject_id == subject_id)
        return self._delete(statement, (subject_lookups.c.kind, subject_lookups.c.digest), keys)

    def _delete(self, statement: Delete, columns: tuple[Any, Any],
                keys: Collection[tuple[Any, Any]] | None) -> int:
        """Run ``statement``, narrowed to the rows whose ``columns`` are among ``keys``
        when keys are given (none given: nothing is deleted)."""
        if keys is not None:
            if not keys:
                return 0
            statement = statement.where(tuple_(*columns).in_(list(keys)))
        return int(self._connection.execute(statement).rowcount)

    def find(self, kind: str, digest: str, operator_id: str | None = None) -> builtins.list[Lookup]:
        query = select(subject_lookups).where(
            subject_lookups.c.kind == kind, subject_lookups.c.digest == digest
        )
        if operator_id is not None:
            query = query.where(subject_lookups.c.operator_id == operator_id)
        query = query.order_by(subject_lookups.c.operator_id)
        return [Lookup(**dict(row._mapping)) for row in self._connection.execute(query)]

    def lookups(self, subject_id: str) -> builtins.list[Lookup]:
        query = (select(subject_lookups).where(subject_lookups.c.subject_id == subject_id)
                 .order_by(subject_lookups.c.kind, subject_lookups.c.digest))
        return [Lookup(**dict(row._mapping)) for row in self._connection.execute(query)]

    def cards(self, subject_id: str) -> builtins.list[CardToken]:
        query = (select(card_tokens).where(card_tokens.c.subject_id == subject_id)
                 .order_by(card_tokens.c.created_at, card_tokens.c.token))
        return [_to_card(row) for row in self._connection.execute(query)]

    def delete_cards(self, subject_id: str, tokens: Collection[str] | None = None) -> int:
        statement = delete(card_tokens).where(card_tokens.c.subject_id == subject_id)
        if tokens is not None:
            if not tokens:
                return 0
            statement = statement.where(card_tokens.c.token.in_(list(tokens)))
        return int(self._connection.execute(statement).rowcount)

    def set_block(self, subject_id: str, blocked_at: datetime | None, reason: str | None) -> None:
        self._touched.add(subject_id)
        self._connection.execute(
            update(subjects_table).where(subjects_table.c.id == subject_id)
            .values(blocked_at=blocked_at, block_reason=reason)
        )

    def add_category_blocks(self, blocks: Sequence[CategoryBlock]) -> None:
        self._touched.update(b.subject_id for b in blocks)
        self._insert(category_blocks, [_block_row(b) for b in blocks])

    def category_blocks(
        self, subject_id: str, *, active_only: bool = True
    ) -> builtins.list[CategoryBlock]:
        query = select(category_blocks).where(category_blocks.c.subject_id == subject_id)
        if active_only:
            query = query.where(category_blocks.c.unblocked_at.is_(None))
        query = query.order_by(category_blocks.c.id)
        return [_to_block(row) for row in self._connection.execute(query)]

    def end_category_blocks(
        self, subject_id: str, categories: Collection[str] | None, at: datetime
    ) -> int:
        self._touched.add(subject_id)
        statement = update(category_blocks).where(
            category_blocks.c.subject_id == subject_id, category_blocks.c.unblocked_at.is_(None)
        )
        if categories is not None:
            statement = statement.where(category_blocks.c.category.in_(list(categories)))
        return int(self._connection.execute(statement.values(unblocked_at=at)).rowcount)

    def delete_category_blocks(self, subject_id: str) -> int:
        self._touched.add(subject_id)
        statement = delete(category_blocks).where(category_blocks.c.subject_id == subject_id)
        return int(self._connection.execute(statement).rowcount)

    def blocked(self, operator_id: str, limit: int) -> builtins.list[BlockedSubject]:
        live = and_(subjects_table.c.operator_id == operator_id,
                    subjects_table.c.destroyed_at.is_(None))
        whole = self._connection.execute(
            select(subjects_table.c.id, subjects_table.c.blocked_at)
            .where(live, subjects_table.c.blocked_at.is_not(None))
            .order_by(subjects_table.c.blocked_at, subjects_table.c.id).limit(limit))
        parts = self._connection.execute(
            select(category_blocks.c.subject_id, category_blocks.c.category,
                   category_blocks.c.blocked_at)
            .join(subjects_table, subjects_table.c.id == category_blocks.c.subject_id)
            .where(live, category_blocks.c.unblocked_at.is_(None))
            .order_by(category_blocks.c.blocked_at, category_blocks.c.id).limit(limit * 10))
        return blocked_list([(str(r.id), r.blocked_at) for r in whole],
                            [(str(r.subject_id), r.blocked_at, str(r.category)) for r in parts],
                            limit)

    def mark_destroyed(self, subject_id: str, at: datetime) -> None:
        self._touched.add(subject_id)
        self._connection.execute(
            update(subjects_table).where(subjects_table.c.id == subject_id)
            .values(destroyed_at=at, blocked_at=None, block_reason=None)
        )

    def count_values(self) -> int:
        return int(self._connection.execute(select(func.count()).select_from(pd_values))
                   .scalar_one())

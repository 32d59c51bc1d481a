"""A store in a SQL database (SQLite or PostgreSQL), described by a dataset.

Queries use light ``table()``/``column()`` constructs built from the dataset,
so reading the subject's rows needs no schema reflection: one query per
table, parents before children, each ``WHERE column IN (values found in the
parent rows)`` — never one query per row. Reflection is used by :meth:`check`
(does every mapped table and column exist, can it take its erasure) and, once
per store, to learn which identity columns are integers.

Values read are personal data: they are returned, never logged, and no
database error text (which may quote a value) is put in an exception.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any, cast

from sqlalchemy import (
    URL,
    Connection,
    Engine,
    Select,
    bindparam,
    column,
    create_engine,
    delete,
    inspect,
    select,
    table,
    update,
)
from sqlalchemy import types as sqltypes
from sqlalchemy.exc import DBAPIError, IntegrityError, NoSuchTableError, ProgrammingError
from sqlalchemy.sql.expression import TableClause

from derbes.datasets import model as ds
from derbes.datasets.model import (
    CollectedRow,
    Dataset,
    ErasurePlan,
    ErasureStrategy,
    IdentityKind,
    Key,
    SubjectIdentity,
    SubjectRows,
)
from derbes.datasets.ports import ErasureResult, OperatorStore
from derbes.errors import (
    ConfigurationError,
    ConflictError,
    DatasetError,
    InputError,
    Problem,
    StoreNotConfiguredError,
    StoreUnavailableError,
)
from derbes.platform.db import display_url, parse_url, sqlite_transactions

__all__ = ["SqlStore", "shared_engine", "store_engine"]

log = logging.getLogger(__name__)

# Values per IN list: well under SQLite's and PostgreSQL's parameter limits.
CHUNK = 1000
MIN_HASH_KEY = 16
# Seconds an erasure waits for another writer on an operator's SQLite file.
_BUSY_TIMEOUT = 5.0


def store_engine(url: str | URL) -> Engine:
    """An engine on an operator's database (SQLite file or PostgreSQL via psycopg 3)."""
    parsed = parse_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = create_engine(parsed)
        # A failed erasure rolls back whole, and a delete never orphans an unmapped
        # row (foreign keys enforced); the operator's file keeps its journal mode.
        sqlite_transactions(engine, _BUSY_TIMEOUT, wal=False)
        return engine
    if backend == "postgresql":
        return create_engine(parsed, pool_pre_ping=True)
    raise ConfigurationError(f"unsupported store backend {backend!r}: use sqlite or postgresql",
                             field="url_env")


# Engines kept for the process, per URL (see :func:`shared_engine`).
MAX_SHARED_ENGINES = 16
_SHARED: OrderedDict[str, Engine] = OrderedDict()
_SHARED_LOCK = threading.Lock()


def shared_engine(url: str) -> Engine:
    """The process's engine (and connection pool) for ``url``, made on first use.

    The request service opens the operator's stores for every request: with
    an engine of their own each time, every answer would connect anew. The
    least recently used engines beyond :data:`MAX_SHARED_ENGINES` are
    disposed (connections in use finish normally).
    """
    with _SHARED_LOCK:
        engine = _SHARED.get(url)
        if engine is not None:
            _SHARED.move_to_end(url)
            return engine
    made = store_engine(url)
    evicted: list[Engine] = []
    with _SHARED_LOCK:
        engine = _SHARED.setdefault(url, made)
        _SHARED.move_to_end(url)
        while len(_SHARED) > MAX_SHARED_ENGINES:
            evicted.append(_SHARED.popitem(last=False)[1])
    if engine is not made:  # another thread made it first
        evicted.append(made)
    for old in evicted:
        old.dispose()
    return engine


def _chunks(values: Collection[Any]) -> Iterator[list[Any]]:
    ordered = sorted(values, key=lambda v: (str(type(v)), v))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


_MISSING_HINTS = ("no such table", "no such column", "does not exist", "undefinedcolumn",
                  "undefinedtable")


class SqlStore(OperatorStore):
    """One operator database. Build with :meth:`from_env` (the dataset's ``url_env``)."""

    def __init__(self, dataset: Dataset, engine: Engine, *, owns_engine: bool = False,
                 environ: Mapping[str, str] | None = None) -> None:
        self._dataset = dataset
        self._engine = engine
        self._owns_engine = owns_engine
        self._environ = os.environ if environ is None else environ

    @classmethod
    def from_env(cls, dataset: Dataset, environ: Mapping[str, str] | None = None, *,
                 shared: bool = False) -> SqlStore:
        """The store at the URL of the dataset's ``url_env``. ``shared``: on the process's
        engine for that URL (:func:`shared_engine`), which :meth:`close` leaves open."""
        env = os.environ if environ is None else environ
        name = dataset.store.url_env
        url = env.get(name, "").strip()
        if not url:
            raise StoreNotConfiguredError(dataset.store.id, name)
        if shared:
            return cls(dataset, shared_engine(url), environ=env)
        return cls(dataset, store_engine(url), owns_engine=True, environ=env)

    @classmethod
    def from_url(cls, dataset: Dataset, url: str | URL) -> SqlStore:
        return cls(dataset, store_engine(url), owns_engine=True)

    @property
    def dataset(self) -> Dataset:
        return self._dataset

    @property
    def id(self) -> str:
        return self._dataset.store.id

    def describe(self) -> str:
        """The store for messages: its id and URL without the password."""
        return f"{self.id} ({display_url(self._engine.url)})"

    def close(self) -> None:
        if self._owns_engine:
            self._engine.dispose()

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ errors

    def _failure(self, exc: DBAPIError, doing: str) -> Exception:
        """The derbes error for a database error. Never quotes the database's text."""
        kind = type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__
        text = str(exc.orig or "").lower() + kind.lower()
        if isinstance(exc, IntegrityError):
            return ConflictError(
                f"store {self.id!r} refused to {doing} ({kind}: a constraint of the database "
                "forbids it, e.g. a table the dataset does not describe still references the "
                "rows); nothing was changed", field="store")
        if not exc.connection_invalidated and (
            isinstance(exc, ProgrammingError) or any(h in text for h in _MISSING_HINTS)
        ):
            return DatasetError([Problem(
                f"store {self.id!r} has no table or column the dataset maps ({kind}); "
                "run `derbes dataset check` to see which", "tables")])
        return StoreUnavailableError(
            self.id, f"store {self.id!r} failed while trying to {doing} ({kind}); its "
            "transaction was rolled back, nothing was changed: retry when it is back")

    # ------------------------------------------------------------ schema

    @cached_property
    def _integer_columns(self) -> frozenset[tuple[str, str]]:
        """(table, column) of identity columns whose type is an integer."""
        out: set[tuple[str, str]] = set()
        try:
            inspector = inspect(self._engine)
            for spec in self._dataset.tables.values():
                if not spec.identity:
                    continue
                try:
                    columns = inspector.get_columns(spec.name)
                except NoSuchTableError:
                    continue
                for col in columns:
                    if isinstance(col["type"], sqltypes.Integer):
                        out.add((spec.name, col["name"]))
        except DBAPIError as exc:
            raise self._failure(exc, "read its schema") from None
        return frozenset(out)

    def check(self) -> list[Problem]:
        """Problems of the dataset against the live schema; paths as in the dataset file."""
        try:
            return self._check()
        except DBAPIError as exc:
            raise self._failure(exc, "read its schema") from None

    def _check(self) -> list[Problem]:
        problems: list[Problem] = []
        inspector = inspect(self._engine)
        existing = set(inspector.get_table_names())
        columns_of: dict[str, dict[str, Mapping[str, Any]]] = {}
        for name in self._dataset.tables:
            if name in existing:
                columns_of[name] = {c["name"]: c for c in inspector.get_columns(name)}
        for ti, spec in enumerate(self._dataset.tables.values()):
            at = f"tables[{ti}]"
            if spec.name not in existing:
                problems.append(Problem(f"table {spec.name!r} does not exist in store "
                                        f"{self.id!r}", f"{at}.name"))
                continue
            cols = columns_of[spec.name]
            problems += self._missing(cols, spec.name, spec.primary_key, f"{at}.primary_key")
            for ii, ident in enumerate(spec.identity):
                problems += self._missing(cols, spec.name, ident.column,
                                          f"{at}.identity[{ii}].column")
            for name, mapped in spec.columns.items():
                where = f"{at}.columns.{name}"
                if name not in cols:
                    problems += self._missing(cols, spec.name, name, where)
                    continue
                problems += _erasure_fits(spec.name, name, mapped.erasure, cols[name],
                                          f"{where}.erasure")
            for ri, ref in enumerate(spec.references):
                problems += self._missing(cols, spec.name, ref.column,
                                          f"{at}.references[{ri}].column")
                target = columns_of.get(ref.to_table)
                if target is not None:
                    problems += self._missing(target, ref.to_table, ref.to_column,
                                              f"{at}.references[{ri}].to")
        problems += self._unmapped_references(inspector, existing)
        return problems

    def _missing(self, have: Mapping[str, Any], table_name: str, col: str,
                 where: str) -> list[Problem]:
        if col in have:
            return []
        return [Problem(f"column {table_name}.{col} does not exist in store {self.id!r}", where)]

    def _unmapped_references(self, inspector: Any, existing: set[str]) -> list[Problem]:
        """Tables outside the dataset that reference rows the dataset may delete."""
        deleting = {t.name for t in self._dataset.tables.values()
                    if any(c.erasure.deletes_row for c in t.columns.values())}
        index = {name: i for i, name in enumerate(self._dataset.tables)}
        problems: list[Problem] = []
        for other in sorted(existing - set(self._dataset.tables)):
            for fk in inspector.get_foreign_keys(other):
                target = fk.get("referred_table")
                if target in deleting:
                    problems.append(Problem(
                        f"table {other!r}, which the dataset does not describe, references "
                        f"{target!r}: deleting the subject's {target} rows would fail or "
                        f"orphan its rows — describe {other!r} in the dataset",
                        f"tables[{index[target]}]"))
        return problems

    # ------------------------------------------------------------ collect

    def _identity(self, identity: SubjectIdentity) -> Any:
        """The identity's value as the root columns hold it (an int for integer columns)."""
        if identity.kind is not IdentityKind.CUSTOMER_ID:
            return identity.value
        roots = [(t.name, c) for t in self._dataset.tables.values()
                 for c in t.identity_columns(identity.kind)]
        if roots and all(r in self._integer_columns for r in roots):
            try:
                return int(identity.value)
            except ValueError:
                return None  # no integer key can match it
        return identity.value

    def _clause(self, name: str) -> TableClause:
        return table(name, *(column(c) for c in self._dataset.needed_columns(name)))

    def _select(self, connection: Connection, name: str,
                filters: Mapping[str, frozenset[Any]], *, lock: bool = False) -> list[CollectedRow]:
        clause = self._clause(name)
        spec = self._dataset.tables[name]
        found: dict[Any, CollectedRow] = {}
        for col, values in filters.items():
            for chunk in _chunks(values):
                query: Select[Any] = select(clause).where(clause.c[col].in_(chunk))
                if lock and connection.dialect.name == "postgresql":
                    query = query.with_for_update()
                for row in connection.execute(query.order_by(clause.c[spec.primary_key])):
                    record = ds.collected_row(self._dataset, name,
                                              cast(Mapping[str, Any], row._mapping))
                    found.setdefault(record.key, record)
        return [found[k] for k in sorted(found, key=lambda k: (str(type(k)), k))]

    def _walk(self, connection: Connection, identity: SubjectIdentity) -> SubjectRows:
        order = ds.walk_order(self._dataset, identity.kind)
        value = self._identity(identity)
        found: dict[str, list[CollectedRow]] = {}
        if value is None:
            return ds.subject_rows(self._dataset, identity, {name: [] for name in order})
        lookup = SubjectIdentity(identity.kind, value) if value != identity.value else identity
        for name in order:
            filters = ds.table_filter(self._dataset, name, lookup, found)
            found[name] = self._select(connection, name, filters) if filters else []
        return ds.subject_rows(self._dataset, identity, found)

    def collect(self, identity: SubjectIdentity) -> SubjectRows:
        try:
            with self._engine.connect() as connection:
                if connection.dialect.name == "postgresql":
                    # One snapshot for every table: rows added mid-walk are not half-seen.
                    connection = connection.execution_options(isolation_level="REPEATABLE READ")
                try:
                    return self._walk(connection, identity)
                finally:
                    connection.rollback()
        except DBAPIError as exc:
            raise self._failure(exc, "read the subject's rows") from None

    # ------------------------------------------------------------ erasure

    def _hash_keys(self) -> dict[str | None, bytes]:
        """The key of each ``key_env`` named by a hash rule; None: this erasure's random key."""
        keys: dict[str | None, bytes] = {None: secrets.token_bytes(32)}
        for spec in self._dataset.tables.values():
            for col in spec.columns.values():
                rule = col.erasure.hash
                if rule is None or rule.key_env is None or rule.key_env in keys:
                    continue
                value = self._environ.get(rule.key_env, "")
                if len(value) < MIN_HASH_KEY:
                    raise ConfigurationError(
                        f"the environment variable {rule.key_env} (hash key of "
                        f"{spec.name}.{col.name}) must hold at least {MIN_HASH_KEY} characters",
                        field="key_env")
                keys[rule.key_env] = value.encode("utf-8")
        return keys

    def apply_erasure(self, plan: ErasurePlan) -> ErasureResult:
        result = self.apply_erasures([plan])
        log.info("store %s: erased subject %s: %d row(s) deleted, %d updated", self.id,
                 plan.identity, result.rows_deleted, result.rows_updated)
        return result

    def apply_erasures(self, plans: Sequence[ErasurePlan]) -> ErasureResult:
        """Apply several subjects' plans in one transaction (a retention batch): all or
        nothing; the counts are summed over the plans."""
        for plan in plans:
            if plan.store != self.id:
                raise InputError(f"the plan is for store {plan.store!r}, not {self.id!r}",
                                 field="store")
        keys = self._hash_keys()
        deleted: dict[str, int] = {}
        updated: dict[str, int] = {}
        try:
            with self._engine.begin() as connection:  # one transaction: all or nothing
                for plan in plans:
                    for table_plan in plan.tables:
                        name = table_plan.table
                        if table_plan.updates:
                            updated[name] = updated.get(name, 0) + self._apply_updates(
                                connection, table_plan, keys)
                        if table_plan.deletes:
                            deleted[name] = deleted.get(name, 0) + self._apply_deletes(
                                connection, name, table_plan.deletes)
        except DBAPIError as exc:
            raise self._failure(exc, "erase the subject's data") from None
        return ErasureResult(store=self.id, deleted=deleted, updated=updated)

    def _apply_updates(self, connection: Connection, table_plan: ds.TablePlan,
                       keys: Mapping[str | None, bytes]) -> int:
        spec = self._dataset.tables[table_plan.table]
        by_columns: dict[tuple[str, ...], list[Key]] = {}
        for change in table_plan.updates:
            by_columns.setdefault(change.columns, []).append(change.key)
        clause = self._clause(spec.name)
        pk = clause.c[spec.primary_key]
        count = 0
        for columns, row_keys in by_columns.items():
            erasures = {c: spec.columns[c].erasure for c in columns}
            if all(e.strategy is ErasureStrategy.NULL for e in erasures.values()):
                statement = update(clause).values(dict.fromkeys(columns))
                for chunk in _chunks(row_keys):
                    count += connection.execute(statement.where(pk.in_(chunk))).rowcount
                continue
            # Mask and hash work on the values as they are now, read under a lock.
            current = self._select(connection, spec.name, {spec.primary_key: frozenset(row_keys)},
                                   lock=True)
            params = [
                {"k_": row.key} | {
                    f"v_{c}": ds.erased_value(row.values[c], e,
                                              keys[e.hash.key_env if e.hash else None])
                    for c, e in erasures.items()
                }
                for row in current
            ]
            if params:
                statement = (update(clause).where(pk == bindparam("k_"))
                             .values({c: bindparam(f"v_{c}") for c in columns}))
                connection.execute(statement, params)
                count += len(params)
        return count

    def _apply_deletes(self, connection: Connection, name: str, keys: Sequence[Key]) -> int:
        clause = self._clause(name)
        pk = clause.c[self._dataset.tables[name].primary_key]
        count = 0
        for chunk in _chunks(keys):
            count += connection.execute(delete(clause).where(pk.in_(chunk))).rowcount
        return count


def _erasure_fits(table_name: str, name: str, erasure: ds.Erasure, reflected: Mapping[str, Any],
                  where: str) -> list[Problem]:
    """Can the column take its erasure? NULL needs a nullable column; mask and hash text."""
    type_ = reflected["type"]
    if erasure.strategy is ErasureStrategy.NULL and not reflected.get("nullable", True):
        return [Problem(f"{table_name}.{name} is NOT NULL: it cannot be erased with null "
                        "(use mask, hash or delete_row)", where)]
    if erasure.strategy in (ErasureStrategy.MASK, ErasureStrategy.HASH):
        if not isinstance(type_, sqltypes.String):
            return [Problem(f"{table_name}.{name} is {type_}, not text: {erasure.strategy} "
                            "writes text (use null or delete_row)", where)]
        length = getattr(type_, "length", None)
        rule = erasure.hash
        if rule is not None and length is not None and len(rule.prefix) + rule.length > length:
            return [Problem(f"{table_name}.{name} holds {length} characters: the hash "
                            f"({len(rule.prefix) + rule.length}) does not fit; set its length",
                            where)]
    return []


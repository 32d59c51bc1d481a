"""The key store: per-subject data keys and system keys, wrapped by the KEK.

It lives in a database SEPARATE from the data database (issue 3): by default
its own SQLite file ``var/keys.sqlite3``, in production a separate PostgreSQL
database. A backup of the data database alone therefore holds only
ciphertext, and destroying a subject's data key here (crypto-shredding)
makes every copy of that subject's values unreadable.

Each wrapped key is bound to its owner by the wrapping associated data
(``data_key_aad``: the subject id; ``system_key_aad``: the key's name), so a
wrapped key copied onto another subject's row does not unwrap.

``SqlKeyStore`` is the real store; ``InMemoryKeyStore`` is the fake with the
same behaviour, shipped for unit tests and demos.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy import (
    ARRAY,
    Column,
    ColumnElement,
    Connection,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    any_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from derbes.errors import ConfigurationError, ConflictError, NotFoundError
from derbes.platform.clock import Clock
from derbes.platform.crypto import generate_key
from derbes.platform.db import busy_error, display_url, write_transaction
from derbes.platform.system_clock import SystemClock
from derbes.platform.tables import NAMING_CONVENTION, UtcDateTime
from derbes.vault.adapters.kek import KeyEncryptionKey, LocalKek

__all__ = [
    "AUDIT_CHAIN",
    "BLIND_INDEX",
    "SYSTEM_KEY_NAMES",
    "VERSION_TABLE",
    "InMemoryKeyStore",
    "KekCount",
    "KeyStore",
    "RotatableKeyStore",
    "SqlKeyStore",
    "count_keys",
    "data_key_aad",
    "data_keys",
    "keystore_metadata",
    "system_key_aad",
    "system_keys",
]

# Alembic's revision table of the key store; a name of its own so the key
# store can share a server or even a database with the data database.
VERSION_TABLE = "keystore_alembic_version"

BLIND_INDEX = "blind_index"
AUDIT_CHAIN = "audit_chain"
SYSTEM_KEY_NAMES = (BLIND_INDEX, AUDIT_CHAIN)

keystore_metadata = MetaData(naming_convention=NAMING_CONVENTION)

data_keys = Table(
    "data_keys",
    keystore_metadata,
    Column("subject_id", String(100), primary_key=True),
    Column("kek_id", String(100), nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

system_keys = Table(
    "system_keys",
    keystore_metadata,
    Column("name", String(50), primary_key=True),
    Column("kek_id", String(100), nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

# Rows per INSERT/UPDATE executemany and per IN (...) list; small enough for
# SQLite's bound-parameter limit, large enough that a million keys take few trips.
_WRITE_CHUNK = 10_000
_READ_CHUNK = 500
_PG_CHUNK = 10_000  # one array parameter, not one bound parameter per id

_T = TypeVar("_T")


def data_key_aad(subject_id: str) -> bytes:
    """Wrapping associated data of a subject's data key: the subject id."""
    return b"derbes.data-key:" + subject_id.encode("utf-8")


def system_key_aad(name: str) -> bytes:
    """Wrapping associated data of a system key (distinct from any subject id's)."""
    return b"derbes.system-key:" + name.encode("utf-8")


class KeyStore(Protocol):
    def create_keys(self, subject_ids: Sequence[str]) -> dict[str, bytes]:
        """New 32-byte data keys, wrapped and stored in one transaction; returns them in clear."""
        ...

    def keys_for(self, subject_ids: Sequence[str]) -> dict[str, bytes]:
        """Unwrapped data keys; destroyed or unknown subject ids are absent."""
        ...

    def replace_key(self, subject_id: str) -> tuple[bytes, bytes]:
        """(old, new): the new key is stored and the old one destroyed (partial shredding)."""
        ...

    def replace_keys(self, subject_ids: Sequence[str]) -> dict[str, tuple[bytes, bytes]]:
        """``replace_key`` for many subjects in one key-store transaction (the
        retention sweep); subjects without a key are absent from the answer."""
        ...

    def destroy(self, subject_ids: Sequence[str]) -> int:
        """Delete the wrapped keys (crypto-shredding); returns how many existed."""
        ...

    def index_key(self) -> bytes:
        """The blind-index HMAC key (created on first use)."""
        ...

    def audit_key(self) -> bytes:
        """The audit-chain HMAC key (created on first use)."""
        ...


@dataclass(frozen=True)
class KekCount:
    """How many keys of a kind (``data`` or ``system``) one KEK wraps."""

    kind: str
    kek_id: str
    keys: int


class RotatableKeyStore(KeyStore, Protocol):
    """A key store the ``derbes keys`` commands can inspect, initialise and rotate."""

    @property
    def kek(self) -> KeyEncryptionKey: ...

    def ensure_system_keys(self) -> tuple[str, ...]:
        """Create the missing system keys; returns the names created."""
        ...

    def kek_counts(self) -> list[KekCount]:
        """Keys per (kind, kek_id); reads no key material."""
        ...

    def rewrap(
        self, old: KeyEncryptionKey, new: KeyEncryptionKey, *, batch_size: int = 1000
    ) -> Iterator[int]:
        """Re-wrap every key not yet wrapped by ``new``; yields the count of each committed batch.

        Keys already wrapped by ``new`` (same ``kek_id``) are skipped, so an
        interrupted rotation resumes where it stopped.
        """
        ...


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _unique(subject_ids: Sequence[str]) -> list[str]:
    ids = list(subject_ids)
    if any(not isinstance(sid, str) or not sid for sid in ids):
        raise ValueError("a subject id is a non-empty string")
    if len(set(ids)) != len(ids):
        raise ConflictError("the same subject id is given twice: one data key per subject")
    return ids


def _unwrap(
    keks: Sequence[KeyEncryptionKey], kek_id: str, wrapped: bytes, aad: bytes
) -> bytes:
    """Unwrap with the KEK that wrapped the key (by ``kek_id``), else try the first one.

    The fallback covers KEKs whose id changes while they can still unwrap old
    keys (a Vault Transit key rotated to a new version).
    """
    for kek in keks:
        if kek.kek_id == kek_id:
            return kek.unwrap(wrapped, aad)
    current = keks[0]
    try:
        return current.unwrap(wrapped, aad)
    except ConfigurationError:
        source = getattr(current, "source", "the configured source")
        raise ConfigurationError(
            f"a stored key is wrapped by KEK {kek_id}, but the configured KEK is "
            f"{current.kek_id} (from {source}): configure the KEK that wrapped the keys, "
            "or finish an interrupted `derbes keys rotate`"
        ) from None


# Bulk statements. PostgreSQL gets one statement per batch with array
# parameters (unnest / ANY), so a batch is one round trip instead of one per
# row; SQLite, in process, takes a plain executemany at the driver.
_PG_INSERT_DATA_KEYS = text(
    "INSERT INTO data_keys (subject_id, kek_id, wrapped, created_at) "
    "SELECT v.subject_id, :kek_id, v.wrapped, :created_at "
    "FROM unnest(CAST(:subject_ids AS VARCHAR[]), CAST(:wrapped AS BYTEA[])) "
    "AS v(subject_id, wrapped)"
)
_PG_REWRAP = {
    table.name: text(
        f"UPDATE {table.name} AS t SET kek_id = :new_kek_id, wrapped = v.wrapped "  # noqa: S608
        "FROM unnest(CAST(:keys AS VARCHAR[]), CAST(:old_kek_ids AS VARCHAR[]), "
        "CAST(:wrapped AS BYTEA[])) AS v(key, old_kek_id, wrapped) "
        f"WHERE t.{pk} = v.key AND t.kek_id = v.old_kek_id"
    )
    for table, pk in ((data_keys, "subject_id"), (system_keys, "name"))
}
_SQLITE_INSERT_DATA_KEYS = (
    "INSERT INTO data_keys (subject_id, kek_id, wrapped, created_at) VALUES (?, ?, ?, ?)"
)
_SQLITE_REWRAP = {
    table.name: f"UPDATE {table.name} SET kek_id = ?, wrapped = ? "  # noqa: S608
    f"WHERE {pk} = ? AND kek_id = ?"
    for table, pk in ((data_keys, "subject_id"), (system_keys, "name"))
}


def _is_postgresql(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def _insert_data_keys(
    connection: Connection, kek_id: str, created_at: datetime, rows: Sequence[tuple[str, bytes]]
) -> None:
    """Insert (subject id, wrapped key) rows in one statement or one executemany."""
    if _is_postgresql(connection):
        connection.execute(
            _PG_INSERT_DATA_KEYS,
            {
                "kek_id": kek_id,
                "created_at": created_at,
                "subject_ids": [sid for sid, _w in rows],
                "wrapped": [wrapped for _s, wrapped in rows],
            },
        )
        return
    if connection.dialect.name != "sqlite":  # pragma: no cover - make_engine allows only these
        connection.execute(
            insert(data_keys),
            [
                {"subject_id": sid, "kek_id": kek_id, "wrapped": w, "created_at": created_at}
                for sid, w in rows
            ],
        )
        return
    # The dialect's own implementation (SQLite stores datetimes as text), so the
    # value is written exactly as SQLAlchemy writes it everywhere else.
    dialect = connection.dialect
    processor = data_keys.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
    stamp = processor(created_at) if processor else created_at
    connection.exec_driver_sql(
        _SQLITE_INSERT_DATA_KEYS, [(sid, kek_id, w, stamp) for sid, w in rows]
    )


def _store_rewrapped(
    connection: Connection, table: Table, new_kek_id: str, rows: Sequence[tuple[str, str, bytes]]
) -> None:
    """Store (key, old kek_id, new wrapped) rows; a row changed meanwhile is left alone."""
    if not rows:
        return
    if _is_postgresql(connection):
        connection.execute(
            _PG_REWRAP[table.name],
            {
                "new_kek_id": new_kek_id,
                "keys": [key for key, _o, _w in rows],
                "old_kek_ids": [old for _k, old, _w in rows],
                "wrapped": [wrapped for _k, _o, wrapped in rows],
            },
        )
        return
    connection.exec_driver_sql(
        _SQLITE_REWRAP[table.name],
        [(new_kek_id, wrapped, key, old) for key, old, wrapped in rows],
    )


def _where_subject_in(connection: Connection, chunk: Sequence[str]) -> ColumnElement[bool]:
    if _is_postgresql(connection):
        return data_keys.c.subject_id == any_(cast(list(chunk), ARRAY(String)))
    return data_keys.c.subject_id.in_(chunk)


@contextmanager
def _using(engine: Engine, *, write: bool) -> Iterator[Connection]:
    """A connection (``write``: a transaction) whose database failures say what to do."""
    try:
        # A writer takes the lock up front (SQLite), so it waits for others, not fails.
        with write_transaction(engine) if write else engine.connect() as connection:
            yield connection
    except (OperationalError, ProgrammingError) as exc:
        busy = busy_error(exc)
        if busy is not None:
            raise busy from exc
        # The driver's first line names the table or host, never a bound value.
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise ConfigurationError(
            f"cannot use the key store at {display_url(engine.url)}: {reason} "
            "(is it initialised? run `derbes init`)",
            field="keystore_url",
        ) from None


def count_keys(engine: Engine) -> list[KekCount]:
    """Keys per (kind, kek_id) in the key store at ``engine``; needs no KEK."""
    counts: list[KekCount] = []
    with _using(engine, write=False) as connection:
        for kind, table in (("data", data_keys), ("system", system_keys)):
            rows = connection.execute(
                select(table.c.kek_id, func.count())
                .group_by(table.c.kek_id)
                .order_by(table.c.kek_id)
            )
            counts.extend(KekCount(kind, kek_id, int(n)) for kek_id, n in rows)
    return counts


class SqlKeyStore:
    """The key store on its own SQLAlchemy engine (SQLite file or PostgreSQL database).

    ``also_unwrap_with``: further KEKs accepted for reading (the old KEK while a
    rotation is in progress); new keys are always wrapped by ``kek``.
    """

    def __init__(
        self,
        engine: Engine,
        kek: KeyEncryptionKey,
        *,
        clock: Clock | None = None,
        also_unwrap_with: Sequence[KeyEncryptionKey] = (),
    ) -> None:
        self.engine = engine
        self._kek = kek
        self._keks: tuple[KeyEncryptionKey, ...] = (kek, *also_unwrap_with)
        self._clock: Clock = clock or SystemClock()
        self._system_cache: dict[str, bytes] = {}

    @property
    def kek(self) -> KeyEncryptionKey:
        return self._kek

    def _now(self) -> datetime:
        return self._clock.now()

    # -- data keys ---------------------------------------------------------

    def create_keys(self, subject_ids: Sequence[str]) -> dict[str, bytes]:
        ids = _unique(subject_ids)
        if not ids:
            return {}
        kek_id = self._kek.kek_id
        now = self._now()
        keys: dict[str, bytes] = {}
        wrap = self._kek.wrap
        try:
            with _using(self.engine, write=True) as connection:
                for chunk in _chunks(ids, _WRITE_CHUNK):
                    rows = []
                    for sid in chunk:
                        key = generate_key()
                        keys[sid] = key
                        rows.append((sid, wrap(key, data_key_aad(sid))))
                    _insert_data_keys(connection, kek_id, now, rows)
        except IntegrityError:
            raise ConflictError(
                "a data key already exists for one of these subjects; nothing was stored"
            ) from None
        return keys

    def keys_for(self, subject_ids: Sequence[str]) -> dict[str, bytes]:
        ids = list(dict.fromkeys(subject_ids))
        found: dict[str, bytes] = {}
        if not ids:
            return found
        query = select(data_keys.c.subject_id, data_keys.c.kek_id, data_keys.c.wrapped)
        with _using(self.engine, write=False) as connection:
            size = _PG_CHUNK if _is_postgresql(connection) else _READ_CHUNK
            for chunk in _chunks(ids, size):
                rows = connection.execute(query.where(_where_subject_in(connection, chunk)))
                for sid, kek_id, wrapped in rows:
                    found[sid] = _unwrap(self._keks, kek_id, wrapped, data_key_aad(sid))
        return found

    def replace_key(self, subject_id: str) -> tuple[bytes, bytes]:
        with _using(self.engine, write=True) as connection:
            row = connection.execute(
                select(data_keys.c.kek_id, data_keys.c.wrapped)
                .where(data_keys.c.subject_id == subject_id)
                .with_for_update()
            ).one_or_none()
            if row is None:
                raise NotFoundError("no data key for this subject: unknown or already destroyed")
            aad = data_key_aad(subject_id)
            old = _unwrap(self._keks, row.kek_id, row.wrapped, aad)
            new = generate_key()
            connection.execute(
                update(data_keys)
                .where(data_keys.c.subject_id == subject_id)
                .values(
                    kek_id=self._kek.kek_id,
                    wrapped=self._kek.wrap(new, aad),
                    created_at=self._now(),
                )
            )
        return old, new

    def replace_keys(self, subject_ids: Sequence[str]) -> dict[str, tuple[bytes, bytes]]:
        ids = list(dict.fromkeys(subject_ids))
        swapped: dict[str, tuple[bytes, bytes]] = {}
        if not ids:
            return swapped
        kek, now = self._kek, self._now()
        query = select(data_keys.c.subject_id, data_keys.c.kek_id, data_keys.c.wrapped)
        with _using(self.engine, write=True) as connection:
            size = _PG_CHUNK if _is_postgresql(connection) else _READ_CHUNK
            for chunk in _chunks(ids, size):
                rows = connection.execute(
                    query.where(_where_subject_in(connection, chunk)).with_for_update()
                ).all()
                updates = []
                for sid, kek_id, wrapped in rows:
                    aad = data_key_aad(sid)
                    old, new = _unwrap(self._keks, kek_id, wrapped, aad), generate_key()
                    swapped[sid] = (old, new)
                    updates.append({"sid": sid, "w": kek.wrap(new, aad)})
                if updates:
                    connection.execute(
                        update(data_keys)
                        .where(data_keys.c.subject_id == bindparam("sid"))
                        .values(kek_id=kek.kek_id, wrapped=bindparam("w"), created_at=now),
                        updates,
                    )
        return swapped

    def destroy(self, subject_ids: Sequence[str]) -> int:
        ids = list(dict.fromkeys(subject_ids))
        destroyed = 0
        if not ids:
            return destroyed
        with _using(self.engine, write=True) as connection:
            size = _PG_CHUNK if _is_postgresql(connection) else _READ_CHUNK
            for chunk in _chunks(ids, size):
                result = connection.execute(
                    delete(data_keys).where(_where_subject_in(connection, chunk))
                )
                destroyed += result.rowcount
        return destroyed

    # -- system keys -------------------------------------------------------

    def _load_system_key(self, name: str) -> bytes | None:
        with _using(self.engine, write=False) as connection:
            row = connection.execute(
                select(system_keys.c.kek_id, system_keys.c.wrapped).where(
                    system_keys.c.name == name
                )
            ).one_or_none()
        if row is None:
            return None
        return _unwrap(self._keks, row.kek_id, row.wrapped, system_key_aad(name))

    def _create_system_key(self, name: str) -> bool:
        key = generate_key()
        try:
            with _using(self.engine, write=True) as connection:
                connection.execute(
                    insert(system_keys).values(
                        name=name,
                        kek_id=self._kek.kek_id,
                        wrapped=self._kek.wrap(key, system_key_aad(name)),
                        created_at=self._now(),
                    )
                )
        except IntegrityError:
            return False  # another process created it first; use theirs
        return True

    def _system_key(self, name: str) -> bytes:
        cached = self._system_cache.get(name)
        if cached is not None:
            return cached
        key = self._load_system_key(name)
        if key is None:
            self._create_system_key(name)
            key = self._load_system_key(name)
            if key is None:  # pragma: no cover - deleted between insert and read
                raise ConfigurationError(f"the system key {name!r} vanished from the key store")
        self._system_cache[name] = key
        return key

    def index_key(self) -> bytes:
        return self._system_key(BLIND_INDEX)

    def audit_key(self) -> bytes:
        return self._system_key(AUDIT_CHAIN)

    def ensure_system_keys(self) -> tuple[str, ...]:
        with _using(self.engine, write=False) as connection:
            present = set(connection.execute(select(system_keys.c.name)).scalars())
        created = tuple(
            name
            for name in SYSTEM_KEY_NAMES
            if name not in present and self._create_system_key(name)
        )
        for name in SYSTEM_KEY_NAMES:
            self._system_key(name)  # proves the KEK unwraps them
        return created

    # -- rotation ----------------------------------------------------------

    def kek_counts(self) -> list[KekCount]:
        return count_keys(self.engine)

    def rewrap(
        self, old: KeyEncryptionKey, new: KeyEncryptionKey, *, batch_size: int = 1000
    ) -> Iterator[int]:
        if batch_size < 1:
            raise ValueError("batch_size is at least 1")
        new_id = new.kek_id
        readers = (old, *self._keks)
        # System keys first: few rows, one transaction.
        with _using(self.engine, write=True) as connection:
            rows = connection.execute(
                select(system_keys.c.name, system_keys.c.kek_id, system_keys.c.wrapped)
                .where(system_keys.c.kek_id != new_id)
                .with_for_update()
            ).all()
            _store_rewrapped(
                connection,
                system_keys,
                new_id,
                [
                    (name, kek_id, new.wrap(_unwrap(readers, kek_id, wrapped, aad), aad))
                    for name, kek_id, wrapped in rows
                    for aad in [system_key_aad(name)]
                ],
            )
        if rows:
            yield len(rows)
        # Data keys in primary-key order, one transaction per batch (keyset
        # pagination: each batch is an index range scan, never an OFFSET).
        after: str | None = None
        while True:
            query = (
                select(data_keys.c.subject_id, data_keys.c.kek_id, data_keys.c.wrapped)
                .where(data_keys.c.kek_id != new_id)
                .order_by(data_keys.c.subject_id)
                .limit(batch_size)
                .with_for_update()
            )
            if after is not None:
                query = query.where(data_keys.c.subject_id > after)
            with _using(self.engine, write=True) as connection:
                batch = connection.execute(query).all()
                if not batch:
                    return
                _store_rewrapped(
                    connection,
                    data_keys,
                    new_id,
                    [
                        (sid, kek_id, new.wrap(_unwrap(readers, kek_id, wrapped, aad), aad))
                        for sid, kek_id, wrapped in batch
                        for aad in [data_key_aad(sid)]
                    ],
                )
            after = batch[-1].subject_id
            yield len(batch)


class InMemoryKeyStore:
    """The key store in a dict: same contract as ``SqlKeyStore``, for unit tests and demos.

    Keys are kept wrapped, exactly as the SQL store keeps them, so KEK
    mistakes and rotation behave the same.
    """

    def __init__(
        self,
        kek: KeyEncryptionKey | None = None,
        *,
        also_unwrap_with: Sequence[KeyEncryptionKey] = (),
    ) -> None:
        self._kek: KeyEncryptionKey = kek or LocalKek.generate()
        self._keks: tuple[KeyEncryptionKey, ...] = (self._kek, *also_unwrap_with)
        self.data: dict[str, tuple[str, bytes]] = {}  # subject id -> (kek_id, wrapped)
        self.system: dict[str, tuple[str, bytes]] = {}  # name -> (kek_id, wrapped)

    @property
    def kek(self) -> KeyEncryptionKey:
        return self._kek

    def create_keys(self, subject_ids: Sequence[str]) -> dict[str, bytes]:
        ids = _unique(subject_ids)
        if any(sid in self.data for sid in ids):
            raise ConflictError(
                "a data key already exists for one of these subjects; nothing was stored"
            )
        keys = {sid: generate_key() for sid in ids}
        kek_id = self._kek.kek_id
        for sid, key in keys.items():
            self.data[sid] = (kek_id, self._kek.wrap(key, data_key_aad(sid)))
        return keys

    def keys_for(self, subject_ids: Sequence[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for sid in dict.fromkeys(subject_ids):
            stored = self.data.get(sid)
            if stored is not None:
                found[sid] = _unwrap(self._keks, stored[0], stored[1], data_key_aad(sid))
        return found

    def replace_key(self, subject_id: str) -> tuple[bytes, bytes]:
        stored = self.data.get(subject_id)
        if stored is None:
            raise NotFoundError("no data key for this subject: unknown or already destroyed")
        aad = data_key_aad(subject_id)
        old = _unwrap(self._keks, stored[0], stored[1], aad)
        new = generate_key()
        self.data[subject_id] = (self._kek.kek_id, self._kek.wrap(new, aad))
        return old, new

    def replace_keys(self, subject_ids: Sequence[str]) -> dict[str, tuple[bytes, bytes]]:
        return {sid: self.replace_key(sid) for sid in dict.fromkeys(subject_ids)
                if sid in self.data}

    def destroy(self, subject_ids: Sequence[str]) -> int:
        return sum(self.data.pop(sid, None) is not None for sid in dict.fromkeys(subject_ids))

    def _system_key(self, name: str) -> bytes:
        stored = self.system.get(name)
        if stored is None:
            key = generate_key()
            self.system[name] = (self._kek.kek_id, self._kek.wrap(key, system_key_aad(name)))
            return key
        return _unwrap(self._keks, stored[0], stored[1], system_key_aad(name))

    def index_key(self) -> bytes:
        return self._system_key(BLIND_INDEX)

    def audit_key(self) -> bytes:
        return self._system_key(AUDIT_CHAIN)

    def ensure_system_keys(self) -> tuple[str, ...]:
        created = tuple(name for name in SYSTEM_KEY_NAMES if name not in self.system)
        for name in SYSTEM_KEY_NAMES:
            self._system_key(name)
        return created

    def kek_counts(self) -> list[KekCount]:
        counts: list[KekCount] = []
        for kind, store in (("data", self.data), ("system", self.system)):
            per_kek: dict[str, int] = {}
            for kek_id, _wrapped in store.values():
                per_kek[kek_id] = per_kek.get(kek_id, 0) + 1
            counts.extend(KekCount(kind, k, n) for k, n in sorted(per_kek.items()))
        return counts

    def rewrap(
        self, old: KeyEncryptionKey, new: KeyEncryptionKey, *, batch_size: int = 1000
    ) -> Iterator[int]:
        if batch_size < 1:
            raise ValueError("batch_size is at least 1")
        new_id = new.kek_id
        readers = (old, *self._keks)
        system = [(n, s) for n, s in sorted(self.system.items()) if s[0] != new_id]
        rewrapped = {
            name: (new_id, new.wrap(_unwrap(readers, k, w, aad), aad))
            for name, (k, w) in system
            for aad in [system_key_aad(name)]
        }
        self.system.update(rewrapped)
        if rewrapped:
            yield len(rewrapped)
        pending = sorted(sid for sid, (kek_id, _w) in self.data.items() if kek_id != new_id)
        for chunk in _chunks(pending, batch_size):
            batch: dict[str, tuple[str, bytes]] = {}
            for sid in chunk:
                stored = self.data.get(sid)
                if stored is None or stored[0] == new_id:
                    continue
                aad = data_key_aad(sid)
                batch[sid] = (new_id, new.wrap(_unwrap(readers, stored[0], stored[1], aad), aad))
            self.data.update(batch)  # all of a batch or nothing, like one transaction
            yield len(batch)

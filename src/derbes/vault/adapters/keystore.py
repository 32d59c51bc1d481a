"""The key store: per-subject data keys and system keys, wrapped.

It lives in a database SEPARATE from the data database (issue 3): by default
its own SQLite file ``var/keys.sqlite3``, in production a separate PostgreSQL
database. A backup of the data database alone therefore holds only
ciphertext, and destroying a subject's data key here (crypto-shredding)
makes every copy of that subject's values unreadable.

Each wrapped key is bound to its owner by the wrapping associated data
(``data_key_aad``: the subject id; ``system_key_aad``: the key's name), so a
wrapped key copied onto another subject's row does not unwrap.

What wraps a data key
    With an epoch keyring (``epochs=``, what derbes itself always uses) a data
    key is wrapped by the key of the open *key epoch* (``kek_id`` "epoch:N",
    see ``vault/adapters/key_epochs.py``); without one, directly by the KEK (stores
    made before epochs existed, and tools). System keys are always wrapped by
    the KEK.

Destroying for good
    A deleted row is not gone from the disk by itself. On SQLite every write
    transaction of the key store runs with ``secure_delete`` (freed cells and
    pages are overwritten with zeros), and after every destruction the WAL is
    checkpointed into the main file and truncated (:meth:`SqlKeyStore.scrub`):
    when ``destroy`` returns, neither ``keys.sqlite3`` nor its ``-wal`` holds
    the destroyed key any more. Copies the database cannot reach — PostgreSQL
    dead tuples, WAL and archives, backups of the key store on either
    database — are made useless by closing the key epoch
    (:meth:`SqlKeyStore.close_epoch`): the surviving keys are re-wrapped under
    the next epoch and the old epoch's key is destroyed outside the database.

Partial destruction (a key swap)
    Destroying some categories of a subject gives it a new key and re-seals
    the values it keeps. The new key is first stored BESIDE the current one,
    tagged with a swap id (:meth:`SqlKeyStore.prepare_swaps`); the data
    database then re-seals and records the swap id in its journal in one
    transaction; only then does the new key replace the old one
    (:meth:`SqlKeyStore.finish_swaps`). Until then readers get both keys
    (:meth:`SqlKeyStore.candidate_keys`), so a crash at any point leaves every
    kept value readable; ``vault/service/keyswap.py`` settles interrupted swaps.

``SqlKeyStore`` is the real store; ``InMemoryKeyStore`` is the fake with the
same behaviour, shipped for unit tests and demos.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import (
    ARRAY,
    Column,
    ColumnElement,
    Connection,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    and_,
    any_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from derbes.errors import ConfigurationError, ConflictError, NotFoundError
from derbes.platform.clock import Clock
from derbes.platform.crypto import generate_key
from derbes.platform.db import busy_error, display_url, write_transaction
from derbes.platform.faults import crash_point
from derbes.platform.system_clock import SystemClock
from derbes.platform.tables import NAMING_CONVENTION, UtcDateTime
from derbes.vault.adapters.kek import KeyEncryptionKey, LocalKek
from derbes.vault.adapters.key_epochs import EpochCipher, EpochKeyring, parse_epoch_kek_id
from derbes.vault.ports import KeyStore

__all__ = [
    "AUDIT_CHAIN",
    "BLIND_INDEX",
    "SYSTEM_KEY_NAMES",
    "VERSION_TABLE",
    "EpochInfo",
    "EpochKeyStore",
    "EpochState",
    "EpochStep",
    "InMemoryKeyStore",
    "KekCount",
    "KeyStore",
    "RotatableKeyStore",
    "SqlKeyStore",
    "count_keys",
    "data_key_aad",
    "data_keys",
    "is_epoch_kek_id",
    "key_epochs",
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
    # The KEK's id, or "epoch:N" when the key of epoch N wraps it (then ``epoch`` = N).
    Column("kek_id", String(100), nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("epoch", Integer, nullable=True),
    # A partial destruction in progress: the next key, stored beside the current one.
    Column("swap_id", String(36), nullable=True),
    Column("next_kek_id", String(100), nullable=True),
    Column("next_epoch", Integer, nullable=True),
    Column("next_wrapped", LargeBinary, nullable=True),
    Index("ix_data_keys_epoch", "epoch"),
    Index("ix_data_keys_swap_id", "swap_id"),
    Index("ix_data_keys_next_epoch", "next_epoch"),
)

system_keys = Table(
    "system_keys",
    keystore_metadata,
    Column("name", String(50), primary_key=True),
    Column("kek_id", String(100), nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

key_epochs = Table(
    "key_epochs",
    keystore_metadata,
    Column("epoch", Integer, primary_key=True, autoincrement=False),
    Column("state", String(10), nullable=False),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("closing_at", UtcDateTime(), nullable=True),
    Column("closed_at", UtcDateTime(), nullable=True),
    # Keys destroyed while this epoch wrapped them: copies of the key store
    # still give them back until the epoch is closed.
    Column("keys_destroyed", Integer, nullable=False, server_default="0"),
    Column("first_destroyed_at", UtcDateTime(), nullable=True),
)


class EpochState:
    OPEN = "open"  # new keys are wrapped by it
    CLOSING = "closing"  # its keys are being re-wrapped under the next epoch
    CLOSED = "closed"  # no key is wrapped by it; its key is (being) destroyed


# Rows per INSERT/UPDATE executemany and per IN (...) list; small enough for
# SQLite's bound-parameter limit, large enough that a million keys take few trips.
_WRITE_CHUNK = 10_000
_READ_CHUNK = 500
_PG_CHUNK = 10_000  # one array parameter, not one bound parameter per id
# A WAL checkpoint waits for readers through the busy handler (5 s each try).
_SCRUB_ATTEMPTS = 4

_T = TypeVar("_T")


def data_key_aad(subject_id: str) -> bytes:
    """Wrapping associated data of a subject's data key: the subject id."""
    return b"derbes.data-key:" + subject_id.encode("utf-8")


def system_key_aad(name: str) -> bytes:
    """Wrapping associated data of a system key (distinct from any subject id's)."""
    return b"derbes.system-key:" + name.encode("utf-8")


@dataclass(frozen=True)
class KekCount:
    """How many keys of a kind (``data``, ``system`` or ``epoch``) one KEK wraps."""

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
        """Re-wrap every key the KEK wraps and that is not yet wrapped by ``new``
        (system keys, epoch keys, data keys made without epochs); yields the count
        of each committed batch.

        Keys already wrapped by ``new`` (same ``kek_id``) are skipped, so an
        interrupted rotation resumes where it stopped.
        """
        ...


@dataclass(frozen=True)
class EpochInfo:
    epoch: int
    state: str
    opened_at: datetime
    closing_at: datetime | None
    closed_at: datetime | None
    keys: int  # data keys (current or next) it wraps now
    keys_destroyed: int
    first_destroyed_at: datetime | None
    key_exists: bool  # its key is still in the keyring


@dataclass(frozen=True)
class EpochStep:
    """One step of an epoch close: ``opened`` (the next epoch), ``rewrapped``
    (a batch of ``count`` keys), ``closed``, ``destroyed`` (its key)."""

    epoch: int
    step: str
    count: int = 0
    next_epoch: int | None = None


class EpochKeyStore(RotatableKeyStore, Protocol):
    """A key store whose data keys are wrapped by key epochs (``derbes keys epoch``)."""

    @property
    def epochs(self) -> EpochKeyring | None: ...

    def ensure_epoch(self) -> int:
        """The open epoch, opened first if there is none."""
        ...

    def epoch_status(self) -> list[EpochInfo]: ...

    def legacy_keys(self) -> int:
        """Data keys wrapped directly by the KEK (made before epochs)."""
        ...

    def close_epoch(self, *, batch_size: int = 1000, force: bool = False
                    ) -> Iterator[EpochStep]: ...

    def scrub(self) -> None: ...


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
    "INSERT INTO data_keys (subject_id, kek_id, epoch, wrapped, created_at) "
    "SELECT v.subject_id, :kek_id, CAST(:epoch AS INTEGER), v.wrapped, :created_at "
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
    "INSERT INTO data_keys (subject_id, kek_id, epoch, wrapped, created_at) "
    "VALUES (?, ?, ?, ?, ?)"
)
_SQLITE_REWRAP = {
    table.name: f"UPDATE {table.name} SET kek_id = ?, wrapped = ? "  # noqa: S608
    f"WHERE {pk} = ? AND kek_id = ?"
    for table, pk in ((data_keys, "subject_id"), (system_keys, "name"))
}


def _is_postgresql(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def _epoch_of(wrapper: KeyEncryptionKey) -> int | None:
    return wrapper.epoch if isinstance(wrapper, EpochCipher) else None


def _insert_data_keys(
    connection: Connection, wrapper: KeyEncryptionKey, created_at: datetime,
    rows: Sequence[tuple[str, bytes]],
) -> None:
    """Insert (subject id, wrapped key) rows in one statement or one executemany."""
    kek_id, epoch = wrapper.kek_id, _epoch_of(wrapper)
    if _is_postgresql(connection):
        connection.execute(
            _PG_INSERT_DATA_KEYS,
            {
                "kek_id": kek_id,
                "epoch": epoch,
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
                {"subject_id": sid, "kek_id": kek_id, "epoch": epoch, "wrapped": w,
                 "created_at": created_at}
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
        _SQLITE_INSERT_DATA_KEYS, [(sid, kek_id, epoch, w, stamp) for sid, w in rows]
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


def _overwrite_deletions(connection: Connection) -> None:
    """SQLite: overwrite what this transaction deletes.

    ``secure_delete`` makes SQLite zero the space a deleted or moved row leaves
    behind in its page and every page it frees, so a destroyed key does not
    linger in the file's free space. (The write lock itself is taken up front by
    :func:`~derbes.platform.db.write_transaction`.)
    """
    connection.exec_driver_sql("PRAGMA secure_delete=ON")


@contextmanager
def _using(engine: Engine, *, write: bool) -> Iterator[Connection]:
    """A connection (``write``: a transaction) whose database failures say what to do."""
    try:
        # A writer takes the lock up front (SQLite), so it waits for others, not fails.
        with write_transaction(engine) if write else engine.connect() as connection:
            if write and connection.dialect.name == "sqlite":
                _overwrite_deletions(connection)
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


def count_keys(engine: Engine, epochs: EpochKeyring | None = None) -> list[KekCount]:
    """Keys per (kind, kek_id) in the key store at ``engine``; needs no KEK.

    ``epochs``: also count the epoch keys of this keyring, per KEK that wraps them.
    """
    counts: list[KekCount] = []
    with _using(engine, write=False) as connection:
        for kind, table in (("data", data_keys), ("system", system_keys)):
            rows = connection.execute(
                select(table.c.kek_id, func.count())
                .group_by(table.c.kek_id)
                .order_by(table.c.kek_id)
            )
            counts.extend(KekCount(kind, kek_id, int(n)) for kek_id, n in rows)
    if epochs is not None:
        per_kek: dict[str, int] = {}
        for kek_id in epochs.kek_ids().values():
            per_kek[kek_id] = per_kek.get(kek_id, 0) + 1
        counts.extend(KekCount("epoch", k, n) for k, n in sorted(per_kek.items()))
    return counts


_ALL_KEY_COLUMNS = (
    data_keys.c.subject_id, data_keys.c.kek_id, data_keys.c.epoch, data_keys.c.wrapped,
    data_keys.c.swap_id, data_keys.c.next_kek_id, data_keys.c.next_epoch,
    data_keys.c.next_wrapped,
)


class SqlKeyStore:
    """The key store on its own SQLAlchemy engine (SQLite file or PostgreSQL database).

    ``also_unwrap_with``: further KEKs accepted for reading (the old KEK while a
    rotation is in progress); new keys are always wrapped by ``kek``.
    ``epochs``: the keyring of key epochs; derbes always passes one (see the
    module docstring), a store without it wraps data keys with the KEK.
    """

    def __init__(
        self,
        engine: Engine,
        kek: KeyEncryptionKey,
        *,
        clock: Clock | None = None,
        also_unwrap_with: Sequence[KeyEncryptionKey] = (),
        epochs: EpochKeyring | None = None,
    ) -> None:
        self.engine = engine
        self._kek = kek
        self._keks: tuple[KeyEncryptionKey, ...] = (kek, *also_unwrap_with)
        self._clock: Clock = clock or SystemClock()
        self._system_cache: dict[str, bytes] = {}
        self._epochs = epochs
        self._open_epoch_known = False

    @property
    def kek(self) -> KeyEncryptionKey:
        return self._kek

    @property
    def epochs(self) -> EpochKeyring | None:
        return self._epochs

    def _now(self) -> datetime:
        return self._clock.now()

    @property
    def _sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    # -- unwrapping --------------------------------------------------------

    def _epoch_cipher(self, epoch: int) -> EpochCipher:
        if self._epochs is None:
            raise ConfigurationError(
                f"this key store wraps data keys with key epochs (epoch {epoch}); open it with "
                "its epoch directory (DERBES_KEY_EPOCHS_DIR)"
            )
        return self._epochs.cipher(epoch)

    def _open(self, subject_id: str, kek_id: str, epoch: int | None, wrapped: bytes) -> bytes:
        aad = data_key_aad(subject_id)
        if epoch is not None:
            return self._epoch_cipher(epoch).unwrap(bytes(wrapped), aad)
        return _unwrap(self._keks, kek_id, bytes(wrapped), aad)

    def _read_rows(self, ids: Sequence[str]) -> list[Any]:
        rows: list[Any] = []
        with _using(self.engine, write=False) as connection:
            size = _PG_CHUNK if _is_postgresql(connection) else _READ_CHUNK
            for chunk in _chunks(ids, size):
                rows.extend(connection.execute(
                    select(*_ALL_KEY_COLUMNS).where(_where_subject_in(connection, chunk))))
        return rows

    def _opened(self, subject_ids: Sequence[str], *, with_next: bool
                ) -> dict[str, tuple[bytes, ...]]:
        ids = list(dict.fromkeys(subject_ids))
        if not ids:
            return {}
        for attempt in (1, 2):
            try:
                found: dict[str, tuple[bytes, ...]] = {}
                for row in self._read_rows(ids):
                    keys = [self._open(row.subject_id, row.kek_id, row.epoch, row.wrapped)]
                    if with_next and row.swap_id is not None:
                        keys.append(self._open(row.subject_id, row.next_kek_id,
                                               row.next_epoch, row.next_wrapped))
                    found[row.subject_id] = tuple(keys)
                return found
            except ConfigurationError:
                # An epoch closed between reading a row and opening it: the row
                # has been re-wrapped since; read it once more.
                if attempt == 2 or self._epochs is None:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    # -- data keys ---------------------------------------------------------

    def _wrapper(self, connection: Connection) -> KeyEncryptionKey:
        """What wraps the keys this transaction creates: the open epoch's key, or the KEK.

        The open epoch is read inside the transaction that stores the keys
        (PostgreSQL: FOR SHARE, so an epoch close waits for it), so no key is
        ever stored under an epoch that a close has already emptied.
        """
        if self._epochs is None:
            return self._kek
        query = select(key_epochs.c.epoch).where(key_epochs.c.state == EpochState.OPEN)
        if _is_postgresql(connection):
            query = query.with_for_update(read=True)
        epoch = connection.execute(query).scalar_one_or_none()
        if epoch is None:
            raise ConfigurationError("the key store has no open key epoch (run `derbes init`)")
        return self._epochs.cipher(epoch)

    def create_keys(self, subject_ids: Sequence[str]) -> dict[str, bytes]:
        ids = _unique(subject_ids)
        if not ids:
            return {}
        self._ensure_epoch_once()
        now = self._now()
        keys: dict[str, bytes] = {}
        try:
            with _using(self.engine, write=True) as connection:
                wrapper = self._wrapper(connection)
                wrap = wrapper.wrap
                for chunk in _chunks(ids, _WRITE_CHUNK):
                    rows = []
                    for sid in chunk:
                        key = generate_key()
                        keys[sid] = key
                        rows.append((sid, wrap(key, data_key_aad(sid))))
                    _insert_data_keys(connection, wrapper, now, rows)
        except IntegrityError:
            raise ConflictError(
                "a data key already exists for one of these subjects; nothing was stored"
            ) from None
        return keys

    def keys_for(self, subject_ids: Sequence[str]) -> dict[str, bytes]:
        return {sid: keys[0] for sid, keys in self._opened(subject_ids, with_next=False).items()}

    def candidate_keys(self, subject_ids: Sequence[str]) -> dict[str, tuple[bytes, ...]]:
        return self._opened(subject_ids, with_next=True)

    def replace_key(self, subject_id: str) -> tuple[bytes, bytes]:
        swap_id = str(uuid.uuid4())
        swapped = self.prepare_swaps([subject_id], swap_id)
        if subject_id not in swapped:
            raise NotFoundError("no data key for this subject: unknown or already destroyed")
        self.finish_swaps(swap_id, commit=True)
        return swapped[subject_id]

    def prepare_swaps(self, subject_ids: Sequence[str], swap_id: str
                      ) -> dict[str, tuple[bytes, bytes]]:
        ids = list(dict.fromkeys(subject_ids))
        swapped: dict[str, tuple[bytes, bytes]] = {}
        if not ids:
            return swapped
        self._ensure_epoch_once()
        with _using(self.engine, write=True) as connection:
            wrapper = self._wrapper(connection)
            size = _PG_CHUNK if _is_postgresql(connection) else _READ_CHUNK
            for chunk in _chunks(ids, size):
                rows = connection.execute(
                    select(*_ALL_KEY_COLUMNS).where(_where_subject_in(connection, chunk))
                    .with_for_update()).all()
                updates = []
                for row in rows:
                    sid = row.subject_id
                    old = self._open(sid, row.kek_id, row.epoch, row.wrapped)
                    if row.swap_id is not None:
                        if row.swap_id != swap_id:
                            raise ConflictError(
                                "another partial destruction of this subject is not finished "
                                "(a key swap is pending): settle it first", field="subject_id")
                        swapped[sid] = (old, self._open(sid, row.next_kek_id, row.next_epoch,
                                                        row.next_wrapped))
                        continue
                    new = generate_key()
                    swapped[sid] = (old, new)
                    updates.append({"b_sid": sid, "b_swap": swap_id, "b_kek": wrapper.kek_id,
                                    "b_epoch": _epoch_of(wrapper),
                                    "b_wrapped": wrapper.wrap(new, data_key_aad(sid))})
                if updates:
                    connection.execute(
                        update(data_keys).where(data_keys.c.subject_id == bindparam("b_sid"))
                        .values(swap_id=bindparam("b_swap"), next_kek_id=bindparam("b_kek"),
                                next_epoch=bindparam("b_epoch"),
                                next_wrapped=bindparam("b_wrapped")),
                        updates)
        return swapped

    def finish_swaps(self, swap_id: str, *, commit: bool) -> int:
        now = self._now()
        cleared = {"swap_id": None, "next_kek_id": None, "next_epoch": None,
                   "next_wrapped": None}
        with _using(self.engine, write=True) as connection:
            where = data_keys.c.swap_id == swap_id
            if commit:
                old_epochs = connection.execute(
                    select(data_keys.c.epoch).where(where).with_for_update()).scalars().all()
                result = connection.execute(update(data_keys).where(where).values(
                    kek_id=data_keys.c.next_kek_id, epoch=data_keys.c.next_epoch,
                    wrapped=data_keys.c.next_wrapped, created_at=now, **cleared))
                self._count_destroyed(connection, old_epochs, now)
            else:
                result = connection.execute(update(data_keys).where(where).values(**cleared))
            done = int(result.rowcount)
        if commit:
            self.scrub()
        return done

    def pending_swaps(self, subject_ids: Sequence[str] | None = None) -> list[str]:
        found: set[str] = set()
        with _using(self.engine, write=False) as connection:
            query = select(data_keys.c.swap_id).where(data_keys.c.swap_id.is_not(None))
            if subject_ids is None:
                found.update(connection.execute(query.distinct()).scalars())
            else:
                ids = list(dict.fromkeys(subject_ids))
                size = _PG_CHUNK if _is_postgresql(connection) else _READ_CHUNK
                for chunk in _chunks(ids, size):
                    found.update(connection.execute(
                        query.where(_where_subject_in(connection, chunk))).scalars())
        return sorted(found)

    def destroy(self, subject_ids: Sequence[str]) -> int:
        ids = list(dict.fromkeys(subject_ids))
        destroyed = 0
        if ids:
            now = self._now()
            with _using(self.engine, write=True) as connection:
                size = _PG_CHUNK if _is_postgresql(connection) else _READ_CHUNK
                epochs: list[int | None] = []
                for chunk in _chunks(ids, size):
                    rows = connection.execute(
                        delete(data_keys).where(_where_subject_in(connection, chunk))
                        .returning(data_keys.c.epoch, data_keys.c.next_epoch)).all()
                    destroyed += len(rows)
                    epochs.extend(e for row in rows for e in row)
                self._count_destroyed(connection, epochs, now)
        # Also when nothing was deleted: a rerun after a crash between the
        # delete and the scrub must still leave no copy in the WAL.
        self.scrub()
        return destroyed

    @staticmethod
    def _count_destroyed(connection: Connection, epochs: Sequence[int | None],
                         now: datetime) -> None:
        per: dict[int, int] = {}
        for epoch in epochs:
            if epoch is not None:
                per[epoch] = per.get(epoch, 0) + 1
        for epoch, n in sorted(per.items()):
            connection.execute(update(key_epochs).where(key_epochs.c.epoch == epoch).values(
                keys_destroyed=key_epochs.c.keys_destroyed + n,
                first_destroyed_at=func.coalesce(key_epochs.c.first_destroyed_at, now)))

    def scrub(self) -> None:
        """SQLite: fold the WAL into the main file and truncate it to zero bytes.

        After a destruction the WAL still holds every earlier version of the
        changed pages, the destroyed key among them; the checkpoint writes only
        the newest version of each page (zeroed by ``secure_delete``) into the
        main file and TRUNCATE empties the WAL. A checkpoint cannot finish
        while another connection reads an older snapshot: it waits (busy
        timeout) and tries again; if readers never let go, the destruction is
        reported as not finished (``ConfigurationError``) and running it again
        scrubs. Nothing to do on PostgreSQL (see ``close_epoch``).
        """
        if not self._sqlite:
            return
        for attempt in range(1, _SCRUB_ATTEMPTS + 1):
            with self.engine.connect() as connection:
                raw = connection.connection.driver_connection
                assert raw is not None
                busy, _log, _done = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy == 0:
                return
            if attempt < _SCRUB_ATTEMPTS:
                time.sleep(0.05 * attempt)
        raise ConfigurationError(
            f"the key store {display_url(self.engine.url)}: its WAL could not be emptied after "
            "a key was destroyed (another connection keeps reading): the key is gone from the "
            "database, but its old copy stays in the -wal file until the next scrub; "
            "run the destruction again", field="keystore_url")

    # -- key epochs --------------------------------------------------------

    def _ensure_epoch_once(self) -> None:
        if self._epochs is not None and not self._open_epoch_known:
            self.ensure_epoch()
            self._open_epoch_known = True

    def ensure_epoch(self) -> int:
        """The open epoch; the first one is opened (key file first, then its row)."""
        if self._epochs is None:
            raise ConfigurationError("this key store has no epoch keyring")
        while True:
            with _using(self.engine, write=False) as connection:
                current = connection.execute(select(key_epochs.c.epoch).where(
                    key_epochs.c.state == EpochState.OPEN)).scalar_one_or_none()
                top = connection.execute(select(func.max(key_epochs.c.epoch))).scalar()
            if current is not None:
                self._epochs.cipher(current)  # proves the key exists and the KEK opens it
                return int(current)
            epoch = int(top or 0) + 1
            # The key exists before any row names it: a crash in between leaves a
            # file that the next attempt adopts (same number), never a row
            # whose key is missing.
            self._epochs.create(epoch)
            try:
                with _using(self.engine, write=True) as connection:
                    if connection.execute(select(key_epochs.c.epoch).where(
                            key_epochs.c.state == EpochState.OPEN)).first() is None:
                        connection.execute(insert(key_epochs).values(
                            epoch=epoch, state=EpochState.OPEN, opened_at=self._now(),
                            keys_destroyed=0))
            except IntegrityError:
                continue  # another process opened it first

    def legacy_keys(self) -> int:
        with _using(self.engine, write=False) as connection:
            return int(connection.execute(select(func.count()).select_from(data_keys).where(
                data_keys.c.epoch.is_(None))).scalar_one())

    def epoch_status(self) -> list[EpochInfo]:
        with _using(self.engine, write=False) as connection:
            rows = connection.execute(select(key_epochs).order_by(key_epochs.c.epoch)).all()
            per: dict[int, int] = {}
            for column in (data_keys.c.epoch, data_keys.c.next_epoch):
                for epoch, n in connection.execute(
                        select(column, func.count()).where(column.is_not(None))
                        .group_by(column)):
                    per[int(epoch)] = per.get(int(epoch), 0) + int(n)
        present = set(self._epochs.epochs()) if self._epochs is not None else set()
        return [EpochInfo(epoch=r.epoch, state=r.state, opened_at=r.opened_at,
                          closing_at=r.closing_at, closed_at=r.closed_at,
                          keys=per.get(r.epoch, 0), keys_destroyed=int(r.keys_destroyed),
                          first_destroyed_at=r.first_destroyed_at,
                          key_exists=r.epoch in present) for r in rows]

    def close_epoch(self, *, batch_size: int = 1000, force: bool = False
                    ) -> Iterator[EpochStep]:
        """Close the open epoch: re-wrap its keys under a new epoch, destroy its key.

        Resumable at every step, in this order (each step commits before the
        next starts): the next epoch's key file is created; one transaction
        marks the old epoch ``closing`` and opens the next; the keys are
        re-wrapped in batches (a key wrapped by the KEK directly moves into
        the new epoch too); one transaction marks the old epoch ``closed``
        once no key names it; its key file is destroyed. An interrupted close
        is finished first. Without ``force`` an epoch none of whose keys was
        destroyed, and with no key wrapped by the KEK directly, is left open.
        """
        if batch_size < 1:
            raise ValueError("batch_size is at least 1")
        if self._epochs is None:
            raise ConfigurationError("this key store has no epoch keyring")
        keyring = self._epochs
        # A close that died after recording the epoch closed: destroy its key now.
        for info in self.epoch_status():
            if info.state == EpochState.CLOSED and info.key_exists:
                keyring.destroy(info.epoch)
                yield EpochStep(info.epoch, "destroyed")
        closing = self._closing_epoch()
        if closing is None:
            current = self.ensure_epoch()
            info = next(i for i in self.epoch_status() if i.epoch == current)
            if not force and info.keys_destroyed == 0 and self.legacy_keys() == 0:
                return
            following = max(i.epoch for i in self.epoch_status()) + 1
            keyring.create(following)  # the key file before the row that names it
            with _using(self.engine, write=True) as connection:
                still = connection.execute(
                    select(key_epochs.c.epoch).where(key_epochs.c.state == EpochState.OPEN)
                    .with_for_update()).scalar_one_or_none()
                if still != current:
                    raise ConflictError("another process is closing the key epoch")
                now = self._now()
                connection.execute(update(key_epochs).where(key_epochs.c.epoch == current)
                                   .values(state=EpochState.CLOSING, closing_at=now))
                connection.execute(insert(key_epochs).values(
                    epoch=following, state=EpochState.OPEN, opened_at=now, keys_destroyed=0))
            crash_point("keys.epoch.next_opened")
            yield EpochStep(current, "opened", next_epoch=following)
            closing = current
        target = self._open_epoch()
        new = keyring.cipher(target)
        while True:
            done = self._rewrap_epoch_batch(closing, new, batch_size)
            if not done:
                break
            crash_point("keys.epoch.batch_committed")
            yield EpochStep(closing, "rewrapped", count=done)
        with _using(self.engine, write=True) as connection:
            left = connection.execute(select(func.count()).select_from(data_keys).where(
                or_(data_keys.c.epoch == closing, data_keys.c.next_epoch == closing))
            ).scalar_one()
            if left:  # pragma: no cover - the loop above ran until none was left
                raise ConflictError(f"{left} key(s) still wrapped by epoch {closing}")
            connection.execute(update(key_epochs).where(key_epochs.c.epoch == closing)
                               .values(state=EpochState.CLOSED, closed_at=self._now()))
        crash_point("keys.epoch.closed")
        yield EpochStep(closing, "closed")
        keyring.destroy(closing)
        crash_point("keys.epoch.destroyed")
        self.scrub()
        if self._sqlite:
            self._vacuum()
        yield EpochStep(closing, "destroyed")

    def _closing_epoch(self) -> int | None:
        with _using(self.engine, write=False) as connection:
            found = connection.execute(select(key_epochs.c.epoch).where(
                key_epochs.c.state == EpochState.CLOSING).order_by(key_epochs.c.epoch)
            ).scalars().first()
        return None if found is None else int(found)

    def _open_epoch(self) -> int:
        with _using(self.engine, write=False) as connection:
            found = connection.execute(select(key_epochs.c.epoch).where(
                key_epochs.c.state == EpochState.OPEN)).scalar_one_or_none()
        if found is None:
            raise ConfigurationError("the key store has no open key epoch")
        return int(found)

    def _rewrap_epoch_batch(self, closing: int, new: EpochCipher, batch_size: int) -> int:
        """Move up to ``batch_size`` keys (current or pending next) of ``closing``, or
        wrapped by the KEK itself, under ``new``; one transaction. Returns how many."""
        c = data_keys.c
        current_old = or_(c.epoch == closing, c.epoch.is_(None))
        next_old = and_(c.swap_id.is_not(None),
                        or_(c.next_epoch == closing, c.next_epoch.is_(None)))
        with _using(self.engine, write=True) as connection:
            rows = connection.execute(
                select(*_ALL_KEY_COLUMNS).where(or_(current_old, next_old))
                .order_by(c.subject_id).limit(batch_size).with_for_update()).all()
            updates = []
            for row in rows:
                sid, aad = row.subject_id, data_key_aad(row.subject_id)
                kek_id, epoch, wrapped = row.kek_id, row.epoch, bytes(row.wrapped)
                if epoch is None or epoch == closing:
                    key = self._open(sid, kek_id, epoch, wrapped)
                    kek_id, epoch, wrapped = new.kek_id, new.epoch, new.wrap(key, aad)
                n_kek, n_epoch = row.next_kek_id, row.next_epoch
                n_wrapped = None if row.next_wrapped is None else bytes(row.next_wrapped)
                if row.swap_id is not None and (n_epoch is None or n_epoch == closing):
                    key = self._open(sid, n_kek, n_epoch, n_wrapped or b"")
                    n_kek, n_epoch, n_wrapped = new.kek_id, new.epoch, new.wrap(key, aad)
                updates.append({"b_sid": sid, "b_kek": kek_id, "b_epoch": epoch,
                                "b_wrapped": wrapped, "b_nkek": n_kek, "b_nepoch": n_epoch,
                                "b_nwrapped": n_wrapped})
            if updates:
                connection.execute(
                    update(data_keys).where(c.subject_id == bindparam("b_sid")).values(
                        kek_id=bindparam("b_kek"), epoch=bindparam("b_epoch"),
                        wrapped=bindparam("b_wrapped"), next_kek_id=bindparam("b_nkek"),
                        next_epoch=bindparam("b_nepoch"),
                        next_wrapped=bindparam("b_nwrapped")),
                    updates)
        return len(updates)

    def _vacuum(self) -> None:
        """Rebuild the SQLite file from its live rows only: free space left over from
        before ``secure_delete`` was on (older versions of derbes) goes too."""
        with self.engine.connect() as connection:
            raw = connection.connection.driver_connection
            assert raw is not None
            raw.execute("VACUUM")
        self.scrub()

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
        return count_keys(self.engine, self._epochs)

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
            crash_point("keys.rotate.batch_committed")
            yield len(rows)
        # The epoch keys: a handful of files, each replaced atomically.
        if self._epochs is not None:
            for _epoch in self._epochs.rewrap(old, new):
                crash_point("keys.rotate.epoch_rewrapped")
                yield 1
        # Data keys the KEK wraps itself (made without epochs), in primary-key
        # order, one transaction per batch (keyset pagination: each batch is an
        # index range scan, never an OFFSET).
        after: str | None = None
        while True:
            query = (
                select(data_keys.c.subject_id, data_keys.c.kek_id, data_keys.c.wrapped)
                .where(data_keys.c.kek_id != new_id, data_keys.c.epoch.is_(None))
                .order_by(data_keys.c.subject_id)
                .limit(batch_size)
                .with_for_update()
            )
            if after is not None:
                query = query.where(data_keys.c.subject_id > after)
            with _using(self.engine, write=True) as connection:
                batch = connection.execute(query).all()
                if not batch:
                    break
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
            crash_point("keys.rotate.batch_committed")
            yield len(batch)
        # Pending next keys of swaps in a store without epochs: rare, one by one.
        with _using(self.engine, write=True) as connection:
            pending = connection.execute(
                select(data_keys.c.subject_id, data_keys.c.next_kek_id,
                       data_keys.c.next_wrapped)
                .where(data_keys.c.swap_id.is_not(None), data_keys.c.next_epoch.is_(None),
                       data_keys.c.next_kek_id != new_id).with_for_update()).all()
            for sid, kek_id, wrapped in pending:
                aad = data_key_aad(sid)
                connection.execute(update(data_keys).where(data_keys.c.subject_id == sid).values(
                    next_kek_id=new_id,
                    next_wrapped=new.wrap(_unwrap(readers, kek_id, bytes(wrapped), aad), aad)))
        if pending:
            crash_point("keys.rotate.batch_committed")
            yield len(pending)
        # The old KEK's wrappings of the rewritten rows leave the WAL too.
        self.scrub()


class InMemoryKeyStore:
    """The key store in a dict: same contract as ``SqlKeyStore``, for unit tests and demos.

    Keys are kept wrapped, exactly as the SQL store keeps them, so KEK
    mistakes and rotation behave the same. It has no key epochs.
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
        # subject id -> (swap id, kek_id, wrapped next key)
        self.swaps: dict[str, tuple[str, str, bytes]] = {}

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

    def candidate_keys(self, subject_ids: Sequence[str]) -> dict[str, tuple[bytes, ...]]:
        found: dict[str, tuple[bytes, ...]] = {}
        for sid, key in self.keys_for(subject_ids).items():
            pending = self.swaps.get(sid)
            found[sid] = (key,) if pending is None else (
                key, _unwrap(self._keks, pending[1], pending[2], data_key_aad(sid)))
        return found

    def replace_key(self, subject_id: str) -> tuple[bytes, bytes]:
        swap_id = str(uuid.uuid4())
        swapped = self.prepare_swaps([subject_id], swap_id)
        if subject_id not in swapped:
            raise NotFoundError("no data key for this subject: unknown or already destroyed")
        self.finish_swaps(swap_id, commit=True)
        return swapped[subject_id]

    def prepare_swaps(self, subject_ids: Sequence[str], swap_id: str
                      ) -> dict[str, tuple[bytes, bytes]]:
        ids = [sid for sid in dict.fromkeys(subject_ids) if sid in self.data]
        for sid in ids:
            pending = self.swaps.get(sid)
            if pending is not None and pending[0] != swap_id:
                raise ConflictError(
                    "another partial destruction of this subject is not finished "
                    "(a key swap is pending): settle it first", field="subject_id")
        swapped: dict[str, tuple[bytes, bytes]] = {}
        for sid in ids:
            aad = data_key_aad(sid)
            kek_id, wrapped = self.data[sid]
            old = _unwrap(self._keks, kek_id, wrapped, aad)
            pending = self.swaps.get(sid)
            if pending is not None:
                swapped[sid] = (old, _unwrap(self._keks, pending[1], pending[2], aad))
                continue
            new = generate_key()
            self.swaps[sid] = (swap_id, self._kek.kek_id, self._kek.wrap(new, aad))
            swapped[sid] = (old, new)
        return swapped

    def finish_swaps(self, swap_id: str, *, commit: bool) -> int:
        members = [sid for sid, (s, _k, _w) in self.swaps.items() if s == swap_id]
        for sid in members:
            _s, kek_id, wrapped = self.swaps.pop(sid)
            if commit and sid in self.data:
                self.data[sid] = (kek_id, wrapped)
        return len(members)

    def pending_swaps(self, subject_ids: Sequence[str] | None = None) -> list[str]:
        wanted = None if subject_ids is None else set(subject_ids)
        return sorted({s for sid, (s, _k, _w) in self.swaps.items()
                       if wanted is None or sid in wanted})

    def destroy(self, subject_ids: Sequence[str]) -> int:
        destroyed = 0
        for sid in dict.fromkeys(subject_ids):
            self.swaps.pop(sid, None)
            destroyed += self.data.pop(sid, None) is not None
        return destroyed

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
        for sid, (swap_id, kek_id, wrapped) in sorted(self.swaps.items()):
            if kek_id != new_id:
                aad = data_key_aad(sid)
                self.swaps[sid] = (swap_id, new_id,
                                   new.wrap(_unwrap(readers, kek_id, wrapped, aad), aad))


def is_epoch_kek_id(kek_id: str) -> bool:
    """Is this ``kek_id`` an epoch's (``epoch:N``) rather than a KEK's?"""
    return parse_epoch_kek_id(kek_id) is not None


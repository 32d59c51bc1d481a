"""The key store on SQL: bulk statements, connections, and what every operation shares.

:class:`KeyStoreBase` holds the engine, the KEKs and the epoch keyring and
opens stored keys; ``keystore_epochs.EpochMaintenance`` and
``keystore.SqlKeyStore`` build on it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Engine,
    String,
    Table,
    any_,
    cast,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import OperationalError, ProgrammingError

from derbes.errors import ConfigurationError
from derbes.platform.clock import Clock
from derbes.platform.db import busy_error, display_url, write_transaction
from derbes.platform.system_clock import SystemClock
from derbes.vault.adapters.key_epochs import EpochCipher
from derbes.vault.adapters.keystore_schema import (
    PG_CHUNK,
    READ_CHUNK,
    chunks,
    data_key_aad,
    data_keys,
    system_keys,
    unwrap_key,
)
from derbes.vault.ports import (
    EpochKey,
    EpochKeyring,
    KekCount,
    KeyEncryptionKey,
)

__all__ = [
    "ALL_KEY_COLUMNS", "KeyStoreBase", "count_keys", "epoch_of", "insert_data_keys",
    "is_postgresql", "store_rewrapped", "using", "where_subject_in",
]


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


def is_postgresql(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def epoch_of(wrapper: KeyEncryptionKey) -> int | None:
    return wrapper.epoch if isinstance(wrapper, EpochCipher) else None


def insert_data_keys(
    connection: Connection, wrapper: KeyEncryptionKey, created_at: datetime,
    rows: Sequence[tuple[str, bytes]],
) -> None:
    """Insert (subject id, wrapped key) rows in one statement or one executemany."""
    kek_id, epoch = wrapper.kek_id, epoch_of(wrapper)
    if is_postgresql(connection):
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


def store_rewrapped(
    connection: Connection, table: Table, new_kek_id: str, rows: Sequence[tuple[str, str, bytes]]
) -> None:
    """Store (key, old kek_id, new wrapped) rows; a row changed meanwhile is left alone."""
    if not rows:
        return
    if is_postgresql(connection):
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


def where_subject_in(connection: Connection, chunk: Sequence[str]) -> ColumnElement[bool]:
    if is_postgresql(connection):
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
def using(engine: Engine, *, write: bool) -> Iterator[Connection]:
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
    with using(engine, write=False) as connection:
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


ALL_KEY_COLUMNS = (
    data_keys.c.subject_id, data_keys.c.kek_id, data_keys.c.epoch, data_keys.c.wrapped,
    data_keys.c.swap_id, data_keys.c.next_kek_id, data_keys.c.next_epoch,
    data_keys.c.next_wrapped,
)



class KeyStoreBase:
    """The engine, the KEKs and the epoch keyring of a key store, and the opening of keys."""

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

    def _epoch_cipher(self, epoch: int) -> EpochKey:
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
        return unwrap_key(self._keks, kek_id, bytes(wrapped), aad)

    def _read_rows(self, ids: Sequence[str]) -> list[Any]:
        rows: list[Any] = []
        with using(self.engine, write=False) as connection:
            size = PG_CHUNK if is_postgresql(connection) else READ_CHUNK
            for chunk in chunks(ids, size):
                rows.extend(connection.execute(
                    select(*ALL_KEY_COLUMNS).where(where_subject_in(connection, chunk))))
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


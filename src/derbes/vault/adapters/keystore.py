"""The key store: per-subject data keys and system keys, wrapped.

It lives in a database SEPARATE from the data database: by default
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

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from derbes.errors import ConfigurationError, ConflictError
from derbes.platform.crypto import generate_key
from derbes.platform.faults import crash_point
from derbes.vault.adapters.keystore_epochs import EpochMaintenance
from derbes.vault.adapters.keystore_schema import (
    AUDIT_CHAIN,
    BLIND_INDEX,
    PG_CHUNK,
    READ_CHUNK,
    SYSTEM_KEY_NAMES,
    VERSION_TABLE,
    WRITE_CHUNK,
    chunks,
    data_key_aad,
    data_keys,
    is_epoch_kek_id,
    key_epochs,
    keystore_metadata,
    replace_by_swap,
    system_key_aad,
    system_keys,
    unique_ids,
    unwrap_key,
)
from derbes.vault.adapters.keystore_sql import (
    ALL_KEY_COLUMNS,
    count_keys,
    epoch_of,
    insert_data_keys,
    is_postgresql,
    store_rewrapped,
    using,
    where_subject_in,
)
from derbes.vault.ports import (
    EpochState,
    KekCount,
    KeyEncryptionKey,
)

__all__ = [
    "AUDIT_CHAIN",
    "BLIND_INDEX",
    "SYSTEM_KEY_NAMES",
    "VERSION_TABLE",
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


def _rewrapped(rows: Iterable[Sequence[Any]], aad_of: Callable[[str], bytes],
               readers: Sequence[KeyEncryptionKey], new: KeyEncryptionKey,
               ) -> list[tuple[str, str, bytes]]:
    """(key, old KEK id, wrapped again by ``new``) for stored (key, KEK id, wrapped) rows;
    each key's associated data is bound to its name or subject (``aad_of``)."""
    out = []
    for key, kek_id, wrapped in rows:
        aad = aad_of(key)
        out.append((key, kek_id, new.wrap(unwrap_key(readers, kek_id, wrapped, aad), aad)))
    return out


class SqlKeyStore(EpochMaintenance):
    """The key store on its own SQLAlchemy engine (SQLite file or PostgreSQL database).

    ``also_unwrap_with``: further KEKs accepted for reading (the old KEK while a
    rotation is in progress); new keys are always wrapped by ``kek``.
    ``epochs``: the keyring of key epochs; derbes always passes one (see the
    module docstring), a store without it wraps data keys with the KEK.
    """

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
        if is_postgresql(connection):
            query = query.with_for_update(read=True)
        epoch = connection.execute(query).scalar_one_or_none()
        if epoch is None:
            raise ConfigurationError("the key store has no open key epoch (run `derbes init`)")
        return self._epochs.cipher(epoch)

    def create_keys(self, subject_ids: Sequence[str]) -> dict[str, bytes]:
        ids = unique_ids(subject_ids)
        if not ids:
            return {}
        self._ensure_epoch_once()
        now = self._now()
        keys: dict[str, bytes] = {}
        try:
            with using(self.engine, write=True) as connection:
                wrapper = self._wrapper(connection)
                wrap = wrapper.wrap
                for chunk in chunks(ids, WRITE_CHUNK):
                    rows = []
                    for sid in chunk:
                        key = generate_key()
                        keys[sid] = key
                        rows.append((sid, wrap(key, data_key_aad(sid))))
                    insert_data_keys(connection, wrapper, now, rows)
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
        return replace_by_swap(self, subject_id)

    def prepare_swaps(self, subject_ids: Sequence[str], swap_id: str
                      ) -> dict[str, tuple[bytes, bytes]]:
        ids = list(dict.fromkeys(subject_ids))
        swapped: dict[str, tuple[bytes, bytes]] = {}
        if not ids:
            return swapped
        self._ensure_epoch_once()
        with using(self.engine, write=True) as connection:
            wrapper = self._wrapper(connection)
            size = PG_CHUNK if is_postgresql(connection) else READ_CHUNK
            for chunk in chunks(ids, size):
                rows = connection.execute(
                    select(*ALL_KEY_COLUMNS).where(where_subject_in(connection, chunk))
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
                                    "b_epoch": epoch_of(wrapper),
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
        with using(self.engine, write=True) as connection:
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
        with using(self.engine, write=False) as connection:
            query = select(data_keys.c.swap_id).where(data_keys.c.swap_id.is_not(None))
            if subject_ids is None:
                found.update(connection.execute(query.distinct()).scalars())
            else:
                ids = list(dict.fromkeys(subject_ids))
                size = PG_CHUNK if is_postgresql(connection) else READ_CHUNK
                for chunk in chunks(ids, size):
                    found.update(connection.execute(
                        query.where(where_subject_in(connection, chunk))).scalars())
        return sorted(found)

    def destroy(self, subject_ids: Sequence[str]) -> int:
        ids = list(dict.fromkeys(subject_ids))
        destroyed = 0
        if ids:
            now = self._now()
            with using(self.engine, write=True) as connection:
                size = PG_CHUNK if is_postgresql(connection) else READ_CHUNK
                epochs: list[int | None] = []
                for chunk in chunks(ids, size):
                    rows = connection.execute(
                        delete(data_keys).where(where_subject_in(connection, chunk))
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

    # -- system keys -------------------------------------------------------

    def _load_system_key(self, name: str) -> bytes | None:
        with using(self.engine, write=False) as connection:
            row = connection.execute(
                select(system_keys.c.kek_id, system_keys.c.wrapped).where(
                    system_keys.c.name == name
                )
            ).one_or_none()
        if row is None:
            return None
        return unwrap_key(self._keks, row.kek_id, row.wrapped, system_key_aad(name))

    def _create_system_key(self, name: str) -> bool:
        key = generate_key()
        try:
            with using(self.engine, write=True) as connection:
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
        with using(self.engine, write=False) as connection:
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
        readers = (old, *self._keks)
        # System keys first: few rows, one transaction.
        system = self._rewrap_system_keys(readers, new)
        if system:
            crash_point("keys.rotate.batch_committed")
            yield system
        # The epoch keys: a handful of files, each replaced atomically.
        if self._epochs is not None:
            for _epoch in self._epochs.rewrap(old, new):
                crash_point("keys.rotate.epoch_rewrapped")
                yield 1
        yield from self._rewrap_data_keys(readers, new, batch_size)
        pending = self._rewrap_pending_next_keys(readers, new)
        if pending:
            crash_point("keys.rotate.batch_committed")
            yield pending
        # The old KEK's wrappings of the rewritten rows leave the WAL too.
        self.scrub()

    def _rewrap_system_keys(self, readers: Sequence[KeyEncryptionKey],
                            new: KeyEncryptionKey) -> int:
        new_id = new.kek_id
        with using(self.engine, write=True) as connection:
            rows = connection.execute(
                select(system_keys.c.name, system_keys.c.kek_id, system_keys.c.wrapped)
                .where(system_keys.c.kek_id != new_id)
                .with_for_update()
            ).all()
            store_rewrapped(connection, system_keys, new_id,
                            _rewrapped(rows, system_key_aad, readers, new))
        return len(rows)

    def _rewrap_data_keys(self, readers: Sequence[KeyEncryptionKey], new: KeyEncryptionKey,
                          batch_size: int) -> Iterator[int]:
        """Data keys the KEK wraps itself (made without epochs), in primary-key order,
        one transaction per batch (keyset pagination: each batch is an index range
        scan, never an OFFSET)."""
        new_id = new.kek_id
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
            with using(self.engine, write=True) as connection:
                batch = connection.execute(query).all()
                if not batch:
                    return
                store_rewrapped(connection, data_keys, new_id,
                                _rewrapped(batch, data_key_aad, readers, new))
            after = batch[-1].subject_id
            crash_point("keys.rotate.batch_committed")
            yield len(batch)

    def _rewrap_pending_next_keys(self, readers: Sequence[KeyEncryptionKey],
                                  new: KeyEncryptionKey) -> int:
        """Pending next keys of swaps in a store without epochs: rare, one by one."""
        new_id = new.kek_id
        with using(self.engine, write=True) as connection:
            pending = connection.execute(
                select(data_keys.c.subject_id, data_keys.c.next_kek_id,
                       data_keys.c.next_wrapped)
                .where(data_keys.c.swap_id.is_not(None), data_keys.c.next_epoch.is_(None),
                       data_keys.c.next_kek_id != new_id).with_for_update()).all()
            for sid, kek_id, wrapped in pending:
                aad = data_key_aad(sid)
                connection.execute(update(data_keys).where(data_keys.c.subject_id == sid).values(
                    next_kek_id=new_id,
                    next_wrapped=new.wrap(unwrap_key(readers, kek_id, bytes(wrapped), aad), aad)))
        return len(pending)

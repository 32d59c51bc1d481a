"""Key epochs in the SQL key store: open, report, close (re-wrap and destroy), scrub.

Copies the database cannot reach (PostgreSQL dead tuples, WAL and archives,
backups of the key store) are made useless by closing the key epoch: the
surviving keys are re-wrapped under the next epoch and the old epoch's key is
destroyed outside the database (``key_epochs.py``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from sqlalchemy import (
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from derbes.errors import ConfigurationError, ConflictError
from derbes.platform.db import display_url
from derbes.platform.faults import crash_point
from derbes.vault.adapters.keystore_schema import (
    SCRUB_ATTEMPTS,
    data_key_aad,
    data_keys,
    key_epochs,
)
from derbes.vault.adapters.keystore_sql import ALL_KEY_COLUMNS, KeyStoreBase, using
from derbes.vault.ports import (
    EpochInfo,
    EpochKey,
    EpochState,
    EpochStep,
)

__all__ = ["EpochMaintenance"]


class EpochMaintenance(KeyStoreBase):
    """What the ``derbes keys epoch`` commands and every destruction need of the store."""

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
        for attempt in range(1, SCRUB_ATTEMPTS + 1):
            with self.engine.connect() as connection:
                raw = connection.connection.driver_connection
                assert raw is not None
                busy, _log, _done = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy == 0:
                return
            if attempt < SCRUB_ATTEMPTS:
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
            with using(self.engine, write=False) as connection:
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
                with using(self.engine, write=True) as connection:
                    if connection.execute(select(key_epochs.c.epoch).where(
                            key_epochs.c.state == EpochState.OPEN)).first() is None:
                        connection.execute(insert(key_epochs).values(
                            epoch=epoch, state=EpochState.OPEN, opened_at=self._now(),
                            keys_destroyed=0))
            except IntegrityError:
                continue  # another process opened it first

    def legacy_keys(self) -> int:
        with using(self.engine, write=False) as connection:
            return int(connection.execute(select(func.count()).select_from(data_keys).where(
                data_keys.c.epoch.is_(None))).scalar_one())

    def epoch_status(self) -> list[EpochInfo]:
        with using(self.engine, write=False) as connection:
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
            with using(self.engine, write=True) as connection:
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
        with using(self.engine, write=True) as connection:
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
        with using(self.engine, write=False) as connection:
            found = connection.execute(select(key_epochs.c.epoch).where(
                key_epochs.c.state == EpochState.CLOSING).order_by(key_epochs.c.epoch)
            ).scalars().first()
        return None if found is None else int(found)

    def _open_epoch(self) -> int:
        with using(self.engine, write=False) as connection:
            found = connection.execute(select(key_epochs.c.epoch).where(
                key_epochs.c.state == EpochState.OPEN)).scalar_one_or_none()
        if found is None:
            raise ConfigurationError("the key store has no open key epoch")
        return int(found)

    def _rewrap_epoch_batch(self, closing: int, new: EpochKey, batch_size: int) -> int:
        """Move up to ``batch_size`` keys (current or pending next) of ``closing``, or
        wrapped by the KEK itself, under ``new``; one transaction. Returns how many."""
        c = data_keys.c
        current_old = or_(c.epoch == closing, c.epoch.is_(None))
        next_old = and_(c.swap_id.is_not(None),
                        or_(c.next_epoch == closing, c.next_epoch.is_(None)))
        with using(self.engine, write=True) as connection:
            rows = connection.execute(
                select(*ALL_KEY_COLUMNS).where(or_(current_old, next_old))
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


"""The journal of key swaps in the data database: the SQL adapter of
``vault/ports.KeySwapJournal``.

One row per swap id, ``committed`` (written by the data transaction that
re-sealed under the next keys) or ``aborted`` (written by whoever settles a
swap that never reached the data database). The primary key decides between
the two when they race; see ``vault/service/keyswap.py``.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from derbes.errors import ConflictError
from derbes.platform.tables import key_swaps
from derbes.vault.ports import ABORTED, COMMITTED

__all__ = ["SqlKeySwapJournal"]

class SqlKeySwapJournal:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def commit(self, swap_id: str, subjects: int, at: datetime) -> None:
        try:
            with self._c.begin_nested():
                self._c.execute(insert(key_swaps).values(
                    swap_id=swap_id, state=COMMITTED, subjects=subjects, recorded_at=at))
        except IntegrityError:
            raise ConflictError(
                "this partial destruction was settled as interrupted by another process "
                "meanwhile; nothing of it was applied, run it again") from None

    def claim_aborted(self, swap_id: str, at: datetime) -> str:
        values = {"swap_id": swap_id, "state": ABORTED, "subjects": 0, "recorded_at": at}
        if self._c.dialect.name == "postgresql":
            # Waits for a transaction that is committing this swap right now.
            self._c.execute(pg_insert(key_swaps).values(**values).on_conflict_do_nothing())
        else:
            self._c.execute(sqlite_insert(key_swaps).values(**values)
                            .on_conflict_do_nothing())
        state = self._c.execute(select(key_swaps.c.state)
                                .where(key_swaps.c.swap_id == swap_id)).scalar_one()
        return str(state)

    def states(self, swap_ids: Collection[str]) -> dict[str, str]:
        ids = sorted(set(swap_ids))
        if not ids:
            return {}
        rows = self._c.execute(select(key_swaps.c.swap_id, key_swaps.c.state)
                               .where(key_swaps.c.swap_id.in_(ids)))
        return {str(s): str(state) for s, state in rows}

    def swap_ids(self) -> builtins.list[str]:
        return [str(s) for s in self._c.execute(
            select(key_swaps.c.swap_id).order_by(key_swaps.c.swap_id)).scalars()]

    def forget(self, swap_ids: Collection[str]) -> None:
        ids = sorted(set(swap_ids))
        if ids:
            self._c.execute(delete(key_swaps).where(key_swaps.c.swap_id.in_(ids)))



"""Storage shared by the hash-chained logs (access audit, consent ledger).

Each log is a table with a ``seq`` column and a one-row head table (id = 1:
the last ``seq`` and ``hash``). An append locks the head in the appender's
transaction, so concurrent writers take turns, and moves it with the entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from derbes.platform.chain import GENESIS

T = TypeVar("T")

PAGE = 1000  # entries read per query while streaming a log


def lock_head(connection: Connection, head: Table) -> tuple[int, str]:
    """The head (seq, hash), locked until the end of the current transaction."""
    query = select(head.c.seq, head.c.hash).where(head.c.id == 1)
    dialect = connection.dialect.name
    if dialect == "postgresql":
        # Waits for a concurrent appender to commit, then sees its new head.
        query = query.with_for_update()
    elif dialect == "sqlite":
        # Take SQLite's write lock before reading the head: a transaction that
        # read first and wrote later would fail with "database is locked"
        # whenever another writer committed in between.
        connection.execute(head.update().where(head.c.id == 1).values(seq=head.c.seq))
    row = connection.execute(query).one_or_none()
    if row is None:  # a schema made without the migration's seed row
        _seed_head(connection, head)
        row = connection.execute(query).one()
    return int(row.seq), str(row.hash)


def _seed_head(connection: Connection, head: Table) -> None:
    values = {"id": 1, "seq": 0, "hash": GENESIS}
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(postgresql.insert(head).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        connection.execute(sqlite.insert(head).values(values).on_conflict_do_nothing())
    else:
        connection.execute(head.insert().values(values))


def move_head(connection: Connection, head: Table, seq: int, hash_: str) -> None:
    connection.execute(head.update().where(head.c.id == 1).values(seq=seq, hash=hash_))


def stream(
    connection: Connection, log: Table, convert: Callable[[Row[Any]], T], *, after_seq: int = 0
) -> Iterator[T]:
    """Entries in ``seq`` order, in keyset pages: a log of millions is never held in memory."""
    last = after_seq
    while True:
        rows = connection.execute(
            select(log).where(log.c.seq > last).order_by(log.c.seq).limit(PAGE)
        ).all()
        for row in rows:
            last = int(row.seq)
            yield convert(row)
        if len(rows) < PAGE:
            return

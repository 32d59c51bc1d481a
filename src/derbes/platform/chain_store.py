"""Storage shared by the hash-chained logs (access audit, consent ledger).

Every chain is keyed from the audit key, which lives in the key store, outside the
data database: :class:`KeySource` fetches it when first needed and derives the
chain's own key from it. Each log is a table with a ``seq`` column and a one-row head table (id = 1:
the last ``seq`` and ``hash``). An append locks the head in the appender's
transaction, so concurrent writers take turns, and moves it with the entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Row, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from derbes.errors import ConfigurationError
from derbes.platform.chain import GENESIS

T = TypeVar("T")

PAGE = 1000  # entries read per query while streaming a log


class KeySource:
    """A key derived from the audit key, fetched from the key store when first needed.

    ``given`` is the audit key, or the key store's getter of it (a unit of work that
    only reads never opens the key store), or None for a unit of work built without
    it: asking then fails, saying what cannot be done (``cannot``).
    """

    def __init__(self, given: bytes | Callable[[], bytes] | None, *, cannot: str,
                 derive: Callable[[bytes], bytes] | None = None) -> None:
        self._given = given
        self._cannot = cannot
        self._derive = derive
        self._key: bytes | None = None

    def __call__(self) -> bytes:
        if self._key is None:
            key = self.audit_key()
            self._key = key if self._derive is None else self._derive(key)
        return self._key

    def audit_key(self) -> bytes:
        """The audit key itself (to check an audit entry's own hash)."""
        given = self._given
        if given is None:
            raise ConfigurationError(
                f"no audit key: this unit of work was built without the key store, so it "
                f"{self._cannot}")
        key = given if isinstance(given, bytes) else given()
        # A key shorter than 128 bits would make the chains' HMAC guessable.
        if not isinstance(key, bytes) or len(key) < 16:
            raise ConfigurationError("the audit key from the key store is not usable")
        self._given = key  # fetched once
        return key


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


class Chained(Protocol):
    """An entry of a chain: its place and its hash."""

    @property
    def seq(self) -> int: ...

    @property
    def hash(self) -> str: ...


E = TypeVar("E", bound=Chained)


def append(connection: Connection, log: Table, head: Table,
           chained: Callable[[tuple[int, str]], Sequence[E]],
           row_of: Callable[[E], dict[str, Any]]) -> list[E]:
    """Lock the head, chain the new entries onto it (``chained``), insert them and move
    the head to the last, all in the caller's transaction; at least one entry."""
    entries = list(chained(lock_head(connection, head)))
    connection.execute(log.insert(), [row_of(e) for e in entries])
    last = entries[-1]
    move_head(connection, head, last.seq, last.hash)
    return entries


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

"""The unit of work: one transaction, and the repositories that work inside it.

    with uow:
        uow.registers.add(...)
        uow.commit()          # without this, everything above is rolled back

Leaving the block rolls back whatever was not committed, whether the block
ended normally or by an exception. Audit and ledger rows must be written
through the same unit of work as the change they record, so they commit or
vanish together with it.

Adding a repository (vault, consent ledger, audit log…): declare it on
``UnitOfWork``, build it from the connection in ``SqlUnitOfWork._open`` and
from memory in ``FakeUnitOfWork.__init__``.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy import Connection, Engine

from derbes.adapters.registers_repo import (
    FakeRegisterRepository,
    RegisterRepository,
    SqlRegisterRepository,
)


class UnitOfWork(Protocol):
    """What services see: repositories plus commit / rollback."""

    registers: RegisterRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class _Checkpointable(Protocol):
    def checkpoint(self) -> Callable[[], None]: ...


class SqlUnitOfWork:
    """A unit of work on one connection of ``engine`` and one transaction."""

    registers: RegisterRepository

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None

    def __enter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("this unit of work is already in use")
        connection = self._engine.connect()
        try:
            connection.begin()
            self._open(connection)
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return self

    def _open(self, connection: Connection) -> None:
        self.registers = SqlRegisterRepository(connection)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection = self._require_connection()
        try:
            connection.rollback()
        finally:
            connection.close()
            self._connection = None

    def commit(self) -> None:
        connection = self._require_connection()
        connection.commit()
        # Work done after a commit belongs to a new transaction, which the
        # end of the block rolls back unless it is committed too.
        connection.begin()

    def rollback(self) -> None:
        connection = self._require_connection()
        connection.rollback()
        connection.begin()

    def _require_connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        return self._connection


class FakeUnitOfWork:
    """An in-memory unit of work whose data outlives each ``with`` block.

    It really rolls back: each repository is checkpointed on entry and on
    commit, and restored on rollback. ``commits`` counts the commits.
    """

    def __init__(self) -> None:
        self.fake_registers = FakeRegisterRepository()
        self.registers: RegisterRepository = self.fake_registers
        self._repositories: list[_Checkpointable] = [self.fake_registers]
        self._restores: list[Callable[[], None]] | None = None
        self.commits = 0

    def __enter__(self) -> Self:
        if self._restores is not None:
            raise RuntimeError("this unit of work is already in use")
        self._checkpoint()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        self._restores = None

    def commit(self) -> None:
        if self._restores is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        self.commits += 1
        self._checkpoint()

    def rollback(self) -> None:
        if self._restores is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        for restore in self._restores:
            restore()

    def _checkpoint(self) -> None:
        self._restores = [repository.checkpoint() for repository in self._repositories]

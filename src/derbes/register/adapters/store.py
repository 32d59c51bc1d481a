"""Where loaded processing registers are kept: SQL, and a fake (the port: ``register/ports.py``).

Each publication of a register is a row. Adding the text that is already in
force (same SHA-256 as the latest row) returns that row untouched, so a retried
publish stores nothing; adding an older text again (a revert) stores a new row,
which then is the one in force. ``latest`` is the version loaded last.
"""

from __future__ import annotations

import builtins
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, Row, select

from derbes.platform.memory import checkpoint
from derbes.platform.tables import registers
from derbes.register.adapters import versions
from derbes.register.model.loaded import LoadedRegister
from derbes.register.ports import StoredRegister


def source_sha256(source_text: str) -> str:
    """The fingerprint a register text is stored under (hex SHA-256 of its UTF-8)."""
    return hashlib.sha256(source_text.encode("utf-8")).hexdigest()


def _require_aware(loaded_at: datetime) -> None:
    if loaded_at.tzinfo is None or loaded_at.utcoffset() is None:
        raise ValueError("loaded_at must be timezone-aware")


class _RegisterStore(ABC):
    """What both stores do alike: add a text unless it is the one in force, parse a
    version, hash a version's policy."""

    def add(
        self, operator_id: str, policy_version: str, source_text: str, loaded_at: datetime
    ) -> StoredRegister:
        _require_aware(loaded_at)
        digest = source_sha256(source_text)
        current = self.latest(operator_id)
        if current is not None and current.sha256 == digest:
            return current
        return self._insert(operator_id, policy_version, source_text, loaded_at, digest)

    @abstractmethod
    def latest(self, operator_id: str) -> StoredRegister | None: ...

    @abstractmethod
    def _insert(self, operator_id: str, policy_version: str, source_text: str,
                loaded_at: datetime, digest: str) -> StoredRegister:
        """Store a new row (the text is not the one in force) and return it."""

    def parsed(self, stored: StoredRegister) -> LoadedRegister:
        return versions.parsed(stored)

    def in_force(self, operator_id: str) -> LoadedRegister | None:
        stored = self.latest(operator_id)
        return None if stored is None else self.parsed(stored)

    def policy_hash(self, loaded: LoadedRegister) -> str:
        return versions.policy_hash(loaded)


class SqlRegisterRepository(_RegisterStore):
    """Registers in the ``registers`` table, on the connection of a unit of work."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _insert(self, operator_id: str, policy_version: str, source_text: str,
                loaded_at: datetime, digest: str) -> StoredRegister:
        result = self._connection.execute(
            registers.insert()
            .values(
                operator_id=operator_id,
                policy_version=policy_version,
                sha256=digest,
                source_yaml=source_text,
                loaded_at=loaded_at,
            )
            .returning(registers.c.id)
        )
        row_id = int(result.scalar_one())
        row = self._connection.execute(select(registers).where(registers.c.id == row_id)).one()
        return _from_row(row)

    def latest(self, operator_id: str) -> StoredRegister | None:
        row = self._connection.execute(
            select(registers)
            .where(registers.c.operator_id == operator_id)
            .order_by(registers.c.loaded_at.desc(), registers.c.id.desc())
            .limit(1)
        ).one_or_none()
        return None if row is None else _from_row(row)

    def in_force(self, operator_id: str) -> LoadedRegister | None:
        # Every request that reads the register in force comes here; the text is only
        # needed to parse a version this process has not seen.
        head = self._connection.execute(
            select(registers.c.sha256)
            .where(registers.c.operator_id == operator_id)
            .order_by(registers.c.loaded_at.desc(), registers.c.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if head is None:
            return None
        known = versions.cached(operator_id, str(head))
        return known if known is not None else super().in_force(operator_id)

    def list(self) -> builtins.list[StoredRegister]:
        rows = self._connection.execute(
            select(registers).order_by(
                registers.c.operator_id, registers.c.loaded_at, registers.c.id
            )
        ).all()
        return [_from_row(row) for row in rows]


def _from_row(row: Row[tuple[object, ...]]) -> StoredRegister:
    m = row._mapping
    return StoredRegister(
        id=int(m["id"]),
        operator_id=str(m["operator_id"]),
        policy_version=str(m["policy_version"]),
        sha256=str(m["sha256"]),
        source_text=str(m["source_yaml"]),
        loaded_at=m["loaded_at"],
    )


class FakeRegisterRepository(_RegisterStore):
    """In-memory registers for unit tests and the fake unit of work."""

    def __init__(self) -> None:
        self._rows: builtins.list[StoredRegister] = []

    def _insert(self, operator_id: str, policy_version: str, source_text: str,
                loaded_at: datetime, digest: str) -> StoredRegister:
        stored = StoredRegister(
            id=len(self._rows) + 1,
            operator_id=operator_id,
            policy_version=policy_version,
            sha256=digest,
            source_text=source_text,
            loaded_at=loaded_at.astimezone(UTC),  # as the SQL adapter returns it
        )
        self._rows.append(stored)
        return stored

    def latest(self, operator_id: str) -> StoredRegister | None:
        mine = [row for row in self._rows if row.operator_id == operator_id]
        return max(mine, key=lambda row: (row.loaded_at, row.id), default=None)

    def list(self) -> builtins.list[StoredRegister]:
        return sorted(self._rows, key=lambda row: (row.operator_id, row.loaded_at, row.id))

    def checkpoint(self) -> Callable[[], None]:
        """Remember the current rows; the returned function puts them back."""
        return checkpoint(self, "_rows")

"""What the register use cases need from the stores, owned by the register slice.

``register/adapters/store.py`` implements it (SQL, and a fake); the unit of work
hands it to the services as ``uow.registers``.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["RegisterRepository", "StoredRegister"]


@dataclass(frozen=True)
class StoredRegister:
    """One loaded version of an operator's register, as stored."""

    id: int
    operator_id: str
    policy_version: str
    sha256: str
    source_text: str
    loaded_at: datetime


class RegisterRepository(Protocol):
    def add(
        self, operator_id: str, policy_version: str, source_text: str, loaded_at: datetime
    ) -> StoredRegister:
        """Store a register text; if this operator already has it, return that row."""
        ...

    def latest(self, operator_id: str) -> StoredRegister | None:
        """The version loaded last for the operator, or None."""
        ...

    def list(self) -> builtins.list[StoredRegister]:
        """Every stored version, by operator, then in load order."""
        ...

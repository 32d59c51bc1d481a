"""What the register use cases need from the stores, owned by the register slice.

``register/adapters/store.py`` implements the repository (SQL, and a fake); the unit
of work hands it to the services as ``uow.registers``. The YAML reader
(``register/adapters/yaml.py: READER``) and the notice renderer
(``register/adapters/notice: RENDERER``) are given by the entry points.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from derbes.deadlines.model.regime import Regime
    from derbes.platform.labels import Lang
    from derbes.register.model.loaded import LoadedRegister

__all__ = ["NoticeRenderer", "RegisterReader", "RegisterRepository", "StoredRegister"]


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

    def parsed(self, stored: StoredRegister) -> LoadedRegister:
        """A stored version, parsed (a :class:`RegisterError` if it no longer loads)."""
        ...

    def in_force(self, operator_id: str) -> LoadedRegister | None:
        """The version loaded last, parsed, or None; its text (a hundred kilobytes) is
        read only when that version is not parsed yet in this process."""
        ...

    def policy_hash(self, loaded: LoadedRegister) -> str:
        """SHA-256 of the policy text (the generated notice) of a register version."""
        ...


class RegisterReader(Protocol):
    """Turns register text into a checked register, or a :class:`RegisterError`
    naming every problem with its file, line and path."""

    def parse(self, text: str, file: str = "<register>") -> LoadedRegister: ...

    def load(self, path: str | Path) -> LoadedRegister: ...

    def files(self, directory: Path) -> builtins.list[Path]:
        """The register files of a directory, in a stable order."""
        ...


class NoticeRenderer(Protocol):
    """Renders the privacy notice of a register (html, pdf, md)."""

    def render(self, loaded: LoadedRegister, lang: Lang, fmt: str, *, regime: Regime,
               draft: bool = False) -> bytes: ...

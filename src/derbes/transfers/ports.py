"""The transfer log's store, owned by the core (the unit of work exposes it as
``transfers``; ``adapters/store.py`` implements it on SQL and in memory)."""

from __future__ import annotations

import builtins
from typing import Protocol

from derbes.transfers.model import TransferRecord

__all__ = ["TransferRecord", "TransferRepository"]


class TransferRepository(Protocol):
    def add(self, record: TransferRecord) -> None: ...

    def get(self, transfer_id: str) -> TransferRecord | None: ...

    def for_subject(self, subject_id: str, *, limit: int = 100) -> builtins.list[TransferRecord]:
        """The subject's transfers, newest first; ``consent_ids`` holds only this subject."""
        ...

"""The transfer log's record: one disclosure of subjects' PD to a recipient, and why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

__all__ = ["TransferRecord"]


@dataclass(frozen=True)
class TransferRecord:
    """One disclosure made. ``consent_ids`` maps each subject to the consents it rested on."""

    id: str
    at: datetime
    actor: str
    operator_id: str
    recipient_id: str
    purpose: str
    categories: tuple[str, ...]
    basis_kind: str
    consent_ids: Mapping[str, tuple[str, ...]]
    law_citation: str | None = None
    state_body: str | None = None
    request_number: str | None = None
    request_date: date | None = None
    decision: Mapping[str, Any] = field(default_factory=dict)
    request_id: str | None = None

    @property
    def subject_ids(self) -> tuple[str, ...]:
        return tuple(self.consent_ids)

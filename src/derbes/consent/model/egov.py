"""Consent through the eGov state service: a request sent, the subject's decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["PENDING", "EgovDecision", "EgovRequest", "EgovSent"]

PENDING = "pending"


class EgovDecision(StrEnum):
    APPROVED = "approved"
    REFUSED = "refused"


@dataclass(frozen=True)
class EgovSent:
    """A request as sent: what the subject is asked to approve (no PD but the subject id)."""

    request_id: str
    subject_id: str
    operator_id: str
    summary: Mapping[str, Any]
    sent_at: datetime


@dataclass(frozen=True)
class EgovRequest:
    """A consent request sent to the eGov service, waiting for the subject's answer."""

    request_id: str
    subject_id: str
    operator_id: str
    request: Mapping[str, Any]  # scopes, given_by, valid_until, idempotency key (no PD)
    status: str  # pending | approved | refused
    sent_at: datetime
    decided_at: datetime | None = None
    act_id: str | None = None

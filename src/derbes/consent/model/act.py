"""An act of consent as received, and what recording it gave."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from derbes.consent.model.consent import (
    Consent,
    ConsentChannel,
    Evidence,
    GivenBy,
    Representative,
    Scope,
)

__all__ = ["ConsentRequest", "GiveResult"]


@dataclass(frozen=True)
class ConsentRequest:
    """An act of consent as received (API, CLI, eGov callback), not yet checked."""

    subject_id: str
    scopes: Sequence[Scope]
    channel: ConsentChannel | str
    evidence: Evidence = field(default_factory=Evidence)
    given_by: GivenBy | str = GivenBy.SUBJECT
    representative: Representative | None = None
    valid_until: datetime | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class GiveResult:
    act_id: str
    consents: tuple[Consent, ...]
    replayed: bool  # True: the idempotency key was seen; the stored act is returned

"""What the request use cases need of the outside world, owned by the core.

The request store (:class:`RequestRepository`, reached through the unit of
work), the SMS one-time codes (:class:`OtpPort`), the decision point's cache
(:class:`Forgetful`) and the letter renderer (:class:`LetterRenderer`).
Adapters implement them; bootstrap and the entry points choose which.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from derbes.deadlines.model.regime import Regime
from derbes.platform.labels import Lang
from derbes.platform.otp import IssuedOtp, OtpVerifier
from derbes.register.model.register import Register
from derbes.requests.model import RequestState, SubjectRequest, Transition

__all__ = ["Forgetful", "LetterRenderer", "OtpPort", "RequestFilter", "RequestRepository"]


@dataclass(frozen=True)
class RequestFilter:
    """What ``list`` selects. ``due_before``/``due_on`` look at open requests only."""

    operator_id: str | None = None
    states: tuple[RequestState, ...] = ()
    subject_id: str | None = None
    due_before: date | None = None  # overdue on a day: due_date < day
    due_on: date | None = None  # due that very day
    limit: int = 500


class RequestRepository(Protocol):
    def add(self, request: SubjectRequest, transition: Transition) -> None: ...

    def get(self, request_id: str, *, for_update: bool = False) -> SubjectRequest | None: ...

    def save(self, request: SubjectRequest, transition: Transition | None = None) -> None:
        """Store the request's new state (and the transition that led to it, if any)."""
        ...

    def transitions(self, request_id: str) -> builtins.list[Transition]: ...

    def list(self, where: RequestFilter) -> builtins.list[SubjectRequest]:
        """Matching requests, the soonest due first."""
        ...

    def answered_for_subjects(self, subject_ids: Collection[str]
                              ) -> dict[str, builtins.list[datetime]]:
        """When each answered or refused request of these subjects was closed, per subject
        (every one: no limit), in one read."""
        ...


class OtpPort(OtpVerifier, Protocol):
    """The OTP port of ``platform/otp.py``, with the sending half."""

    def issue(self, subject_id: str, at: datetime) -> IssuedOtp: ...


class Forgetful(Protocol):
    """What blocking needs of the decision point: drop a subject's cached state."""

    def forget(self, subject_ids: Sequence[str] | None = None) -> None: ...


class LetterRenderer(Protocol):
    """Writes the answer (or refusal) as a letter: ``html`` or ``pdf`` bytes."""

    def __call__(self, request: SubjectRequest, full: Mapping[str, Any], register: Register,
                 lang: Lang | str, fmt: str = "html", *, regime: Regime | None = None
                 ) -> bytes: ...

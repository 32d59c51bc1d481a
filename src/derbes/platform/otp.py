"""The SMS one-time-code port: codes are sent to the subject and checked on consent.

A consent by SMS OTP (Law 94-V Art. 8; Rules 395/НҚ: a form that proves the
consent was given) carries the reference of a code sent to the subject and
the code the subject typed. The verifier answers whether that code was
issued for that subject, matches, is still fresh (the term is data:
``otp_reference_valid_minutes`` in ``data/consent_rules.yaml``) and was not
used for another consent. ``platform/otp_codes.FileOtpCodes`` is the
adapter of the demo and the CLI; ``derbes.testing.otp.FakeOtpService`` keeps
codes in memory for tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

__all__ = ["IssuedOtp", "OtpVerifier"]


@dataclass(frozen=True)
class IssuedOtp:
    reference: str
    code: str = field(repr=False)
    subject_id: str
    issued_at: datetime
    expires_at: datetime


class OtpVerifier(Protocol):
    def verify(self, reference: str, code: str, subject_id: str, at: datetime) -> None:
        """Raise ``InputError`` (naming ``evidence.otp_reference`` or ``evidence.otp_code``)
        unless the code was issued to the subject, matches, is fresh and unused."""
        ...

    def consume(self, reference: str) -> None:
        """Mark the code used, once the consent it proves is stored."""
        ...

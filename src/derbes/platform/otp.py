"""The SMS one-time-code port: codes are sent to the subject and checked on consent.

A consent by SMS OTP (Law 94-V Art. 8; Rules 395/НҚ: a form that proves the
consent was given) carries the reference of a code sent to the subject and
the code the subject typed. The verifier answers whether that code was
issued for that subject, matches, is still fresh (the term is data:
``otp_reference_valid_minutes`` in ``data/consent_rules.yaml``) and was not
used for another consent. :class:`FakeOtpService` is the adapter shipped for
the demo and tests: it "sends" nothing and remembers the codes it issued.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from derbes.errors import InputError

__all__ = ["FakeOtpService", "IssuedOtp", "OtpVerifier"]


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


class FakeOtpService:
    """Issues and checks codes in memory; ``issue`` stands for sending the SMS."""

    def __init__(self, valid_minutes: int) -> None:
        self.valid_for = timedelta(minutes=valid_minutes)
        self.issued: dict[str, IssuedOtp] = {}
        self.used: set[str] = set()

    def issue(self, subject_id: str, at: datetime) -> IssuedOtp:
        reference = "otp_" + secrets.token_hex(8)
        code = f"{secrets.randbelow(10**6):06d}"
        issued = IssuedOtp(reference, code, subject_id, at, at + self.valid_for)
        self.issued[reference] = issued
        return issued

    def verify(self, reference: str, code: str, subject_id: str, at: datetime) -> None:
        issued = self.issued.get(reference)
        if issued is None or issued.subject_id != subject_id:
            raise InputError("unknown OTP reference for this subject",
                             field="evidence.otp_reference")
        if at > issued.expires_at:
            raise InputError(f"the OTP reference expired: codes are valid for "
                             f"{int(self.valid_for.total_seconds() // 60)} minutes",
                             field="evidence.otp_reference")
        if reference in self.used:
            raise InputError("the OTP reference was already used for another consent",
                             field="evidence.otp_reference")
        if not hmac.compare_digest(issued.code.encode(), code.strip().encode()):
            raise InputError("the OTP code does not match", field="evidence.otp_code")

    def consume(self, reference: str) -> None:
        self.used.add(reference)

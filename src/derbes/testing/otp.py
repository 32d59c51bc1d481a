"""The SMS one-time-code port in memory, for tests (production never imports this)."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from derbes.errors import InputError
from derbes.platform.otp import IssuedOtp

__all__ = ["FakeOtpService"]


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

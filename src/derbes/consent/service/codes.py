"""SMS codes of consent requests, checked within the identity limits before the
consent's own transaction opens.

A failed attempt must be counted even though the consent is not stored, and on
SQLite a second writer inside an open transaction would wait for itself; so
the codes are checked (and every attempt recorded and committed) first, and
the consent's checks then see the codes as already verified.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from derbes.consent.model.act import ConsentRequest
from derbes.context import Context
from derbes.delivery.ports import Couriers
from derbes.errors import ConflictError, NotFoundError
from derbes.platform.otp import IssuedOtp, OtpVerifier

if TYPE_CHECKING:
    from derbes.access.service.limits import OtpIssuer

__all__ = ["check_codes", "send_code"]


class _Checked:
    """The OTP verifier the consent's checks see once the codes were checked."""

    def __init__(self, otp: OtpVerifier, checked: set[tuple[str, str, str]]) -> None:
        self._otp = otp
        self._checked = checked

    def verify(self, reference: str, code: str, subject_id: str, at: datetime) -> None:
        if (reference.strip(), code.strip(), subject_id) not in self._checked:
            self._otp.verify(reference, code, subject_id, at)

    def consume(self, reference: str) -> None:
        self._otp.consume(reference)


def _wanted(otp: OtpVerifier | None, requests: Sequence[ConsentRequest]
            ) -> list[ConsentRequest]:
    if otp is None:
        return []
    return [r for r in requests if str(r.channel) == "sms_otp"
            and isinstance(r.evidence.otp_reference, str) and r.evidence.otp_reference.strip()
            and isinstance(r.subject_id, str)]


def _subject_to_check(ctx: Context, request: ConsentRequest) -> str | None:
    """The subject whose code is to be checked; None when the consent's checks answer
    the request without a code (unknown subject, a replayed idempotency key)."""
    key = request.idempotency_key.strip() if isinstance(request.idempotency_key, str) \
        else None
    uow = ctx.uow
    with uow:
        subject = uow.vault.get(request.subject_id)
        if subject is None or subject.destroyed or not ctx.scope.admits(subject.operator_id):
            return None
        if key and uow.consents.by_idempotency_key(subject.operator_id, key):
            return None
    return subject.id


def check_codes(ctx: Context, otp: OtpVerifier | None, requests: Sequence[ConsentRequest]
                ) -> OtpVerifier | None:
    """Check the SMS codes of ``requests`` within the identity limits; the verifier
    returned lets the consent's checks pass the codes checked here."""
    from derbes.access.service.limits import OtpAttempt, otp_verify

    wanted = _wanted(otp, requests)
    if otp is None or not wanted:
        return otp
    checked: set[tuple[str, str, str]] = set()
    for request in wanted:
        subject_id = _subject_to_check(ctx, request)
        if subject_id is None:
            continue
        reference = str(request.evidence.otp_reference).strip()
        code = request.evidence.otp_code if isinstance(request.evidence.otp_code, str) else ""
        otp_verify(ctx, otp, OtpAttempt(subject_id, reference, code, [subject_id],
                                        "evidence.otp_code"))
        checked.add((reference, code.strip(), subject_id))
    return _Checked(otp, checked)


def send_code(ctx: Context, otp: OtpIssuer, couriers: Couriers, subject_id: str,
              language: str = "ru") -> IssuedOtp:
    """Send the subject a code by SMS to their phone on record, to be typed back as the
    evidence of a consent by ``sms_otp`` (Rules 395/НҚ: a form that proves the consent
    was given); within the codes allowed per subject and hour (``identity_limits``)."""
    from derbes.access.service.limits import otp_issue
    from derbes.delivery import service as delivery
    from derbes.vault.model import LookupKind
    from derbes.vault.service.reading import contact

    held = contact(ctx, subject_id, LookupKind.PHONE)
    if held is None:
        with ctx.uow:
            known = ctx.uow.vault.get(subject_id)
        if known is None or known.destroyed or not ctx.scope.admits(known.operator_id):
            raise NotFoundError("subject not found", field="subject_id")
        raise ConflictError("no phone number is held for this subject", field="subject_id")
    phone, operator_id = held
    to = delivery.CodeRecipient(phone, language, operator_id)
    return otp_issue(ctx, otp, subject_id, [subject_id],
                     deliver=lambda issued: delivery.send_code(ctx, couriers, to, issued))

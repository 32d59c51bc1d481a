"""Verifying the requester before anything is disclosed or done (Law 94-V Art. 24):
a one-time code sent by SMS and typed back, or staff who saw an identity document."""

from __future__ import annotations

from dataclasses import replace

from derbes.access.service.limits import OtpAttempt, otp_issue, otp_verify
from derbes.context import Context
from derbes.delivery import service as delivery
from derbes.delivery.ports import Couriers
from derbes.delivery.service import CodeRecipient
from derbes.errors import ConflictError
from derbes.platform.otp import IssuedOtp, OtpVerifier
from derbes.requests import model as rq
from derbes.requests.model import RequestState, SubjectRequest, VerificationMethod
from derbes.requests.ports import OtpPort
from derbes.requests.service.sealing import given, key_id, request_key, seal
from derbes.requests.service.transitions import Move, get, move_to
from derbes.vault.model import LookupKind
from derbes.vault.service import reading as vault_reading

__all__ = ["issue_otp", "start", "verify_by_otp", "verify_by_session", "verify_by_staff"]


def _binding(request: SubjectRequest) -> str:
    # The code goes to the subject's phone on record; for an unknown subject, to the
    # number the requester gave: then it is bound to the request itself.
    return request.subject_id or key_id(request.id)


def _mask(reference: str) -> str:
    keep = reference[-4:] if len(reference) > 8 else ""
    return "•" * max(len(reference) - len(keep), 4) + keep


def _phone(ctx: Context, request: SubjectRequest) -> str:
    """The subject's phone on record; for a subject derbes does not know, the number
    the requester gave with the request (sealed with it)."""
    if request.subject_id:
        held = vault_reading.contact(ctx, request.subject_id, LookupKind.PHONE)
        if held is not None:
            return held[0]
    identifiers = given(ctx.keystore, request).get("identifiers")
    phone = identifiers.get("phone") if isinstance(identifiers, dict) else None
    if not isinstance(phone, str) or not phone:
        raise ConflictError("no phone number is on record for this request: verify the "
                            "requester by an identity document", field="phone")
    return phone


def issue_otp(ctx: Context, otp: OtpPort, couriers: Couriers, request_id: str) -> IssuedOtp:
    """Send a one-time code for verifying the requester (only before verification) by
    SMS, in the request's language, within the codes allowed per request or subject and
    hour (``data/identity_limits.yaml``)."""
    with ctx.uow:
        request = get(ctx, request_id)
    if request.state is not RequestState.RECEIVED:
        raise ConflictError(f"a {request.state.value} request needs no verification code",
                            field="state")
    to = CodeRecipient(_phone(ctx, request), request.language, request.operator_id)
    return otp_issue(ctx, otp, _binding(request),
                     [request.subject_id] if request.subject_id else [],
                     deliver=lambda issued: delivery.send_code(ctx, couriers, to, issued))


def verify_by_otp(ctx: Context, otp: OtpVerifier, request_id: str, reference: str, code: str
                  ) -> SubjectRequest:
    """The requester typed back the code sent to them: received → verified.

    Attempts are limited per code and per request or subject, and a run of
    wrong codes locks verification out for a while (``identity_limits``): a
    code cannot be found by trying them all.
    """
    ref = rq.checked_reference(reference, "otp_reference")
    with ctx.uow:
        request = get(ctx, request_id)
    rq.check_transition(request.state, RequestState.VERIFIED)
    otp_verify(ctx, otp, OtpAttempt(_binding(request), ref,
                                    code if isinstance(code, str) else "",
                                    [request.subject_id] if request.subject_id else []))
    after = move_to(ctx, request_id, RequestState.VERIFIED, Move(
        change=lambda r: replace(r, verification_method=VerificationMethod.SMS_OTP,
                                 verification_ref=ref),
        details={"verification": VerificationMethod.SMS_OTP.value}))
    otp.consume(ref)
    return after


def verify_by_staff(ctx: Context, request_id: str, document_ref: str, *, reason: str,
                    verified_by: str | None = None) -> SubjectRequest:
    """Staff saw the requester's identity document: received → verified.

    Who verified (the context's actor, and ``verified_by``: the API key or
    person), which document (its reference, masked in clear and sealed in full)
    and why it proves the requester's identity (``reason``) are recorded with the
    transition and in the audit log. Callers allow it only to a key whose
    scope permits verification (``verify`` or ``admin``).
    """
    ref = rq.checked_reference(document_ref, "document_ref")
    why = rq.checked_reason(reason, required=True)
    key = request_key(ctx.keystore, request_id)
    with ctx.uow:
        request = get(ctx, request_id)
    payload = given(ctx.keystore, request)
    payload["verification_document"] = ref

    def change(r: SubjectRequest) -> SubjectRequest:
        return replace(r, verification_method=VerificationMethod.STAFF_DOCUMENT,
                       verification_ref=_mask(ref),
                       payload_sealed=seal(key, r.id, "payload", payload))

    return move_to(ctx, request_id, RequestState.VERIFIED, Move(
        why, change, {"verification": VerificationMethod.STAFF_DOCUMENT.value,
                      "verified_by": verified_by or ctx.actor, "document": _mask(ref)}))


def verify_by_session(ctx: Context, request_id: str, session_id: str) -> SubjectRequest:
    """The subject filed the request in their cabinet, signed in with a code sent to the
    phone on record (the same proof as :func:`verify_by_otp`): received → verified. The
    session is named masked; the caller has checked the request is the session's
    subject's."""
    ref = rq.checked_reference(session_id, "session")
    return move_to(ctx, request_id, RequestState.VERIFIED, Move(
        change=lambda r: replace(r, verification_method=VerificationMethod.CABINET_SESSION,
                                 verification_ref=_mask(ref)),
        details={"verification": VerificationMethod.CABINET_SESSION.value,
                 "session": _mask(ref)}))


def start(ctx: Context, request_id: str) -> SubjectRequest:
    """verified → in_progress."""
    return move_to(ctx, request_id, RequestState.IN_PROGRESS)

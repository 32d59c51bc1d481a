"""What a signed-in subject does in the cabinet: see what is held, their consents and
requests; withdraw a consent; file a request; read the letters.

Every use case takes the :class:`~derbes.cabinet.service.signin.Visit` of the session
and acts as that subject within that operator: a consent, request, letter or document
of anybody else does not exist for it (refused as not found, and the attempt audited).
The work itself is done by the slices that own it: the requests slice files, verifies,
answers and writes letters; the consent slice previews and records withdrawals.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from derbes.audit.model.log import AuditRecord
from derbes.cabinet.model import StoredDocument, check_upload
from derbes.cabinet.service.signin import Visit
from derbes.consent.model.consent import Consent, ConsentStatus, ScopeKind
from derbes.consent.model.withdrawal import OutcomeStatus, WithdrawalOutcome
from derbes.consent.service import consent as consents
from derbes.consent.service.withdraw import withdraw_consent, withdrawal_preview
from derbes.errors import InputError, NotFoundError
from derbes.platform import crypto
from derbes.register.model.register import Register
from derbes.register.service.in_force import in_force_in
from derbes.requests import service as requests
from derbes.requests.model import RequestState, RequestType, SubjectRequest
from derbes.requests.ports import LetterRenderer, RequestFilter

__all__ = ["REFUSED_ACTION", "Filing", "Withdrawal", "consent_of", "file", "letter",
           "my_consents", "my_requests", "register_of", "request_of", "withdraw",
           "withdrawal_answer"]

REFUSED_ACTION = "cabinet.refused"
_OPEN = (RequestState.RECEIVED, RequestState.VERIFIED, RequestState.IN_PROGRESS)


def _refuse(visit: Visit, what: str, reference: str) -> NotFoundError:
    """Audit an attempt on something that is not the subject's; the error to raise."""
    ctx = visit.ctx
    with ctx.uow:
        ctx.uow.audit.record(AuditRecord(
            at=ctx.now(), actor=ctx.actor, action=REFUSED_ACTION,
            subject_ids=[visit.subject_id], request_id=ctx.request_id,
            details={"what": what, "reference": hashlib.sha256(reference.encode()).hexdigest()[:16],
                     "session_id": visit.session.id}))
        ctx.uow.commit()
    return NotFoundError(f"no such {what} of yours", field=what)


def register_of(visit: Visit) -> Register:
    with visit.ctx.uow as uow:
        return in_force_in(uow, visit.operator_id).register


def my_consents(visit: Visit) -> tuple[tuple[Consent, ...], datetime]:
    found = consents.consents_of(visit.ctx, visit.subject_id)
    return found.consents, found.at


def consent_of(visit: Visit, consent_id: str) -> Consent:
    """The subject's own consent in force; anybody else's (or none) is refused, audited."""
    mine, at = my_consents(visit)
    for c in mine:
        if c.id == consent_id and c.status_on(at) is ConsentStatus.ACTIVE:
            return c
    raise _refuse(visit, "consent", consent_id)


@dataclass(frozen=True)
class Withdrawal:
    """The Art. 8 p.2 answer of withdrawing one consent: what its withdrawal stops or keeps
    (``outcomes``), and what goes on regardless on grounds other than this consent
    (``continuing``: a contract still open, a law)."""

    consent: Consent
    outcomes: tuple[WithdrawalOutcome, ...]
    continuing: tuple[WithdrawalOutcome, ...]


def _continuing(visit: Visit, kind: ScopeKind) -> tuple[WithdrawalOutcome, ...]:
    """What continues whatever this withdrawal: the purposes a withdrawal of processing
    would keep (contract, law), previewed and rolled back."""
    if kind is ScopeKind.PROCESSING:
        return ()
    mine, at = my_consents(visit)
    if not any(c.scope.kind is ScopeKind.PROCESSING and c.status_on(at) is ConsentStatus.ACTIVE
               for c in mine):
        return ()
    return tuple(o for o in withdrawal_preview(visit.ctx, visit.subject_id,
                                               ScopeKind.PROCESSING)
                 if o.status is OutcomeStatus.CONTINUES)


def withdrawal_answer(visit: Visit, consent_id: str) -> Withdrawal:
    """What withdrawing the consent would answer, before the subject confirms."""
    consent = consent_of(visit, consent_id)
    outcomes = withdrawal_preview(visit.ctx, visit.subject_id, consent.scope.kind)
    return Withdrawal(consent, outcomes, _continuing(visit, consent.scope.kind))


def withdraw(visit: Visit, consent_id: str) -> Withdrawal:
    """Withdraw the subject's own consent (its whole scope, as the ledger records it)."""
    consent = consent_of(visit, consent_id)
    done = withdraw_consent(visit.ctx, visit.subject_id, consent.scope.kind)
    return Withdrawal(consent, done.outcomes, _continuing(visit, consent.scope.kind))


def my_requests(visit: Visit) -> list[SubjectRequest]:
    return requests.list_requests(visit.ctx, RequestFilter(
        operator_id=visit.operator_id, subject_id=visit.subject_id, limit=200))


def request_of(visit: Visit, request_id: str) -> SubjectRequest:
    """The subject's own request; anybody else's (or none) is refused, audited."""
    with visit.ctx.uow as uow:
        found = uow.requests.get(request_id)
    if found is None or found.subject_id != visit.subject_id \
            or found.operator_id != visit.operator_id:
        raise _refuse(visit, "request", request_id)
    return found


@dataclass(frozen=True)
class Filing:
    """A request as typed in the cabinet: its type and what that type needs."""

    type: str
    category: str | None = None  # rectification: the category to change
    value: str | None = None  # rectification: the new value
    document: bytes | None = None  # rectification: the confirming document
    text: str | None = None  # objection: the decision objected to, in the subject's words


def _accepted(visit: Visit, kind: str) -> RequestType:
    rules = visit.ctx.rules.cabinet
    if kind not in rules.request_types:
        raise InputError("this operator does not take this kind of request in the cabinet: "
                         "a complaint goes to the authorised body or a court, a withdrawal of "
                         "consent is made on the consents page", field="type")
    return RequestType(kind)


def _store_document(visit: Visit, content: bytes) -> str:
    """Seal the document under its own key (never in clear on disk); its reference."""
    ctx = visit.ctx
    media_type = check_upload(ctx.rules.cabinet.uploads, content)
    document_id = uuid.uuid4().hex
    key_id = f"cabinet-document:{document_id}"
    key = ctx.keystore.create_keys([key_id])[key_id]
    stored = StoredDocument(
        id=document_id, operator_id=visit.operator_id, subject_id=visit.subject_id,
        media_type=media_type, size=len(content), sha256=hashlib.sha256(content).hexdigest(),
        key_id=key_id, sealed=crypto.seal(key, content, key_id.encode()),
        created_at=ctx.now())
    with ctx.uow:
        ctx.uow.cabinet_documents.add(stored)
        ctx.uow.commit()
    return key_id


def _payload(visit: Visit, kind: RequestType, filing: Filing) -> dict[str, object]:
    if kind is RequestType.RECTIFICATION:
        category = (filing.category or "").strip()
        value = (filing.value or "").strip()
        if category not in register_of(visit).categories:
            raise InputError("choose what is to be corrected", field="category")
        if not value:
            raise InputError("enter the correct value", field="value")
        check_upload(visit.ctx.rules.cabinet.uploads, filing.document or b"")
        return {"values": {category: value}}
    if kind is RequestType.AUTOMATED_OBJECTION and filing.text:
        return {"text": filing.text.strip()[:2000]}
    return {}


def file(visit: Visit, filing: Filing, language: str, answering: requests.Answering
         ) -> SubjectRequest:
    """File the request as the signed-in subject, verified by the session; an access
    request is answered at once (Art. 24: the information, free of charge)."""
    kind = _accepted(visit, filing.type)
    payload = _payload(visit, kind, filing)  # every check before anything is stored
    if kind is RequestType.RECTIFICATION:
        payload["document_ref"] = _store_document(visit, filing.document or b"")
    ctx = visit.ctx
    filed = requests.file_request(ctx, requests.NewRequest(
        operator_id=visit.operator_id, type=kind, language=language,
        subject_id=visit.subject_id, payload=payload))
    after = requests.verify_by_session(ctx, filed.id, visit.session.id)
    if kind is RequestType.ACCESS:
        after = requests.answer_request(ctx, filed.id, answering).request
    return after


def letter(visit: Visit, request_id: str, render: LetterRenderer, fmt: str, lang: str
           ) -> bytes:
    """The letter of the subject's own answered request, in ``lang``."""
    request_of(visit, request_id)
    return requests.letter(visit.ctx, request_id, render, fmt, lang)


def latest_access(found: Sequence[SubjectRequest]) -> SubjectRequest | None:
    """The subject's latest answered access request (what the "my data" page shows)."""
    answered = [r for r in found if r.type is RequestType.ACCESS
                and r.state is RequestState.ANSWERED]
    return max(answered, key=lambda r: r.received_at, default=None)


def open_requests(found: Sequence[SubjectRequest]) -> list[SubjectRequest]:
    return [r for r in found if r.state in _OPEN]

"""Filing a request (Law 94-V Art. 24): checked at receipt, its deadline and due date
fixed now, the requester's PD sealed with the request's own key.

Unknown subjects: a request for somebody derbes does not know is accepted
like any other and, once the requester is verified, answered "no data held".
Filing never tells whether a person is a customer.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from derbes.consent.model.consent import parse_scope_kind
from derbes.context import Context
from derbes.deadlines import service as deadlines
from derbes.deadlines.model.wording import as_lang
from derbes.errors import InputError
from derbes.identifiers.ports import Phones
from derbes.platform.choices import parse_choice
from derbes.requests import model as rq
from derbes.requests.model import RequesterKind, RequestState, RequestType, SubjectRequest
from derbes.requests.service.sealing import encode, key_id, seal
from derbes.requests.service.transitions import Move, on_behalf, record, regime_for, register_in
from derbes.vault.model import SUBJECT_ACCESS_REQUEST, LookupKind, normalise_identifier
from derbes.vault.service import subjects as vault_service

__all__ = ["MAX_IDENTIFIERS", "MAX_PAYLOAD", "NewRequest", "file_request"]

log = logging.getLogger(__name__)

MAX_IDENTIFIERS = 5
MAX_PAYLOAD = 50_000  # characters of the JSON of a request's payload


@dataclass(frozen=True)
class NewRequest:
    """A request as received (API, CLI), not yet checked.

    ``identifiers``: how the requester names the subject (iin, phone, email,
    customer_id); ``subject_id``: the operator's internal id if already known.
    ``payload``: what the type needs — rectification ``values`` ({category:
    value}) and ``document_ref``; destruction ``categories`` (optional);
    withdrawal ``scope``; complaint / claim ``text``.
    """

    operator_id: str
    type: RequestType | str
    language: str = "ru"
    identifiers: Mapping[str, str] = field(default_factory=dict, repr=False)
    subject_id: str | None = None
    requester: RequesterKind | str = RequesterKind.SUBJECT
    representative_document: str | None = field(default=None, repr=False)
    payload: Mapping[str, Any] = field(default_factory=dict, repr=False)
    received_at: datetime | None = None  # default: now


@dataclass(frozen=True)
class _Checked:
    """A new request, checked: what is stored of it (sealed or in clear)."""

    type: RequestType
    language: str
    requester: RequesterKind
    received: datetime
    identifiers: dict[str, str]
    representative: str | None
    payload: dict[str, Any]


def _check_identifiers(identifiers: Mapping[str, str], phones: Phones) -> dict[str, str]:
    if not isinstance(identifiers, Mapping):
        raise InputError("identifiers must map a kind to a value", field="identifiers")
    if len(identifiers) > MAX_IDENTIFIERS:
        raise InputError(f"at most {MAX_IDENTIFIERS} identifiers", field="identifiers")
    out: dict[str, str] = {}
    for kind, value in identifiers.items():
        try:
            lookup = LookupKind(kind)
        except ValueError:
            allowed = ", ".join(k.value for k in LookupKind)
            raise InputError(f"unknown identifier kind {kind!r}: use one of {allowed}",
                             field="identifiers") from None
        out[lookup.value] = normalise_identifier(lookup, value, phones.e164)
    return out


def _check_payload(kind: RequestType, payload: Mapping[str, Any]) -> None:
    if len(encode(payload)) > MAX_PAYLOAD:
        raise InputError(f"the payload is longer than {MAX_PAYLOAD} characters as JSON",
                         field="payload")
    if kind is RequestType.RECTIFICATION:
        values = payload.get("values")
        if not isinstance(values, Mapping) or not values:
            raise InputError("a rectification names the new values: {category: value}",
                             field="payload.values")
        rq.checked_reference(payload.get("document_ref"), "payload.document_ref")
    if kind is RequestType.DESTRUCTION or kind is RequestType.BLOCKING:
        categories = payload.get("categories")
        if categories is not None and (not isinstance(categories, list) or not all(
                isinstance(c, str) for c in categories)):
            raise InputError("categories must be a list of category ids",
                             field="payload.categories")
    if kind is RequestType.CONSENT_WITHDRAWAL:
        parse_scope_kind(payload.get("scope", "processing"), "payload.scope")
    if kind is RequestType.AUTOMATED_OBJECTION and not isinstance(
            payload.get("purpose", ""), str):
        raise InputError("purpose must be a purpose id", field="payload.purpose")


def _checked(new: NewRequest, now: datetime, phones: Phones) -> _Checked:
    kind = rq.parse_type(new.type)
    language = as_lang(new.language).value
    requester = parse_choice(RequesterKind, new.requester, "requester kind", "requester")
    received = new.received_at or now
    if received.tzinfo is None or received.utcoffset() is None:
        raise InputError("received_at must carry a time zone", field="received_at")
    if received > now:
        raise InputError("received_at is in the future", field="received_at")
    identifiers = _check_identifiers(new.identifiers, phones)
    representative: str | None = None
    if requester is RequesterKind.REPRESENTATIVE:
        representative = rq.checked_reference(new.representative_document,
                                              "representative_document")
    elif new.representative_document:
        raise InputError("a representative's document is given only by a representative",
                         field="representative_document")
    payload = dict(new.payload or {})
    _check_payload(kind, payload)
    if not identifiers and not new.subject_id:
        raise InputError("name the subject: an identifier (iin, phone, email, customer_id) "
                         "or the subject id", field="identifiers")
    return _Checked(kind, language, requester, received, identifiers, representative, payload)


def _subject_of(ctx: Context, new: NewRequest, identifiers: Mapping[str, str],
                request_id: str) -> str | None:
    """The subject the request is about, if derbes knows them (blind index, audited)."""
    if new.subject_id:
        with ctx.uow as uow:
            found = uow.vault.get(new.subject_id)
        if found is not None and found.operator_id == new.operator_id and not found.destroyed:
            return found.id
    for lookup, value in identifiers.items():
        hits = vault_service.find_subject(
            on_behalf(ctx, new.operator_id, request_id), lookup, value,
            SUBJECT_ACCESS_REQUEST)
        if hits:
            return hits[0].subject_id
    return None


def file_request(ctx: Context, new: NewRequest) -> SubjectRequest:
    """Register a request at receipt: its deadline and due date are fixed now.

    The subject is looked up by the identifiers given (blind index, audited);
    nobody found is not an error: the request is kept with no subject and is
    later answered "no data held", so filing tells nobody who is a customer.
    The due date counts in the working calendar of ``ctx.rules`` (with the DPO's corrections).
    """
    checked = _checked(new, ctx.now(), ctx.phones)
    with ctx.uow as uow:
        register = register_in(uow, new.operator_id)
    request_id = str(uuid.uuid4())
    subject_id = _subject_of(ctx, new, checked.identifiers, request_id)
    regime = regime_for(ctx, register)
    deadline_id = ctx.rules.requests.deadline_of(checked.type)
    due = deadlines.due_by(regime, deadline_id, checked.received, ctx.rules.calendars)
    key = ctx.keystore.create_keys([key_id(request_id)])[key_id(request_id)]
    now = ctx.now()
    request = SubjectRequest(
        id=request_id, operator_id=new.operator_id, subject_id=subject_id, type=checked.type,
        state=RequestState.RECEIVED, language=checked.language, received_at=checked.received,
        due_date=due.due, deadline_id=deadline_id, deadline_citation=due.citation,
        requester=checked.requester,
        representative_sealed=None if checked.representative is None else seal(
            key, request_id, "representative", {"document": checked.representative}),
        payload_sealed=seal(key, request_id, "payload",
                            {"identifiers": checked.identifiers, "payload": checked.payload}),
        updated_at=now,
    )
    try:
        with ctx.uow as uow:
            record(ctx, None, request, now, Move(details={
                "deadline": deadline_id, "due_date": due.due.isoformat(),
                "subject_known": subject_id is not None,
                "requester": checked.requester.value}))
            uow.commit()
    except BaseException:
        ctx.keystore.destroy([key_id(request_id)])
        raise
    log.info("request %s (%s) filed for operator %s, due %s", request_id, checked.type.value,
             new.operator_id, due.due)
    return request

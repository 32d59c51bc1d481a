"""Consent through the eGov state service: send a request, record the subject's answer.

1. :func:`request_consent` checks the request as a consent would be checked
   (subject, scopes against the register, age), sends it through the
   :class:`EgovConsentService` port and stores it as pending.
2. :func:`handle_callback` takes the service's signed callback: on approval
   the consents are recorded with channel ``egov`` and the eGov request id as
   evidence (idempotency key ``egov:<request id>``); on refusal nothing is
   recorded. A repeated callback answers as the first; a contradicting one is
   a conflict. Silence records nothing: a request left pending is no consent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from derbes.consent.adapters.egov import EgovConsentService, EgovDecision
from derbes.consent.adapters.rules import load_consent_rules
from derbes.consent.adapters.store import EgovRequest
from derbes.consent.model import consent as rules_of
from derbes.consent.model.consent import ConsentChannel, Evidence, GivenBy, Scope
from derbes.consent.service import consent as consent_service
from derbes.consent.service.consent import ConsentRequest, GiveResult
from derbes.errors import AuthError, ConflictError, InputError, NotFoundError
from derbes.platform.clock import Clock
from derbes.platform.dates import check_moment
from derbes.uow import UnitOfWork
from derbes.vault.ports import KeyStore

__all__ = ["CallbackResult", "handle_callback", "request_consent"]

PENDING = "pending"


@dataclass(frozen=True)
class CallbackResult:
    request_id: str
    status: str
    consents: GiveResult | None


def request_consent(
    uow: UnitOfWork,
    keystore: KeyStore,
    egov: EgovConsentService,
    subject_id: str,
    scopes: list[Scope],
    actor: str,
    clock: Clock,
    valid_until: datetime | None = None,
    request_id: str | None = None,
    *,
    operator_id: str | None = None,
) -> EgovRequest:
    """Check and send a consent request to eGov; stored as pending."""
    rules = load_consent_rules()
    now = clock.now()
    with uow:
        subject = consent_service.live_subject(uow, subject_id, operator_id)
        register = consent_service.register_in_force(uow, subject.operator_id).register
        checked = rules_of.validate_scopes(register, scopes, rules)
        rules_of.check_valid_until(now, valid_until)
        # eGov authenticates the subject themselves: a minor cannot approve alone.
        minor = consent_service.minor_in(
            uow, keystore, subject, now, actor, request_id, rules)
        rules_of.check_given_by(GivenBy.SUBJECT, None, minor, rules)
        uow.commit()  # the audited age check
    summary = {"operator_id": subject.operator_id,
               "scopes": [s.as_dict() for s in checked],
               "valid_until": valid_until.isoformat() if valid_until else None}
    sent = egov.send(subject.id, subject.operator_id, summary, now)
    pending = EgovRequest(request_id=sent.request_id, subject_id=subject.id,
                          operator_id=subject.operator_id, request=summary, status=PENDING,
                          sent_at=now)
    with uow:
        uow.egov_requests.add(pending)
        uow.commit()
    return pending


def handle_callback(
    uow: UnitOfWork,
    keystore: KeyStore,
    egov: EgovConsentService,
    body: bytes,
    signature: str | None,
    clock: Clock,
) -> CallbackResult:
    """Record the subject's answer from a signed eGov callback."""
    if not egov.verify_callback(body, signature):
        raise AuthError("the eGov callback signature does not verify", field="signature")
    try:
        data = json.loads(body)
        request_id = str(data["request_id"])
        decision = EgovDecision(data["decision"])
        decided = data.get("decided_at")
        if decided is not None:
            check_moment(datetime.fromisoformat(str(decided)), "decided_at")
    except (ValueError, KeyError, TypeError):
        raise InputError("the eGov callback is malformed", field="body") from None
    now = clock.now()
    with uow:
        pending = uow.egov_requests.get(request_id, for_update=True)
        if pending is None:
            raise NotFoundError("no such eGov request", field="request_id")
        if pending.status != PENDING:
            if pending.status != decision.value:
                raise ConflictError(f"the eGov request was already {pending.status}",
                                    field="decision")
            replay = (None if pending.act_id is None else GiveResult(
                pending.act_id, tuple(uow.consents.by_act(pending.act_id)), replayed=True))
            return CallbackResult(request_id, pending.status, replay)
        given: GiveResult | None = None
        if decision is EgovDecision.APPROVED:
            raw = pending.request
            valid_until = raw.get("valid_until")
            given = consent_service.give_in(
                uow, keystore, None,
                ConsentRequest(
                    subject_id=pending.subject_id,
                    scopes=[Scope(rules_of.parse_scope_kind(s["kind"]),
                                  tuple(s["purposes"]), tuple(s["recipients"]),
                                  tuple(s["cookie_categories"])) for s in raw["scopes"]],
                    channel=ConsentChannel.EGOV,
                    evidence=Evidence(egov_request_id=request_id),
                    valid_until=datetime.fromisoformat(valid_until) if valid_until else None,
                    idempotency_key=f"egov:{request_id}",
                ),
                "egov", now, request_id, via_egov=True,
            )
        uow.egov_requests.decide(request_id, decision.value, now,
                                 given.act_id if given else None)
        uow.commit()
    return CallbackResult(request_id, decision.value, given)

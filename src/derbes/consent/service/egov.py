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

from derbes.consent.model import consent as rules_of
from derbes.consent.model.consent import ConsentChannel, Evidence, GivenBy, Scope
from derbes.consent.model.egov import PENDING, EgovDecision, EgovRequest
from derbes.consent.ports import EgovConsentService
from derbes.consent.service.give import ConsentRequest, GiveResult, give_in
from derbes.consent.service.subjects import live_subject, minor_in
from derbes.context import Context
from derbes.errors import AuthError, ConflictError, InputError, NotFoundError
from derbes.platform.dates import check_moment
from derbes.register.service.in_force import in_force_in

__all__ = ["PENDING", "CallbackResult", "handle_callback", "request_consent"]


@dataclass(frozen=True)
class CallbackResult:
    request_id: str
    status: str
    consents: GiveResult | None


def request_consent(
    ctx: Context,
    egov: EgovConsentService,
    subject_id: str,
    scopes: list[Scope],
    valid_until: datetime | None = None,
) -> EgovRequest:
    """Check and send a consent request to eGov; stored as pending."""
    rules = ctx.rules.consent
    now = ctx.now()
    with ctx.uow as uow:
        subject = live_subject(uow, subject_id, ctx.scope)
        register = in_force_in(uow, subject.operator_id).register
        checked = rules_of.validate_scopes(register, scopes, rules)
        rules_of.check_valid_until(now, valid_until)
        # eGov authenticates the subject themselves: a minor cannot approve alone.
        minor = minor_in(ctx, subject, register)
        rules_of.check_given_by(GivenBy.SUBJECT, None, minor, rules)
        uow.commit()  # the audited age check
    summary = {"operator_id": subject.operator_id,
               "scopes": [s.as_dict() for s in checked],
               "valid_until": valid_until.isoformat() if valid_until else None}
    sent = egov.send(subject.id, subject.operator_id, summary, now)
    pending = EgovRequest(request_id=sent.request_id, subject_id=subject.id,
                          operator_id=subject.operator_id, request=summary, status=PENDING,
                          sent_at=now)
    with ctx.uow as uow:
        uow.egov_requests.add(pending)
        uow.commit()
    return pending


def _decision(body: bytes) -> tuple[str, EgovDecision]:
    try:
        data = json.loads(body)
        request_id = str(data["request_id"])
        decision = EgovDecision(data["decision"])
        decided = data.get("decided_at")
        if decided is not None:
            check_moment(datetime.fromisoformat(str(decided)), "decided_at")
    except (ValueError, KeyError, TypeError):
        raise InputError("the eGov callback is malformed", field="body") from None
    return request_id, decision


def _approved(pending: EgovRequest) -> ConsentRequest:
    raw = pending.request
    valid_until = raw.get("valid_until")
    return ConsentRequest(
        subject_id=pending.subject_id,
        scopes=[Scope(rules_of.parse_scope_kind(s["kind"]), tuple(s["purposes"]),
                      tuple(s["recipients"]), tuple(s["cookie_categories"]))
                for s in raw["scopes"]],
        channel=ConsentChannel.EGOV,
        evidence=Evidence(egov_request_id=pending.request_id),
        valid_until=datetime.fromisoformat(valid_until) if valid_until else None,
        idempotency_key=f"egov:{pending.request_id}",
    )


def handle_callback(
    ctx: Context, egov: EgovConsentService, body: bytes, signature: str | None,
) -> CallbackResult:
    """Record the subject's answer from a signed eGov callback; the consent is recorded
    with the actor ``egov`` and the eGov request id as the request id."""
    if not egov.verify_callback(body, signature):
        raise AuthError("the eGov callback signature does not verify", field="signature")
    request_id, decision = _decision(body)
    now = ctx.now()
    with ctx.uow as uow:
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
            given = give_in(ctx.acting("egov", request_id), None, _approved(pending),
                            via_egov=True)
        uow.egov_requests.decide(request_id, decision.value, now,
                                 given.act_id if given else None)
        uow.commit()
    return CallbackResult(request_id, decision.value, given)

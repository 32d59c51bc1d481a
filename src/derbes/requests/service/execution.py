"""Answers that act on the subject's data or consents, or carry a person's response:
blocking, rectification, consent withdrawal, complaints and claims, and the objection
to automated processing (Law 94-V Art. 19-1, Art. 24)."""

from __future__ import annotations

from derbes.consent.service.withdraw import withdraw_consent
from derbes.context import Context, OperatorScope
from derbes.errors import NotFoundError
from derbes.requests import model as rq
from derbes.requests.model import RequestType, SubjectRequest
from derbes.requests.ports import Forgetful
from derbes.requests.service.sealing import given_payload
from derbes.requests.service.transitions import answered, begin, no_data, on_behalf, register_in
from derbes.vault.model import NewValue, Provenance, Source
from derbes.vault.service import subjects as vault_service

__all__ = ["answer_claim", "answer_objection", "execute_blocking", "execute_rectification",
           "execute_withdrawal"]


def execute_blocking(ctx: Context, request_id: str, *, decision_point: Forgetful | None = None
                     ) -> SubjectRequest:
    """Block the subject (or the categories asked) in the vault; the decision point's
    cached state of the subject is dropped, so the block is honoured at once."""
    request = begin(ctx, request_id, (RequestType.BLOCKING,))
    categories = given_payload(ctx.keystore, request).get("categories") or None
    if request.subject_id is None:
        return no_data(ctx, request)
    try:
        blocks = vault_service.block(on_behalf(ctx, request.operator_id, request.id),
                                     request.subject_id, categories,
                                     f"subject request {request.id}")
    except NotFoundError:
        return no_data(ctx, request)
    if decision_point is not None:
        decision_point.forget([request.subject_id])
    return answered(ctx, request, {
        "kind": "blocking", "held": True,
        "blocked": ["*" if b.category is None else b.category for b in blocks],
        "at": ctx.now().isoformat()})


def execute_rectification(ctx: Context, request_id: str) -> SubjectRequest:
    """Replace the values named in the request; provenance points at this request,
    whose sealed payload keeps the supporting document's reference."""
    request = begin(ctx, request_id, (RequestType.RECTIFICATION,))
    if request.subject_id is None:
        return no_data(ctx, request)
    payload = given_payload(ctx.keystore, request)
    provenance = Provenance(source=Source.SUBJECT, purposes=(),
                            method=f"rectification request {request.id}",
                            collected_at=ctx.now())
    values = [NewValue(str(category), value, provenance)
              for category, value in dict(payload.get("values", {})).items()]
    changed = vault_service.update_values(on_behalf(ctx, request.operator_id, request.id),
                                          request.subject_id, replace=values)
    return answered(ctx, request, {"kind": "rectification", "held": True, "changed": changed,
                                   "document": "sealed with the request"})


def execute_withdrawal(ctx: Context, request_id: str, *, decision_point: Forgetful | None = None
                       ) -> SubjectRequest:
    """Withdraw the consent scope named in the request through the consent ledger
    (``consent/service/withdraw.withdraw_consent``); the answer is its per-purpose outcome."""
    request = begin(ctx, request_id, (RequestType.CONSENT_WITHDRAWAL,))
    if request.subject_id is None:
        return no_data(ctx, request)
    scope = str(given_payload(ctx.keystore, request).get("scope", "processing"))
    try:
        asked = ctx.acting(ctx.actor, request.id)
        if request.operator_id is not None:
            asked = asked.within(OperatorScope.only(request.operator_id))
        result = withdraw_consent(asked, request.subject_id, scope)
    except NotFoundError:
        return answered(ctx, request, {"kind": "consent_withdrawal", "held": True,
                                       "scope": scope, "consents": [], "outcomes": []})
    if decision_point is not None:
        decision_point.forget([request.subject_id])
    return answered(ctx, request, {
        "kind": "consent_withdrawal", "held": True, "scope": scope,
        "event": result.event.value, "consents": list(result.consent_ids),
        "outcomes": [o.as_dict() for o in result.outcomes]})


def answer_claim(ctx: Context, request_id: str, response: str) -> SubjectRequest:
    """Answer a complaint or a pre-trial claim with the operator's reasoned response
    (kept sealed: it may speak of the subject's data)."""
    request = begin(ctx, request_id, (RequestType.COMPLAINT, RequestType.PRETRIAL_CLAIM))
    text = rq.checked_reason(response, required=True, where="response")
    summary = {"kind": request.type.value, "held": request.subject_id is not None,
               "responded": True}
    return answered(ctx, request, summary, {**summary, "response": text})


def answer_objection(ctx: Context, request_id: str, response: str) -> SubjectRequest:
    """Answer an objection to automated processing with the explanation of the person
    who considered it.

    Automated processing that changes the subject's rights needs consent; the
    subject may object, and the objection is considered within the regime's term
    (3 working days, ``data/regime.yaml``). The answer carries that person's
    explanation, the purposes it concerns, and the rights the Digital Code
    (Art. 43) gives for decisions made by automated means — to be told of the
    decision, to receive an explanation, to have a person review it.
    """
    request = begin(ctx, request_id, (RequestType.AUTOMATED_OBJECTION,))
    explanation = rq.checked_reason(response, required=True, where="response")
    named = given_payload(ctx.keystore, request).get("purpose") or None
    with ctx.uow as uow:
        register = register_in(uow, request.operator_id)
    purposes = rq.automated_purposes(register, named)
    summary = {"kind": request.type.value, "held": request.subject_id is not None,
               "purposes": [p.id for p in purposes], "reviewed_by_person": True,
               "rights": [r.value for r in rq.AutomatedRight]}
    return answered(ctx, request, summary, {
        **summary, "explanation": explanation,
        "consent_based": [p.id for p in purposes if p.consent_required]})

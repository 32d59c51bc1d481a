"""The objection to automated processing (Law 94-V Art. 19-1, Law 231-VIII of 17.11.2025).

Automated processing that changes the subject's rights needs consent; the
subject may object, and the objection is considered within the regime's term
(3 working days, ``data/regime.yaml``). A person considers it: the answer
carries that person's explanation, the purposes it concerns, and the rights the
Digital Code (Art. 43) gives for decisions made by automated means — to be told
of the decision, to receive an explanation, to have a person review it.
"""

from __future__ import annotations

from derbes.platform.clock import Clock
from derbes.requests import model as rq
from derbes.requests.model import RequestType, SubjectRequest
from derbes.requests.service import _answered, _begin, _open, _register
from derbes.uow import UnitOfWork
from derbes.vault.ports import KeyStore


def answer_objection(
    uow: UnitOfWork,
    keystore: KeyStore,
    request_id: str,
    response: str,
    actor: str,
    clock: Clock,
    *,
    operator_id: str | None = None,
) -> SubjectRequest:
    """Answer an objection with the explanation of the person who considered it."""
    request = _begin(uow, request_id, (RequestType.AUTOMATED_OBJECTION,), actor, clock,
                     operator_id)
    explanation = rq.checked_reason(response, required=True, where="response")
    given = (_open(keystore, request, "payload", request.payload_sealed) or {}).get("payload", {})
    with uow:
        register = _register(uow, request.operator_id).register
    named = given.get("purpose") or None
    purposes = rq.automated_purposes(register, named)
    summary = {"kind": request.type.value, "held": request.subject_id is not None,
               "purposes": [p.id for p in purposes], "reviewed_by_person": True,
               "rights": [r.value for r in rq.AutomatedRight]}
    full = {**summary, "explanation": explanation,
            "consent_based": [p.id for p in purposes if p.consent_required]}
    return _answered(uow, keystore, request, summary, full, actor, clock)

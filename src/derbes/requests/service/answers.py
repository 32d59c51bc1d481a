"""Answering a request of any type, refusing it, or taking it back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from derbes.context import Context
from derbes.datasets.ports import StoreOpener, no_stores
from derbes.errors import InputError
from derbes.requests import model as rq
from derbes.requests.model import RequestState, RequestType, SubjectRequest
from derbes.requests.ports import Forgetful
from derbes.requests.service import execution
from derbes.requests.service.access import AccessAnswer, answer_access
from derbes.requests.service.destruction import execute_destruction
from derbes.requests.service.sealing import open_sealed
from derbes.requests.service.transitions import Move, get, move_to, request_closed
from derbes.vault.ports import KeyStore

__all__ = ["Answering", "answer_request", "full_answer", "refuse", "withdraw_request"]


@dataclass(frozen=True)
class Answering:
    """What answering may need besides the request: the operator's databases, the
    decision point (told of blocks and withdrawals), staff's response (complaints,
    claims, objections)."""

    stores: StoreOpener = no_stores
    decision_point: Forgetful | None = None
    response: str | None = None


def answer_request(ctx: Context, request_id: str, answering: Answering = Answering()
                   ) -> AccessAnswer:
    """Execute and answer a request of any type (what ``POST …/answer`` and
    ``derbes request answer`` call)."""
    with ctx.uow:
        kind = get(ctx, request_id).type
    point, response = answering.decision_point, answering.response or ""
    if kind is RequestType.ACCESS:
        return answer_access(ctx, request_id, stores=answering.stores)
    if kind is RequestType.DESTRUCTION:
        return execute_destruction(ctx, request_id, stores=answering.stores,
                                   decision_point=point)
    if kind is RequestType.BLOCKING:
        after = execution.execute_blocking(ctx, request_id, decision_point=point)
    elif kind is RequestType.RECTIFICATION:
        after = execution.execute_rectification(ctx, request_id)
    elif kind is RequestType.CONSENT_WITHDRAWAL:
        after = execution.execute_withdrawal(ctx, request_id, decision_point=point)
    elif kind is RequestType.AUTOMATED_OBJECTION:
        after = execution.answer_objection(ctx, request_id, response)
    else:
        after = execution.answer_claim(ctx, request_id, response)
    return AccessAnswer(after, full_answer(ctx.keystore, after))


def full_answer(keystore: KeyStore, request: SubjectRequest) -> dict[str, Any]:
    """The full answer of an answered request, opened (it may list PD values)."""
    opened = open_sealed(keystore, request, "answer", request.answer_sealed)
    return dict(opened) if isinstance(opened, Mapping) else {}


def refuse(ctx: Context, request_id: str, reasons: Sequence[str]) -> SubjectRequest:
    """Refuse with reasons (staff's text, with the legal ground; no PD in it)."""
    texts = [t for r in reasons if (t := rq.checked_reason(r)) is not None]
    if not texts:
        raise InputError("a refusal states its reasons", field="reasons")
    after = move_to(ctx, request_id, RequestState.REFUSED, Move(
        "; ".join(texts),
        lambda r: replace(r, refusal_reasons=tuple(texts), pending_reason=None)))
    request_closed(ctx, after)
    return after


def withdraw_request(ctx: Context, request_id: str, *, reason: str | None = None
                     ) -> SubjectRequest:
    """The requester takes the request back."""
    return move_to(ctx, request_id, RequestState.WITHDRAWN, Move(
        rq.checked_reason(reason), lambda r: replace(r, pending_reason=None)))

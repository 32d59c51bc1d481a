"""The answer (or refusal) as a letter in the subject's language."""

from __future__ import annotations

from typing import Any

from derbes.context import Context
from derbes.deadlines.model.wording import as_lang
from derbes.errors import ConflictError
from derbes.platform.labels import Lang
from derbes.register.model.register import Register
from derbes.requests.model import RequestState, SubjectRequest
from derbes.requests.ports import LetterRenderer
from derbes.requests.service.answers import full_answer
from derbes.requests.service.transitions import get, regime_for, register_in

__all__ = ["letter", "letter_context"]


def letter_context(ctx: Context, request_id: str
                   ) -> tuple[SubjectRequest, dict[str, Any], Register]:
    """What a letter needs: the request, its full answer (opened) and the register."""
    with ctx.uow as uow:
        request = get(ctx, request_id)
        register = register_in(uow, request.operator_id)
    if request.state not in (RequestState.ANSWERED, RequestState.REFUSED):
        raise ConflictError("a letter is written once the request is answered or refused",
                            field="state")
    full = full_answer(ctx.keystore, request) if request.state is RequestState.ANSWERED else {}
    return request, full, register


def letter(ctx: Context, request_id: str, render: LetterRenderer, fmt: str = "html",
           lang: str | None = None) -> bytes:
    """The answer (or refusal) as a letter in the subject's language: HTML or PDF.

    The deadline is cited from the regime in force for the operator (the law and
    its own promises), in the letter's language.
    """
    request, full, register = letter_context(ctx, request_id)
    language = Lang(as_lang(lang or request.language))
    return render(request, full, register, language, fmt, regime=regime_for(ctx, register))

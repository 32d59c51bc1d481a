"""``/v1/decisions``: the decision point.

``POST /v1/decisions`` answers a batch of up to 10,000 actions in one call
with one database round trip for the subjects not seen within the cache's
lifetime. The request is validated by its model; the answer is serialised by
``orjson`` straight from the domain objects: validating 10,000 decisions
through the response model would cost more than deciding them, so the route
returns the serialised body itself (FastAPI then passes it through) while
:class:`DecisionsOut` stays its response model, the schema OpenAPI shows.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from derbes.access.model import Scope
from derbes.api.auth import Caller, require_scope
from derbes.api.deps import container as _container
from derbes.api.deps import required_operator as _operator
from derbes.decisions.model import Action, ActionKind, ReasonCode
from derbes.decisions.model.compact import compact
from derbes.decisions.service import MAX_BATCH
from derbes.errors import InputError
from derbes.platform.labels import Lang

router = APIRouter(tags=["decisions"])

Reader = Annotated[Caller, Depends(require_scope(Scope.READ))]
Id = Annotated[str, Field(min_length=1, max_length=100)]


# ------------------------------------------------------------------ models


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_id: str = Field(min_length=1, max_length=36)
    action: ActionKind = Field(description=(
        "use (for a purpose), transfer (to a recipient for a purpose), cross_border "
        "(to a recipient abroad), publish (in public sources)."))
    purpose: str | None = Field(default=None, max_length=100,
                                description="Required for use, transfer, cross_border.")
    recipient: str | None = Field(default=None, max_length=100,
                                  description="Required for transfer and cross_border.")
    categories: list[Id] = Field(min_length=1, max_length=200)


class DecisionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operator: str | None = Field(default=None, max_length=100, description=(
        "Operator id; may be left out when the API key is bound to an operator."))
    lang: Lang = Field(default=Lang.EN, description="Language of the reasons' messages.")
    actions: list[ActionIn] = Field(min_length=1, max_length=MAX_BATCH)


class ReasonOut(BaseModel):
    code: ReasonCode
    allowed: bool
    message: str
    citation: str
    ref: str | None = Field(description=(
        "What the reason is about: the consent id for consent reasons, else the "
        "category, recipient or purpose."))


class DecisionOut(BaseModel):
    allowed: bool
    reasons: list[ReasonOut]


class DecisionsOut(BaseModel):
    decisions: list[DecisionOut] = Field(description="One per action, in the same order.")


# ------------------------------------------------------------------ the compact form

SubjectId = Annotated[str, Field(min_length=1, max_length=36)]
Name = Annotated[str | None, Field(max_length=100)]
Categories = Annotated[tuple[Id, ...], Field(min_length=1, max_length=200)]
ActionRow = tuple[SubjectId, ActionKind, Name, Name, Categories]
ACTION_FIELDS = ("subject_id", "action", "purpose", "recipient", "categories")


class CompactDecisionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operator: str | None = Field(default=None, max_length=100, description=(
        "Operator id; may be left out when the API key is bound to an operator."))
    lang: Lang = Field(default=Lang.EN, description="Language of the reasons' messages.")
    actions: list[ActionRow] = Field(min_length=1, max_length=MAX_BATCH, description=(
        "Each action as [subject_id, action, purpose, recipient, categories], the "
        "fields of the full form in that order (null where a field does not apply)."))


class CompactTextOut(BaseModel):
    code: ReasonCode
    allowed: bool
    message: str
    citation: str


CompactReason = tuple[ReasonCode, str | None, int]


class CompactDecisionsOut(BaseModel):
    texts: list[CompactTextOut] = Field(description=(
        "Each distinct reason text of the batch, once."))
    decisions: list[tuple[bool, list[CompactReason]]] = Field(description=(
        "One per action, in the same order: [allowed, reasons], each reason "
        "[code, ref, text] where text indexes `texts` and ref is as in the full form."))


_COMPACT_EXAMPLE_IN = {"operator": "example-pay", "lang": "en", "actions": [
    ["5f0c6a2e-2b1d-4c55-9d1e-0f6f1d3b7a10", "use", "credit_check", None, ["identity.iin"]],
    ["5f0c6a2e-2b1d-4c55-9d1e-0f6f1d3b7a10", "transfer", "aml_identification", "afm",
     ["identity.iin"]],
]}
_COMPACT_EXAMPLE_OUT = {
    "texts": [
        {"code": "consent", "allowed": True,
         "citation": "Law 94-V Art. 7, Art. 8 (processing with the subject's consent)",
         "message": "The subject's consent for the purpose 'credit_check' is valid"},
        {"code": "recipient_basis", "allowed": True,
         "citation": "Law 94-V Art. 9 (transfer without consent in the cases the law names)",
         "message": "Transfer to 'afm' on the basis 'legal_obligation'"},
    ],
    "decisions": [
        [True, [["consent", "c-7b1e2d4a", 0]]],
        [True, [["recipient_basis", "afm", 1]]],
    ],
}


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON Schema with its ``$defs`` put in place (for ``openapi_extra``)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    inlined: dict[str, Any] = walk(schema)
    return inlined


_COMPACT_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": _inlined(CompactDecisionsIn.model_json_schema()),
    "example": _COMPACT_EXAMPLE_IN,
}}}}


def parse_compact(raw: bytes, content_type: str) -> CompactDecisionsIn:
    """Validate a compact batch straight from its bytes (one pass, in pydantic-core).

    A problem names its field in the notation of the full form's problems
    (``body.actions.3.purpose``), not by position inside the action's array.
    """
    if "json" not in content_type:
        raise InputError("the body must be JSON (Content-Type: application/json)",
                         field="content-type")
    try:
        return CompactDecisionsIn.model_validate_json(raw)
    except ValidationError as exc:
        raise RequestValidationError(
            [{"loc": ("body", *_named(e["loc"])), "msg": e["msg"], "type": e["type"]}
             for e in exc.errors(include_input=False, include_url=False)]
        ) from None


def _named(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    if len(loc) >= 3 and loc[0] == "actions" and isinstance(loc[2], int) \
            and 0 <= loc[2] < len(ACTION_FIELDS):
        return (*loc[:2], ACTION_FIELDS[loc[2]], *loc[3:])
    return loc


# ------------------------------------------------------------------ routes


@router.post(
    "/v1/decisions",
    response_model=DecisionsOut,
    responses={200: {"description": "One decision per action."}},
)
def decide_batch(body: DecisionsIn, caller: Reader, request: Request) -> Response:
    """Allow or deny each action, with every reason and its citation.

    An unknown purpose, recipient or category is a 422 problem whose ``field``
    names the action (``actions[3].purpose``): a mistake of the caller, not a
    denial. A subject the operator does not hold is denied (``subject_unknown``).
    """
    operator = _operator(caller, body.operator)
    actions = [Action(a.action, a.subject_id, a.purpose, a.recipient, tuple(a.categories))
               for a in body.actions]
    decisions = _container(request).decision_point.decide(operator, actions, body.lang)
    return Response(orjson.dumps({"decisions": decisions}), media_type="application/json")




@router.post(
    "/v1/decisions/compact",
    response_model=CompactDecisionsOut,
    openapi_extra=_COMPACT_BODY,
    responses={200: {"description": "One decision per action, reason texts once.",
                     "content": {"application/json": {"example": _COMPACT_EXAMPLE_OUT}}}},
)
async def decide_batch_compact(caller: Reader, request: Request) -> Response:
    """The batch of ``POST /v1/decisions`` in its compact form, for high-volume callers.

    Each action is an array ``[subject_id, action, purpose, recipient, categories]``;
    the answer gives per decision its verdict and each reason's code and ref, and
    each distinct reason text (message, citation) once for the whole batch. The
    decisions are exactly those of the full form; problems are the same 422s, with
    the field named (``body.actions[3]`` as ``body.actions.3.purpose``).
    """
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    # Validation and deciding are CPU work and may load states from the database:
    # off the event loop, as FastAPI runs the full form's sync route.
    return await run_in_threadpool(_decide_compact, caller, request, raw, content_type)


def _decide_compact(caller: Caller, request: Request, raw: bytes,
                    content_type: str) -> Response:
    body = parse_compact(raw, content_type)
    operator = _operator(caller, body.operator)
    actions = [Action(kind, subject, purpose, recipient, categories)
               for subject, kind, purpose, recipient, categories in body.actions]
    decisions = _container(request).decision_point.decide(operator, actions, body.lang)
    return Response(orjson.dumps(compact(decisions)), media_type="application/json")

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

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from derbes.access.model import Scope
from derbes.api.auth import Caller, require_scope
from derbes.api.deps import container as _container
from derbes.api.deps import required_operator as _operator
from derbes.decisions.model import Action, ActionKind, ReasonCode
from derbes.decisions.service import MAX_BATCH
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



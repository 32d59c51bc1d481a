"""What every route asks FastAPI for: the container, who calls, the request id, the operator.

One home for the helpers the routes of every slice share: a route asks for the
container, names its caller, echoes the request id and scopes the operator here, never
digging in ``request.app.state`` itself.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Header, Request, Response

from derbes.access.model.api_keys import person_of
from derbes.access.service import Caller
from derbes.bootstrap import Container
from derbes.context import Context, OperatorScope
from derbes.errors import AuthError, InputError
from derbes.staff.model.people import actor_of_person
from derbes.staff.service.authorization import principal_of_key

__all__ = [
    "RequestId",
    "actor_of",
    "caller_context",
    "container",
    "echo_request_id",
    "key_context",
    "operator_filter",
    "operator_scope",
    "required_operator",
]


RequestId = Annotated[str | None, Header(alias="X-Request-ID", max_length=100)]
"""The request id a caller may send, echoed back by :func:`echo_request_id`."""


def container(request: Request) -> Container:
    """The installation's container, built once by the app factory."""
    found: Container = request.app.state.container
    return found


def echo_request_id(given: str | None, response: Response) -> str:
    """``given`` or a new request id, set as the response's ``X-Request-ID``."""
    chosen = given or str(uuid.uuid4())
    response.headers["X-Request-ID"] = chosen
    return chosen


def actor_of(caller: Caller) -> str:
    """How the audit log names an API caller: the staff person a key belongs to
    (``staff:<id>``), else the key's name (``api:<name>``), never the key itself."""
    person_id = person_of(caller.owner)
    return f"api:{caller.name}" if person_id is None else actor_of_person(person_id)


def caller_context(request: Request, response: Response, caller: Caller,
                   request_id: str | None, operator: str | None = None) -> Context:
    """The context of an API-key caller named by :func:`actor_of`, within the key's own
    operator (or ``operator`` if the route names one; see :func:`operator_scope`); the
    request id echoed on ``response``."""
    return container(request).context(actor_of(caller), echo_request_id(request_id, response),
                                      operator_scope(caller, operator))


def key_context(request: Request, response: Response, caller: Caller,
                request_id: str | None, operator: str | None) -> Context:
    """The context of an API-key caller, acting as the staff person the key belongs to
    (whose roles per operator the use cases check with ``require``), scoped to
    ``operator`` if the route names one; the request id echoed on ``response``."""
    found = container(request)
    principal = principal_of_key(found.uow(), caller)
    rid = echo_request_id(request_id, response)
    return found.context(principal.actor, rid, operator_scope(caller, operator)
                         ).as_principal(principal)


def operator_scope(caller: Caller, asked: str | None) -> OperatorScope:
    """The operators a call may act for: the key's own operator if it is bound to one
    (asking for another is refused), else the one asked for, else every operator."""
    if caller.operator_id is not None:
        if asked is not None and asked != caller.operator_id:
            raise AuthError("this API key is bound to another operator", field="operator")
        return OperatorScope.only(caller.operator_id)
    return OperatorScope.every() if asked is None else OperatorScope.only(asked)


def operator_filter(caller: Caller, asked: str | None) -> str | None:
    """The operator a listing is confined to; None: every operator (an unbound key)."""
    return operator_scope(caller, asked).operator_id


def required_operator(caller: Caller, asked: str | None,
                      message: str = "the operator is required") -> str:
    """The one operator a call acts for: the key's own, or the one asked for."""
    chosen = operator_scope(caller, asked).operator_id
    if chosen is None:
        raise InputError(message, field="operator")
    return chosen

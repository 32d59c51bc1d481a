"""API-key authentication for service callers: the ``require_scope`` dependency.

    @router.get("/v1/subjects/{id}")
    def read(caller: Reader) -> ...

The key comes as ``Authorization: Bearer dbk_…`` or ``X-API-Key: dbk_…``. No
key or a bad one is a 401 problem, a key without the scope a 403 problem that
names the scope (errors mapped in ``problems.py``). Too many failed attempts
from one client address: 429 with ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from derbes.access import service as apikeys
from derbes.access.model import Scope
from derbes.access.service import Caller
from derbes.bootstrap import Container

__all__ = ["Admin", "Caller", "Destroyer", "Reader", "Scope", "Writer", "api_key_token",
           "authenticated", "require_scope"]

_bearer = HTTPBearer(auto_error=False, description="An API key: `Bearer dbk_<id>_<secret>`.")
_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                       description="An API key: `dbk_<id>_<secret>`.")


def _token(
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> str | None:
    if bearer is not None and bearer.credentials:
        return bearer.credentials
    return header or None


# The API key a request carries, if any (routes that also take a staff session ask for it).
api_key_token = _token


def _client(request: Request) -> str:
    # The peer address as the server sees it. Behind a proxy this is the proxy:
    # the proxy is then the client that gets locked out, the safe side.
    return request.client.host if request.client is not None else "unknown"


def authenticated(request: Request, token: Annotated[str | None, Depends(_token)]) -> Caller:
    """The caller, whatever its scopes (routes that choose the scope per request).

    Failed attempts are counted per client address; past the limit the client
    gets 429 with ``Retry-After``, whatever key it sends (``identity_limits``).
    """
    container: Container = request.app.state.container
    guard = apikeys.ClientGuard(_client(request), lambda: container.audit_key,
                                container.rules.identity_limits.api_keys)
    return apikeys.authenticate(container.uow(), container.clock, token, guard=guard)


def require_scope(scope: Scope) -> Callable[..., Caller]:
    """A dependency that authenticates the caller and requires ``scope`` (admin has all)."""

    def dependency(request: Request, token: Annotated[str | None, Depends(_token)]) -> Caller:
        caller = authenticated(request, token)
        apikeys.authorize(caller, scope)
        return caller

    dependency.__name__ = f"require_{scope.value}_scope"
    return dependency


# A route's caller, by the scope its key must hold.
Reader = Annotated[Caller, Depends(require_scope(Scope.READ))]
Writer = Annotated[Caller, Depends(require_scope(Scope.WRITE))]
Destroyer = Annotated[Caller, Depends(require_scope(Scope.DESTROY))]
Admin = Annotated[Caller, Depends(require_scope(Scope.ADMIN))]

"""Access use cases: API keys (make, check, revoke) and the limits on identity checks."""

from derbes.access.service.apikeys import (
    Caller,
    ClientGuard,
    CreatedKey,
    authenticate,
    authorize,
    create,
    list_keys,
    parse_expires,
    revoke,
)

__all__ = [
    "Caller",
    "ClientGuard",
    "CreatedKey",
    "authenticate",
    "authorize",
    "create",
    "list_keys",
    "parse_expires",
    "revoke",
]

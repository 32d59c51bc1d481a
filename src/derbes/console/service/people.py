"""People and keys of one operator: who has access with which role (Order 179/НҚ), grants
and revocations, and the operator's API keys.

Grants and revocations go through the staff slice (which requires ``staff.manage`` and
audits); keys through the access slice, after ``keys.manage`` is required here, and
their creation and revocation are audited here with the person as the actor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from derbes.access import service as access
from derbes.access.model.api_keys import StoredApiKey
from derbes.audit.model.log import AuditRecord
from derbes.console.service.access import may
from derbes.context import Context
from derbes.errors import InputError, NotFoundError
from derbes.staff import service as staff
from derbes.staff.model.roles import Grant, Permission, RoleDef

__all__ = ["KEY_CREATE_ACTION", "KEY_REVOKE_ACTION", "PeoplePage", "create_key", "grant",
           "people_page", "revoke", "revoke_key"]

KEY_CREATE_ACTION = "console.key.create"
KEY_REVOKE_ACTION = "console.key.revoke"


@dataclass(frozen=True)
class PeoplePage:
    operator_id: str
    rows: list[staff.AccessRow]
    roles: list[RoleDef]
    may_manage: bool
    keys: list[StoredApiKey] | None  # None: the person may not manage keys here

    def role(self, name: str) -> RoleDef | None:
        return next((r for r in self.roles if r.name == name), None)


def people_page(ctx: Context, operator_id: str) -> PeoplePage:
    """The list of persons with access, and the keys for those who manage them."""
    rows = staff.access_list(ctx, operator_id)
    keys = None
    if may(ctx, Permission.KEYS_MANAGE, operator_id):
        keys = [k for k in access.list_keys(ctx.uow) if k.operator_id == operator_id]
    return PeoplePage(operator_id, rows, list(ctx.rules.staff.roles.roles.values()),
                      may(ctx, Permission.STAFF_MANAGE, operator_id), keys)


def grant(ctx: Context, operator_id: str, person: str, role: str) -> Grant:
    return staff.grant(ctx, person, operator_id, role)


def revoke(ctx: Context, operator_id: str, person: str, role: str | None) -> staff.Revoked:
    """End a person's role (or every role) at this operator, and their sessions and keys."""
    return staff.revoke(ctx, person, operator_id, role or None)


def _record(ctx: Context, action: str, key: StoredApiKey) -> None:
    with ctx.uow:
        ctx.uow.audit.record(AuditRecord(
            at=ctx.now(), actor=ctx.actor, action=action, request_id=ctx.request_id,
            details={"key_id": key.key_id, "operator_id": key.operator_id,
                     "scopes": sorted(s.value for s in key.scopes),
                     "expires_at": key.expires_at.isoformat() if key.expires_at else None}))
        ctx.uow.commit()


def create_key(ctx: Context, operator_id: str, name: str, scopes: Iterable[str],
               expires: str | None) -> access.CreatedKey:
    """A key bound to this operator, owned by the person who makes it; its token is shown
    once and never stored."""
    staff.require(ctx, Permission.KEYS_MANAGE, operator_id)
    if not (expires or "").strip():
        raise InputError("a key made in the console has an expiry", field="expires")
    owner = ctx.actor if ctx.principal and ctx.principal.person_id else None
    made = access.create(ctx.uow, ctx.clock, name=name, scopes=list(scopes),
                         operator_id=operator_id, expires=expires or None, owner=owner)
    _record(ctx, KEY_CREATE_ACTION, made.key)
    return made


def revoke_key(ctx: Context, operator_id: str, key_id: str) -> StoredApiKey:
    """Revoke one of this operator's keys (another operator's key does not exist here)."""
    staff.require(ctx, Permission.KEYS_MANAGE, operator_id)
    if not any(k.key_id == key_id and k.operator_id == operator_id
               for k in access.list_keys(ctx.uow)):
        raise NotFoundError("no such API key at this operator", field="key_id")
    done = access.revoke(ctx.uow, ctx.clock, key_id)
    _record(ctx, KEY_REVOKE_ACTION, done)
    return done

"""Who may do what at which operator: :func:`require`, and the principals it judges.

A route (or a service on its behalf) calls ``require(ctx, Permission.X, operator)``
before it acts. A staff person is allowed a permission at an operator only
through a role held *at that operator* (Order 179/НҚ: access limited to job
duties); a refusal is written to the access audit log before it is raised, so
an attempt beyond one's duties is on record. At the terminal (no principal in
the context) the operator's administrator acts, who holds the key store anyway.
"""

from __future__ import annotations

from collections.abc import Iterable

from derbes.access.model import Scope
from derbes.access.model.api_keys import person_of
from derbes.access.service import Caller
from derbes.audit.model.log import AuditRecord
from derbes.context import Context
from derbes.errors import AuthError, UnauthenticatedError
from derbes.staff.model.people import Person
from derbes.staff.model.roles import Grant, Permission, Principal, RoleBook, refusal
from derbes.uow import UnitOfWork

__all__ = ["DENIED_ACTION", "principal_of_key", "principal_of_person", "require",
           "require_role"]

DENIED_ACTION = "staff.denied"


def principal_of_person(person: Person, grants: Iterable[Grant],
                        bound_to: str | None = None) -> Principal:
    """A staff person with the roles of their active grants, per operator."""
    roles: dict[str, set[str]] = {}
    for grant in grants:
        if grant.active and grant.person_id == person.id:
            roles.setdefault(grant.operator_id, set()).add(grant.role)
    return Principal(actor=person.actor, person_id=person.id,
                     roles={k: frozenset(v) for k, v in roles.items()}, bound_to=bound_to)


def principal_of_key(uow: UnitOfWork, caller: Caller) -> Principal:
    """The principal behind an API key: its person (with their roles today), or a service.

    A key of a person who was disabled is refused, even if the key itself was
    somehow left active (revocation ends both at once; this is the second lock).
    """
    person_id = person_of(caller.owner)
    if person_id is None:
        return Principal(actor=f"api:{caller.name}", service_admin=caller.can(Scope.ADMIN),
                         bound_to=caller.operator_id)
    with uow:
        person = uow.staff.get(person_id)
        grants = uow.staff.grants(person_id=person_id, active_only=True)
    if person is None or person.disabled_at is not None:
        raise UnauthenticatedError("the API key belongs to a person whose access was revoked")
    return principal_of_person(person, grants, bound_to=caller.operator_id)


def require(subject: Context | Principal, permission: Permission, operator_id: str, *,
            roles: RoleBook | None = None) -> None:
    """Refuse (:class:`AuthError`) unless the principal may use ``permission`` at ``operator_id``.

    With a context, the refusal is recorded in the access audit log first (in a
    transaction of its own: call this before opening ``ctx.uow``); with a bare
    principal, pass the role table as ``roles``.
    """
    if isinstance(subject, Context):
        if subject.principal is None:
            return
        principal, book = subject.principal, subject.rules.staff.roles
    else:
        if roles is None:
            raise TypeError("require(principal, ...) needs the role table (roles=)")
        principal, book = subject, roles
    reason = refusal(principal, book, permission, operator_id)
    if reason is None:
        return
    if isinstance(subject, Context):
        _record_denial(subject, principal, permission.value, operator_id, reason)
    raise AuthError(f"not allowed: {permission.value} at operator {operator_id!r} ({reason})",
                    field="operator")


def require_role(ctx: Context, operator_id: str) -> None:
    """Refuse (:class:`AuthError`, audited) a staff person who holds no role at
    ``operator_id``: a page that only gathers what each role may see still shows an
    operator's name and figures, which are for its own staff (Order 179/НҚ)."""
    principal = ctx.principal
    if principal is None or principal.person_id is None:
        return
    if principal.bound_to not in (None, operator_id) or not principal.roles_at(operator_id):
        reason = "no role at this operator"
        _record_denial(ctx, principal, "any role", operator_id, reason)
        raise AuthError(f"not allowed at operator {operator_id!r} ({reason})", field="operator")


def _record_denial(ctx: Context, principal: Principal, asked: str, operator_id: str,
                   reason: str) -> None:
    with ctx.uow:
        ctx.uow.audit.record(AuditRecord(
            at=ctx.now(), actor=principal.actor, action=DENIED_ACTION,
            request_id=ctx.request_id,
            details={"permission": asked, "operator_id": operator_id, "reason": reason}))
        ctx.uow.commit()

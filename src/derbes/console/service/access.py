"""What the signed-in person may see at an operator, asked of the staff slice's model.

Pages gather sections that need different permissions (the Today page: requests for
those who handle them, the audit chain for those who read the log). A section the
person may not see is left out silently; a page or action they may not use is refused
through ``staff.service.require`` / ``require_role``, which audit the refusal.
"""

from __future__ import annotations

from derbes.context import Context, OperatorScope
from derbes.staff import service as staff
from derbes.staff.model.roles import Permission, refusal

__all__ = ["held", "may", "operators_of", "scoped"]


def scoped(ctx: Context, operator_id: str, permission: Permission) -> Context:
    """The context within ``operator_id`` once the person's ``permission`` there holds
    (a refusal is audited by the staff slice)."""
    staff.require(ctx, permission, operator_id)
    return ctx.within(OperatorScope.only(operator_id))


def may(ctx: Context, permission: Permission, operator_id: str) -> bool:
    """Whether the context's principal may use ``permission`` at ``operator_id``."""
    if ctx.principal is None:
        return True
    return refusal(ctx.principal, ctx.rules.staff.roles, permission, operator_id) is None


def held(ctx: Context, operator_id: str) -> frozenset[Permission]:
    """Every permission the principal holds at ``operator_id``."""
    return frozenset(p for p in Permission if may(ctx, p, operator_id))


def operators_of(ctx: Context) -> list[str]:
    """The operators the principal holds a role at, by id."""
    principal = ctx.principal
    if principal is None or principal.roles is None:
        return []
    return sorted(op for op, roles in principal.roles.items() if roles)

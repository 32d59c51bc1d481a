"""The register of responsible persons: who is appointed at each operator, since when.

An appointment is recorded with an entry of the access audit log in the same
transaction; a refused one (a field missing, an operator without a register, a role
that may not) changes nothing and is audited as refused, without what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from derbes.audit.model.log import AuditRecord
from derbes.compliance.model import Appointment, NewAppointment, check_appointment
from derbes.context import Context
from derbes.errors import InputError, NotFoundError
from derbes.register.model.register import ResponsiblePerson
from derbes.register.service.in_force import find_in_force, in_force_in
from derbes.requests import service as requests
from derbes.staff.model.roles import Permission, refusal
from derbes.staff.service.authorization import require

__all__ = ["APPOINT_ACTION", "Responsible", "appoint", "responsible"]

APPOINT_ACTION = "compliance.responsible.appoint"


@dataclass(frozen=True)
class Responsible:
    """The appointment in force (None: none recorded), earlier ones, and what the
    register's published policy says of the responsible person (None: nothing)."""

    operator_id: str
    current: Appointment | None
    history: list[Appointment]
    in_policy: ResponsiblePerson | None


def _in_scope(ctx: Context, operator_id: str) -> None:
    if not ctx.scope.admits(operator_id):
        raise NotFoundError(f"operator {operator_id[:100]!r} not found", field="operator")


def responsible(ctx: Context, operator_id: str) -> Responsible:
    """Who is responsible at ``operator_id`` (``compliance.read`` or ``.manage`` there)."""
    _in_scope(ctx, operator_id)
    principal = ctx.principal
    # Who records appointments sees them too, without the rest of the pack.
    reads = principal is None or refusal(principal, ctx.rules.staff.roles,
                                         Permission.COMPLIANCE_READ, operator_id) is None
    require(ctx, Permission.COMPLIANCE_READ if reads else Permission.COMPLIANCE_MANAGE,
            operator_id)
    with ctx.uow:
        loaded = find_in_force(ctx.uow, operator_id)
        if loaded is None:
            raise NotFoundError(f"no register published for operator {operator_id!r}",
                                field="operator")
        history = ctx.uow.responsible.history(operator_id)
    return Responsible(operator_id, history[0] if history else None, history,
                       loaded.register.operator.responsible_person)


def appoint(ctx: Context, new: NewAppointment) -> Appointment:
    """Record ``new`` as the operator's responsible person from now (audited)."""
    _in_scope(ctx, new.operator_id)
    require(ctx, Permission.COMPLIANCE_MANAGE, new.operator_id)
    try:
        checked = check_appointment(new, requests.today(ctx.clock, ctx.rules.regime))
        with ctx.uow:
            in_force_in(ctx.uow, new.operator_id)
            made = ctx.uow.responsible.add(checked, ctx.now(), ctx.actor)
            ctx.uow.audit.record(AuditRecord(
                at=ctx.now(), actor=ctx.actor, action=APPOINT_ACTION,
                request_id=ctx.request_id,
                details={"operator_id": new.operator_id, "appointment": made.id,
                         "appointed_on": made.appointed_on.isoformat()}))
            ctx.uow.commit()
        return made
    except (InputError, NotFoundError) as exc:
        with ctx.uow:
            ctx.uow.audit.record(AuditRecord(
                at=ctx.now(), actor=ctx.actor, action=f"{APPOINT_ACTION}.refused",
                request_id=ctx.request_id,
                details={"operator_id": new.operator_id, "error": type(exc).__name__,
                         "field": exc.field}))
            ctx.uow.commit()
        raise


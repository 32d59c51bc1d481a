"""The compliance page: the responsible person in force and earlier, the approved
documents, the persons with access, and the pack to download (Law 94-V Art. 25)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from derbes.compliance import service as compliance
from derbes.compliance.model import Appointment, NewAppointment
from derbes.console.service.access import may
from derbes.context import Context, OperatorScope
from derbes.staff import service as staff
from derbes.staff.model.roles import Permission
from derbes.staff.service.people import AccessRow

__all__ = ["CompliancePage", "appoint", "compliance_page"]


@dataclass(frozen=True)
class CompliancePage:
    """Each section is None when the person's roles do not open it."""

    responsible: compliance.Responsible
    documents: list[compliance.DocumentLine] | None
    access: list[AccessRow] | None
    may_appoint: bool
    may_pack: bool
    as_of: date


def compliance_page(ctx: Context, operator_id: str, today: date) -> CompliancePage:
    """The page of ``operator_id`` (``compliance.read`` or ``compliance.manage`` there)."""
    found = compliance.responsible(ctx, operator_id)
    ctx = ctx.within(OperatorScope.only(operator_id))
    reads = may(ctx, Permission.COMPLIANCE_READ, operator_id)
    return CompliancePage(
        found, compliance.documents(ctx, operator_id) if reads else None,
        staff.access_list(ctx, operator_id)
        if may(ctx, Permission.STAFF_VIEW, operator_id) else None,
        may(ctx, Permission.COMPLIANCE_MANAGE, operator_id), reads, today)


def appoint(ctx: Context, new: NewAppointment) -> Appointment:
    """Record the responsible person from the form (the compliance slice checks it)."""
    return compliance.appoint(ctx, new)

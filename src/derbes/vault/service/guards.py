"""What every vault use case checks first: the subject is live and in scope, the
register in force is known, a reason is given; and the blocks in force.
"""

from __future__ import annotations

from derbes.context import OperatorScope
from derbes.errors import DerbesError, InputError, NotFoundError
from derbes.register.model.register import Register
from derbes.register.service.in_force import in_force_in
from derbes.uow import UnitOfWork
from derbes.vault.model import Block
from derbes.vault.ports import SubjectRecord, VaultRepository

__all__ = [
    "MAX_REASON", "blocked_in", "blocks_of", "live_subject", "locate",
    "register_of", "require_reason",
]

MAX_REASON = 1000


def register_of(uow: UnitOfWork, operator_id: str) -> Register:
    """The register in force for ``operator_id``, read inside the open unit of work."""
    return in_force_in(uow, operator_id).register


def live_subject(repo: VaultRepository, subject_id: str, *, lock: bool = False,
                 scope: OperatorScope | None = None) -> SubjectRecord:
    """The subject, unless unknown, destroyed, or outside ``scope`` (another operator's)."""
    subject = repo.get(subject_id, for_update=lock) if isinstance(subject_id, str) else None
    # Another operator's subject is reported exactly like an unknown one: a
    # caller bound to one operator learns nothing about the others.
    if subject is None or (scope is not None and not scope.admits(subject.operator_id)):
        raise NotFoundError("no such subject", field="subject_id")
    if subject.destroyed:
        raise NotFoundError("the subject was destroyed: no personal data is held",
                            field="subject_id")
    return subject


def require_reason(reason: str | None) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > MAX_REASON:
        raise InputError(f"a reason of 1 to {MAX_REASON} characters is required",
                         field="reason")
    return text


def locate(exc: DerbesError, index: int) -> DerbesError:
    """Say which subject of a batch an error is about (messages carry no PD)."""
    exc.message = f"subjects[{index}]: {exc.message}"
    exc.args = (exc.message,)
    exc.field = f"subjects[{index}].{exc.field}" if exc.field else f"subjects[{index}]"
    return exc


def blocks_of(repo: VaultRepository, subject: SubjectRecord) -> list[Block]:
    """The blocks in force: of the whole subject (category None), then of categories."""
    out: list[Block] = []
    if subject.blocked_at is not None:
        out.append(Block(subject.id, None, subject.block_reason or "", subject.blocked_at))
    out.extend(Block(subject.id, b.category, b.reason, b.blocked_at)
               for b in repo.category_blocks(subject.id))
    return out


def blocked_in(repo: VaultRepository, subject_id: str, category: str | None = None) -> bool:
    """Inside an open unit of work: is the subject, or this category of it, blocked?"""
    subject = repo.get(subject_id)
    if subject is None or subject.destroyed:
        return False
    if subject.blocked_at is not None:
        return True
    if category is None:
        return False
    return any(b.category == category for b in repo.category_blocks(subject_id))

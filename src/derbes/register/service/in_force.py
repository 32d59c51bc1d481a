"""The register in force for an operator: the one place every slice asks.

The version in force is the one published last (``RegisterRepository.in_force``);
it is read inside the caller's unit of work, so a use case sees the register of
its own transaction. The store hands it back parsed (cached per version:
``register/adapters/versions.py``), reading the version's text only to parse it.
"""

from __future__ import annotations

from derbes.errors import NotFoundError
from derbes.register.model.loaded import LoadedRegister
from derbes.uow import UnitOfWork

__all__ = ["find_in_force", "in_force_in"]


def find_in_force(uow: UnitOfWork, operator_id: str) -> LoadedRegister | None:
    """Inside an open unit of work: the operator's register in force, or None."""
    return uow.registers.in_force(operator_id)


def in_force_in(uow: UnitOfWork, operator_id: str) -> LoadedRegister:
    """Inside an open unit of work: the operator's register in force."""
    loaded = find_in_force(uow, operator_id)
    if loaded is None:
        raise NotFoundError(f"no register published for operator {operator_id!r}",
                            field="operator")
    return loaded

"""The unit of work owns the transaction: nothing persists unless committed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.uow import UnitOfWork

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

UowFactory = Callable[[], UnitOfWork]


def _count(uow_factory: UowFactory) -> int:
    with uow_factory() as uow:
        return len(uow.registers.list())


def test_leaving_without_commit_rolls_back(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.registers.add("example-pay", "1", "a: 1\n", T0)
        assert len(uow.registers.list()) == 1  # visible inside its own transaction

    assert _count(uow_factory) == 0


def test_commit_persists(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.registers.add("example-pay", "1", "a: 1\n", T0)
        uow.commit()

    assert _count(uow_factory) == 1


def test_an_exception_rolls_back(uow_factory: UowFactory) -> None:
    class Boom(Exception):
        pass

    def fail_half_way() -> None:
        with uow_factory() as uow:
            uow.registers.add("example-pay", "1", "a: 1\n", T0)
            raise Boom

    with pytest.raises(Boom):
        fail_half_way()

    assert _count(uow_factory) == 0


def test_work_after_a_commit_needs_its_own_commit(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.registers.add("example-pay", "1", "a: 1\n", T0)
        uow.commit()
        uow.registers.add("example-pay", "2", "a: 2\n", T0)

    with uow_factory() as uow:
        assert [r.policy_version for r in uow.registers.list()] == ["1"]


def test_explicit_rollback_discards_and_the_block_goes_on(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.registers.add("example-pay", "1", "a: 1\n", T0)
        uow.rollback()
        uow.registers.add("example-pay", "2", "a: 2\n", T0)
        uow.commit()

    with uow_factory() as uow:
        assert [r.policy_version for r in uow.registers.list()] == ["2"]


def test_commit_outside_the_block_is_an_error(uow_factory: UowFactory) -> None:
    uow = uow_factory()
    with pytest.raises(RuntimeError, match="outside"):
        uow.commit()


def test_every_repository_of_the_port_is_made_on_first_use_and_bound_to_its_block(
        uow_factory: UowFactory) -> None:
    """The SQL unit of work builds a repository when first asked (a command importing one
    store, not all): every repository the port names is there, each made once per block
    on that block's connection, and none survives into the next block."""
    names = [n for n in UnitOfWork.__annotations__ if not n.startswith("_")]
    assert len(names) >= 25
    with uow_factory() as uow:
        made = {name: getattr(uow, name) for name in names}
        assert all(getattr(uow, name) is made[name] for name in names)
    if not isinstance(uow, SqlUnitOfWork):
        return  # the in-memory fake keeps its repositories: they are its storage
    with uow_factory() as again:
        assert all(getattr(again, name) is not made[name] for name in names)
        assert again.registers.list() == []
    with pytest.raises(RuntimeError, match="outside"):
        _ = uow_factory().registers
    with pytest.raises(AttributeError):
        _ = getattr(uow_factory(), "no_such_repository")

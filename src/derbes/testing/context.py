"""A use case's world for tests: a :class:`~derbes.context.Context` over given parts.

Production builds contexts through ``Container.context``; tests hand in a unit
of work (fake or SQL), a key store and a clock, and get the shipped rule
tables (read once per test process).
"""

from __future__ import annotations

from functools import cache

from derbes.bootstrap import load_rules
from derbes.context import Context, OperatorScope, Rules
from derbes.platform.clock import Clock
from derbes.uow import UnitOfWork
from derbes.vault.ports import KeyStore

__all__ = ["context", "shipped_rules"]


@cache
def shipped_rules() -> Rules:
    """The rule tables derbes ships (the regime without ``DERBES_REGIME_FILE``)."""
    return load_rules()


def _no_keystore() -> KeyStore:
    raise AssertionError("this test gave the context no key store")


def context(
    uow: UnitOfWork,
    keystore: KeyStore | None,
    clock: Clock,
    actor: str = "tester",
    request_id: str | None = None,
    *,
    operator_id: str | None = None,
    rules: Rules | None = None,
) -> Context:
    """A context acting as ``actor``; for ``operator_id`` only, or for every operator."""
    return Context(
        uow=uow,
        keys=_no_keystore if keystore is None else (lambda: keystore),
        clock=clock,
        rules=shipped_rules() if rules is None else rules,
        actor=actor,
        request_id=request_id,
        scope=OperatorScope.every() if operator_id is None else OperatorScope.only(operator_id),
    )

"""A :class:`~derbes.context.Context` for tests and benchmarks, on the shipped rule tables.

Bootstrap builds the rules of an installation from its settings; a test that
works on a fake unit of work and an in-memory key store builds its context here::

    ctx = make_context(FakeUnitOfWork(), InMemoryKeyStore(), FixedClock(...), "test:dpo")
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING

from derbes.context import Context, OperatorScope, Rules
from derbes.identifiers.adapters.phone import PHONES
from derbes.platform.clock import Clock, FixedClock

if TYPE_CHECKING:
    from derbes.deadlines.model.regime import Regime
    from derbes.uow import UnitOfWork
    from derbes.vault.ports import KeyStore

__all__ = ["context", "make_context", "shipped_rules"]


@cache
def shipped_rules() -> Rules:
    """Every rule table as shipped (no DPO's corrections), built as bootstrap builds it."""
    from derbes.bootstrap import load_rules

    return load_rules()


def _no_keys() -> KeyStore:
    raise AssertionError("this context was made without a key store")


def make_context(
    uow: UnitOfWork, keystore: KeyStore | None = None, clock: Clock | None = None,
    actor: str = "test:backend", request_id: str | None = None,
    scope: OperatorScope | None = None, *, regime: Regime | None = None,
) -> Context:
    """A context on ``uow`` and ``keystore`` (None: a use case that opens no value) and
    ``clock`` (None: a fixed clock); ``regime`` replaces the shipped regime table."""
    rules = shipped_rules() if regime is None else shipped_rules().replaced(regime=regime)
    keys = _no_keys if keystore is None else (lambda: keystore)
    return Context(uow=uow, keys=keys, clock=FixedClock() if clock is None else clock,
                   rules=rules, phones=PHONES, actor=actor, request_id=request_id,
                   scope=OperatorScope.every() if scope is None else scope)


def context(
    uow: UnitOfWork, keystore: KeyStore | None, clock: Clock, actor: str = "tester",
    request_id: str | None = None, *, operator_id: str | None = None,
    rules: Rules | None = None,
) -> Context:
    """:func:`make_context` for ``operator_id`` only (None: every operator), on ``rules``
    (None: the shipped tables)."""
    scope = OperatorScope.every() if operator_id is None else OperatorScope.only(operator_id)
    ctx = make_context(uow, keystore, clock, actor, request_id, scope)
    return ctx if rules is None else replace(ctx, rules=rules)

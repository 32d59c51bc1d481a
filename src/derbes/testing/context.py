"""A :class:`~derbes.context.Context` for tests and benchmarks, on the shipped rule tables.

Bootstrap builds the rules of an installation from its settings; a test that
works on a fake unit of work and an in-memory key store builds its context here::

    ctx = make_context(FakeUnitOfWork(), InMemoryKeyStore(), FixedClock(...), "test:dpo")
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import cache

from derbes.context import Context, OperatorScope, Rules
from derbes.deadlines.model.regime import Regime
from derbes.platform.clock import Clock
from derbes.uow import UnitOfWork
from derbes.vault.ports import KeyStore

__all__ = ["make_context", "shipped_rules"]


@cache
def shipped_rules() -> Rules:
    """Every rule table as shipped (no DPO's corrections), read once."""
    from derbes.access.adapters.limits_yaml import load_identity_limits
    from derbes.audit.adapters.alert_rules import load_access_rules
    from derbes.consent.adapters.rules import load_consent_rules
    from derbes.deadlines.adapters.kz_calendar import KzCalendars
    from derbes.deadlines.adapters.regime_yaml import load_regime
    from derbes.decisions.adapters.rules import load_decision_rules
    from derbes.retention.adapters.acts.rules import load_act_rules
    from derbes.retention.adapters.rules import load_retention_rules
    from derbes.vault.adapters.rules import load_vault_rules

    return Rules(
        regime=load_regime(), vault=load_vault_rules(), consent=load_consent_rules(),
        retention=load_retention_rules(), decisions=load_decision_rules(),
        acts=load_act_rules(), alerts=load_access_rules(),
        identity_limits=load_identity_limits(), calendars=KzCalendars(),
    )


def _no_keys() -> KeyStore:
    raise AssertionError("this context was made without a key store")


class _NoClock:
    def now(self) -> datetime:
        raise AssertionError("this context was made without a clock")


def make_context(
    uow: UnitOfWork, keystore: KeyStore | None = None, clock: Clock | None = None,
    actor: str = "test:backend",
    *, request_id: str | None = None, scope: OperatorScope | None = None,
    regime: Regime | None = None,
) -> Context:
    """A context on ``uow`` and ``keystore`` (None: a use case that opens no value) and
    ``clock`` (None: one that reads no time); ``regime`` replaces the shipped regime
    table."""
    rules = shipped_rules() if regime is None else replace(shipped_rules(), regime=regime)
    keys = _no_keys if keystore is None else (lambda: keystore)
    return Context(uow=uow, keys=keys, clock=_NoClock() if clock is None else clock,
                   rules=rules, actor=actor,
                   request_id=request_id,
                   scope=OperatorScope.every() if scope is None else scope)

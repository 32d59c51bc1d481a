"""A use case's :class:`~derbes.context.Context` in tests: the shipped rule tables (read
once, as bootstrap reads them), a unit of work, a key store, a clock, who acts."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from derbes.context import Context, OperatorScope, Rules
from derbes.platform.clock import Clock, FixedClock

if TYPE_CHECKING:
    from derbes.uow import UnitOfWork
    from derbes.vault.ports import KeyStore


@cache
def shipped_rules() -> Rules:
    """Every rule table as shipped (no DPO corrections), built by the composition root."""
    from derbes.bootstrap import Container
    from derbes.settings import Settings

    return Container(settings=Settings(regime_file=None)).rules


def _no_keystore() -> KeyStore:
    raise AssertionError("this use case was given no key store")


def make_context(uow: UnitOfWork, keystore: KeyStore | None = None, clock: Clock | None = None,
                 actor: str = "test", request_id: str | None = None,
                 scope: OperatorScope | None = None) -> Context:
    return Context(
        uow=uow, keys=_no_keystore if keystore is None else (lambda: keystore),
        clock=clock or FixedClock(), rules=shipped_rules(), actor=actor, request_id=request_id,
        scope=scope or OperatorScope.every(),
    )

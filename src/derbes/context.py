"""What every use case works in, as one object, and the rule tables it reads.

A service function takes a :class:`Context` first and finds in it the unit of
work (the transaction), the key store, the clock, the rule tables (built once by
bootstrap from the shipped data and the DPO's corrections), who acts, the id of
the request being served, and for which operators it may act::

    def withdraw(ctx: Context, subject_id: str, ...) -> WithdrawalResult:
        with ctx.uow:
            ...
            ctx.uow.audit.record(AuditRecord(..., actor=ctx.actor, request_id=ctx.request_id))
            ctx.uow.commit()

Entry points make one per call (``Container.context``): the API from the
caller's key (an operator-bound key acts for :meth:`OperatorScope.only` that
operator, an unbound admin key for :meth:`OperatorScope.every`), the CLI for
the user at the terminal. "Every operator" is a value of its own, never a
silent ``None``.

Only the standard library and the models are imported here at run time: the
rule tables and ports are named for the type checker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from threading import RLock
from typing import TYPE_CHECKING, Any, ClassVar

from derbes.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from derbes.access.model.limits import IdentityLimits
    from derbes.audit.model.alert_rules import AccessRules
    from derbes.cabinet.model import CabinetRules
    from derbes.consent.model.consent import ConsentRules
    from derbes.deadlines.model.regime import Regime
    from derbes.deadlines.ports import Calendars
    from derbes.decisions.model import DecisionRules
    from derbes.delivery.model import DeliveryRules
    from derbes.identifiers.ports import Phones
    from derbes.platform.clock import Clock
    from derbes.requests.model import RequestRules
    from derbes.retention.model.acts import ActRules
    from derbes.retention.model.retention import RetentionRules
    from derbes.staff.model.policy import StaffRules
    from derbes.staff.model.roles import Principal
    from derbes.uow import UnitOfWork
    from derbes.vault.model import VaultRules
    from derbes.vault.ports import KeyStore

__all__ = ["Context", "OperatorScope", "Rules"]


@dataclass(frozen=True)
class OperatorScope:
    """For which operators a call may act: one named operator, or every operator.

    Make one with :meth:`every` or :meth:`only`; ``operator_id`` is None only for
    the scope of every operator.
    """

    operator_id: str | None = None

    @classmethod
    def every(cls) -> OperatorScope:
        return cls(None)

    @classmethod
    def only(cls, operator_id: str) -> OperatorScope:
        if not operator_id:
            raise InputError("name the operator (an empty operator id names none)",
                             field="operator")
        return cls(operator_id)

    @property
    def is_every(self) -> bool:
        return self.operator_id is None

    def admits(self, operator_id: str) -> bool:
        return self.operator_id is None or self.operator_id == operator_id

    def check(self, operator_id: str, what: str) -> None:
        """Refuse ``what`` of another operator as if it did not exist (no enumeration)."""
        if not self.admits(operator_id):
            raise NotFoundError(f"{what} not found")

    def narrowed(self, asked: str | None) -> OperatorScope:
        """The scope a call asks for within this one (``?operator=``, ``--operator``)."""
        if asked is None:
            return self
        self.check(asked, f"operator {asked!r}")
        return OperatorScope.only(asked)


class Rules:
    """The rule tables, each loaded from data on first use (each entry carries its
    citation), then kept: a command that reads two tables parses two files.

    ``regime`` is the regime table in force: the shipped one, or the DPO's file
    named by ``DERBES_REGIME_FILE``; an operator's register may override some of
    its entries (``deadlines.model.regime.apply_overrides``). ``calendars`` gives the
    working calendars (the shipped table with the DPO's ``DERBES_CALENDAR_OVERRIDES``).

    Made from one loader per table (``bootstrap.load_rules`` names them); a loader
    gets the rules so that a table checked against another (the request rules
    against the regime's deadlines) reads that one. Read-only once made; safe to
    share between threads (a table is loaded under a lock, once).
    """

    regime: Regime
    vault: VaultRules
    consent: ConsentRules
    retention: RetentionRules
    decisions: DecisionRules
    acts: ActRules
    alerts: AccessRules
    identity_limits: IdentityLimits
    requests: RequestRules
    calendars: Calendars
    staff: StaffRules
    delivery: DeliveryRules
    cabinet: CabinetRules

    TABLES: ClassVar[tuple[str, ...]] = (
        "regime", "vault", "consent", "retention", "decisions", "acts", "alerts",
        "identity_limits", "requests", "calendars", "staff", "delivery", "cabinet")

    def __init__(self, loaders: Mapping[str, Callable[[Rules], object]]) -> None:
        unknown = set(loaders) - set(self.TABLES)
        missing = set(self.TABLES) - set(loaders)
        if unknown or missing:
            raise ValueError(f"rule tables: unknown {sorted(unknown)}, missing {sorted(missing)}")
        object.__setattr__(self, "_loaders", dict(loaders))
        object.__setattr__(self, "_lock", RLock())

    if not TYPE_CHECKING:  # the type checker sees the tables' types, not this
        def __getattr__(self, name: str) -> Any:
            loader = self.__dict__.get("_loaders", {}).get(name)
            if loader is None:
                raise AttributeError(name)
            with self.__dict__["_lock"]:
                if name not in self.__dict__:
                    object.__setattr__(self, name, loader(self))
            return self.__dict__[name]

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"the rule tables are read-only ({name})")

    def replaced(self, **tables: object) -> Rules:
        """These rules with some tables given (the others loaded as here, on use)."""
        loaders = dict(self.__dict__["_loaders"])
        for name, table in tables.items():
            loaders[name] = lambda _rules, table=table: table
        return Rules(loaders)

    def load_all(self) -> Rules:
        """Every table loaded now, so that a wrong file fails at start-up, not at first use."""
        for name in self.TABLES:
            getattr(self, name)
        return self


@dataclass(frozen=True)
class Context:
    """One use case's world: transaction, keys, time, rules, who acts and for whom.

    ``keys`` gives the key store when a use case first needs one, so work that
    opens no value needs no KEK.
    """

    uow: UnitOfWork
    keys: Callable[[], KeyStore]
    clock: Clock
    rules: Rules
    phones: Phones
    actor: str
    request_id: str | None = None
    scope: OperatorScope = field(default_factory=OperatorScope.every)
    # Who acts, for authorization (``staff.service.require``): a staff person with
    # roles per operator, or a named service; None at the terminal (the operator's
    # own administrator, who holds the key store).
    principal: Principal | None = None

    @property
    def keystore(self) -> KeyStore:
        return self.keys()

    def now(self) -> datetime:
        return self.clock.now()

    def acting(self, actor: str, request_id: str | None = None) -> Context:
        """The same world, another actor (a staff member, a scheduled job)."""
        return replace(self, actor=actor, request_id=request_id)

    def within(self, scope: OperatorScope) -> Context:
        return replace(self, scope=scope)

    def as_principal(self, principal: Principal) -> Context:
        """The same world, acted in by ``principal`` (named by its actor in the audit log)."""
        return replace(self, principal=principal, actor=principal.actor)

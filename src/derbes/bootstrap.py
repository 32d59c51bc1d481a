"""The composition root: the one place that wires settings, clock and adapters."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine

from derbes.adapters.db import make_engine
from derbes.adapters.system_clock import SystemClock
from derbes.adapters.uow import SqlUnitOfWork, UnitOfWork
from derbes.domain.clock import Clock
from derbes.settings import Settings


@dataclass
class Container:
    settings: Settings = field(default_factory=Settings)
    clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    def uow(self) -> UnitOfWork:
        """A fresh unit of work on the configured database."""
        return SqlUnitOfWork(self.engine)


def bootstrap(settings: Settings | None = None, clock: Clock | None = None) -> Container:
    return Container(settings=settings or Settings(), clock=clock or SystemClock())

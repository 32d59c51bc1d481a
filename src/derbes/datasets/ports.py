"""What the core needs of an operator's own databases: the store port, and an opener
that gives an operator's stores for its register in force.

Adapters implement them (``datasets/adapters/connectors``: SQL; ``derbes.testing.datasets``:
rows in memory); bootstrap and the entry points choose which, and pass the opener
to the request and retention use cases.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Protocol

from derbes.datasets.model import (
    Dataset,
    ErasurePlan,
    SubjectIdentity,
    SubjectRows,
    plan_erasure,
)
from derbes.register.model.register import Register

__all__ = ["ErasureResult", "OperatorStore", "StoreOpener", "no_stores", "opened_stores"]


@dataclass(frozen=True)
class ErasureResult:
    """What an applied plan changed: rows per table (counted by the database)."""

    store: str
    deleted: Mapping[str, int]
    updated: Mapping[str, int]

    @property
    def rows_deleted(self) -> int:
        return sum(self.deleted.values())

    @property
    def rows_updated(self) -> int:
        return sum(self.updated.values())


class OperatorStore(Protocol):
    """One operator database, as its dataset describes it."""

    @property
    def dataset(self) -> Dataset: ...

    def collect(self, identity: SubjectIdentity) -> SubjectRows:
        """The subject's rows in every table reachable from the identity columns."""
        ...

    def plan_erasure(
        self,
        identity: SubjectIdentity,
        categories: Collection[str] | None = None,
        keep_purposes: Collection[str] = (),
    ) -> ErasurePlan:
        """What erasing ``categories`` (None: all) would change; nothing is changed.

        The same for every store (a store that inherits this port gets it): the
        dataset's plan over the subject's rows as :meth:`collect` finds them.
        """
        return plan_erasure(self.dataset, self.collect(identity), categories, keep_purposes)

    def apply_erasure(self, plan: ErasurePlan) -> ErasureResult:
        """Apply ``plan`` in one transaction; all or nothing."""
        ...


StoreOpener = Callable[[str, Register], Sequence[OperatorStore]]
"""The stores (operator databases) of an operator, built for its register in force."""


def no_stores(operator_id: str, register: Register) -> Sequence[OperatorStore]:
    """The opener of an installation that has connected no operator database."""
    return ()


@contextmanager
def opened_stores(opener: StoreOpener, operator_id: str, register: Register
                  ) -> Iterator[Sequence[OperatorStore]]:
    """The operator's stores, each closed (if it can be) when the block ends."""
    with ExitStack() as stack:
        stores = opener(operator_id, register)
        for store in stores:
            close = getattr(store, "close", None)
            if callable(close):
                stack.callback(close)
        yield stores

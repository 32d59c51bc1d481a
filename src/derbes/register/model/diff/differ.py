"""The differ: the changes found so far, and what the sections share to describe values."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from derbes.platform.labels import Labels
from derbes.register.model.diff.changes import Change, ChangeKind, Effect, ReconsentScope, Side
from derbes.register.model.register import (
    BasisKind,
    CrossBorderBasis,
    CrossBorderBasisKind,
    LegalBasis,
    Register,
    Retention,
)

T = TypeVar("T")
S = TypeVar("S", bound=str)


@dataclass(frozen=True)
class Listed(Generic[S]):
    """How an item that a list gained, or lost, reads as a change."""

    kind: ChangeKind
    effect: Effect
    why: Callable[[S], str]
    citation: str | None = None
    reconsent: tuple[ReconsentScope, ...] = ()


class Differ:
    """The changes found so far between two registers; each section adds its own."""

    def __init__(self, old: Register, new: Register) -> None:
        self.old = old
        self.new = new
        self.changes: list[Change] = []

    def add(self, change: Change) -> None:
        reconsent = tuple(dict.fromkeys(change.reconsent))
        if change.effect is not Effect.WIDENS:
            reconsent = ()  # only a widening change calls for consent again
        self.changes.append(replace(
            change, purposes=tuple(dict.fromkeys(change.purposes)), reconsent=reconsent,
        ))

    def listed(self, lists: tuple[Sequence[S], Sequence[S]], paths: tuple[str, str],
               gained: Listed[S], lost: Listed[S], purposes: tuple[str, ...] = ()) -> None:
        """One change per item the new list gained (its path in the new file) and one
        per item it lost (its path in the old file); ``lists`` and ``paths`` are
        (old, new)."""
        old, new = lists
        for items, others, path, side, how in ((new, old, paths[1], Side.NEW, gained),
                                               (old, new, paths[0], Side.OLD, lost)):
            for item in added(others, items):
                self.add(Change(
                    how.kind, how.effect, f"{path}[{items.index(item)}]", side,
                    how.why(item), citation=how.citation, item=item,
                    purposes=purposes, reconsent=how.reconsent,
                ))

    def text(self, old: Labels | None, new: Labels | None, path: str,
             purposes: tuple[str, ...] = ()) -> None:
        if old != new:
            self.add(Change(
                ChangeKind.TEXT_CHANGED, Effect.NEUTRAL, path, Side.NEW,
                "wording changed; the notice is regenerated, processing is the same",
                before=label_text(old), after=label_text(new), purposes=purposes,
            ))


# How much control the subject keeps under a basis: consent (withdraw at any
# time, Art. 8 p.2) > contract (ends with it) > a law (Art. 9). Moving to a
# basis the subject controls less widens processing.
BASIS_RANK: Mapping[BasisKind, int] = {
    # A basis the policy does not state reads as consent, the law's default (Art. 7, 8):
    # the strictest, as a cross-border transfer with no stated basis does below.
    BasisKind.NOT_STATED: 0,
    BasisKind.CONSENT: 0,
    BasisKind.CONTRACT: 1,
    BasisKind.LEGAL_OBLIGATION: 2,
    BasisKind.STATE_REQUEST: 2,
    BasisKind.VITAL_INTERESTS: 2,
    # A recipient's basis: an agreement between the operator and the recipient, to
    # which the subject is no party, so the subject's say no longer bounds it.
    BasisKind.OPERATOR_CONTRACT: 2,
}


def basis_effect(before: BasisKind, after: BasisKind) -> Effect:
    a, b = BASIS_RANK[before], BASIS_RANK[after]
    return Effect.WIDENS if b > a else Effect.NARROWS if b < a else Effect.NEUTRAL


def cross_border_rank(basis: CrossBorderBasis | None) -> int:
    # No stated basis reads as "consent" (lint DRB007 flags it): the strictest.
    return 0 if basis is None or basis.kind is CrossBorderBasisKind.CONSENT else 1


def cross_border_text(basis: CrossBorderBasis | None) -> str:
    if basis is None:
        return "none stated"
    return basis.kind.value + (f" ({basis.citation})" if basis.citation else "")


def label_text(value: Labels | None) -> str | None:
    return None if value is None else value.en


def basis_text(basis: LegalBasis) -> str:
    return basis.kind.value + (f" ({basis.citation})" if basis.citation else "")


def retention_text(retention: Retention | None) -> str:
    if retention is None:
        return "no retention rule"
    return f"{retention.period} after {retention.trigger.value}"


def added(old: Sequence[T], new: Sequence[T]) -> list[T]:
    before = set(old)
    return [x for x in dict.fromkeys(new) if x not in before]


def channels_text(register: Register) -> str:
    return "; ".join(sorted(f"{c.kind.value}: {c.address}" for c in register.request_channels))


def overrides_text(register: Register) -> str:
    return "; ".join(
        sorted(f"{o.deadline}: {o.term}" for o in register.regime_overrides)
    )


def waivers_text(register: Register) -> str:
    return "; ".join(sorted(f"{w.code} {w.path}" for w in register.waivers))

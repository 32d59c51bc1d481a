"""The differ: the changes found so far, and what the sections share to describe values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from derbes.platform.labels import Labels
from derbes.register.model.diff.changes import Change, ChangeKind, Effect, Side
from derbes.register.model.register import (
    BasisKind,
    CrossBorderBasis,
    CrossBorderBasisKind,
    LegalBasis,
    Register,
    Retention,
)


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
        self.changes.append(
            Change(
                kind=change.kind,
                effect=change.effect,
                path=change.path,
                side=change.side,
                explanation=change.explanation,
                citation=change.citation,
                item=change.item,
                purposes=tuple(dict.fromkeys(change.purposes)),
                reconsent=reconsent,
                before=change.before,
                after=change.after,
            )
        )


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
    BasisKind.CONSENT: 0,
    BasisKind.CONTRACT: 1,
    BasisKind.LEGAL_OBLIGATION: 2,
    BasisKind.STATE_REQUEST: 2,
    BasisKind.VITAL_INTERESTS: 2,
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


T = TypeVar("T")


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

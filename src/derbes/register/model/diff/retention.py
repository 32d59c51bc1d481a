"""Changes of a purpose's retention rule: longer, shorter, another trigger."""

from __future__ import annotations

from derbes.register.model.diff.changes import ART_24, Change, ChangeKind, Effect, Side
from derbes.register.model.diff.differ import Differ, retention_text
from derbes.register.model.diff.reconsent import processing_scopes
from derbes.register.model.register import Purpose


def retention(d: Differ, old: Purpose, new: Purpose, path: str) -> None:
    pid, mine = new.id, (new.id,)
    a, b = old.retention, new.retention
    before, after = retention_text(a), retention_text(b)
    where = f"{path}.retention"
    if a is None and b is None:
        return
    if a is None or b is None:
        longer = b is None  # no rule at all: kept without a limit
        d.add(Change(
            ChangeKind.RETENTION_LENGTHENED if longer else ChangeKind.RETENTION_SHORTENED,
            Effect.WIDENS if longer else Effect.NARROWS, where, Side.NEW,
            f"{pid} has no retention rule any more: PD kept without a stated limit"
            if longer else f"{pid} now has a retention rule",
            citation=ART_24, purposes=mine, before=before, after=after,
            reconsent=processing_scopes(new) if longer else (),
        ))
        return
    if a.trigger != b.trigger:
        d.add(Change(
            ChangeKind.RETENTION_TRIGGER_CHANGED, Effect.WIDENS, f"{where}.trigger",
            Side.NEW,
            f"the retention clock of {pid} starts at another event; it cannot be shown "
            "to be no longer, so it counts as widening",
            citation=ART_24, purposes=mine, before=before, after=after,
            reconsent=processing_scopes(new),
        ))
    elif b.period.is_longer_than(a.period):
        d.add(Change(
            ChangeKind.RETENTION_LENGTHENED, Effect.WIDENS, f"{where}.period", Side.NEW,
            f"PD for {pid} is kept longer", citation=ART_24, purposes=mine,
            before=before, after=after, reconsent=processing_scopes(new),
        ))
    elif a.period.is_longer_than(b.period):
        d.add(Change(
            ChangeKind.RETENTION_SHORTENED, Effect.NARROWS, f"{where}.period", Side.NEW,
            f"PD for {pid} is kept shorter", citation=ART_24, purposes=mine,
            before=before, after=after,
        ))
    elif a.period != b.period:
        d.add(Change(
            ChangeKind.TEXT_CHANGED, Effect.NEUTRAL, f"{where}.period", Side.NEW,
            "the same period written another way", purposes=mine,
            before=str(a.period), after=str(b.period),
        ))
    if a.then != b.then:
        d.add(Change(
            ChangeKind.RETENTION_OUTCOME_CHANGED, Effect.NEUTRAL, f"{where}.then", Side.NEW,
            f"PD for {pid} is {b.then.value}d instead of {a.then.value}d at the end of "
            "retention; either way it is no longer PD",
            purposes=mine, before=a.then.value, after=b.then.value,
        ))
    if a.citation != b.citation:
        d.add(Change(
            ChangeKind.TEXT_CHANGED, Effect.NEUTRAL, f"{where}.citation", Side.NEW,
            "the citation of the retention rule changed", purposes=mine,
            before=a.citation, after=b.citation,
        ))
    d.text(a.note, b.note, f"{where}.note", mine)

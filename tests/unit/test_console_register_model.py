"""How the console reads a register diff: every kind of change has a label and a heading,
widening changes come first under each heading, and the impact counts each consent once."""

from __future__ import annotations

from derbes.consent.model.consent import ScopeKind
from derbes.console.model.registers import (
    KIND_LABELS,
    Marked,
    Section,
    impact,
    section_of,
    sections,
)
from derbes.register.model.diff import Change, ChangeKind, Effect, ReconsentScope, Side

PAY = ReconsentScope(ScopeKind.PROCESSING, purpose="payment_service")
ABROAD = ReconsentScope(ScopeKind.CROSS_BORDER_TRANSFER, purpose="newsletters",
                        recipient="mailing_platform")
FRESH = ReconsentScope(ScopeKind.PROCESSING, purpose="fraud_scoring")


def _change(kind: ChangeKind, effect: Effect) -> Change:
    return Change(kind, effect, "purposes[0]", Side.NEW, "why")


def test_every_kind_of_change_has_a_label() -> None:
    assert set(KIND_LABELS) == set(ChangeKind)


def test_changes_go_under_the_heading_a_dpo_looks_for() -> None:
    assert section_of(ChangeKind.CATEGORY_ADDED_TO_PURPOSE) is Section.CATEGORIES
    assert section_of(ChangeKind.RECIPIENT_BECAME_CROSS_BORDER) is Section.TRANSFERS
    assert section_of(ChangeKind.COPIES_ABROAD_ADDED) is Section.TRANSFERS
    assert section_of(ChangeKind.RETENTION_LENGTHENED) is Section.RETENTION
    assert section_of(ChangeKind.PURPOSE_ADDED) is Section.PURPOSES
    assert section_of(ChangeKind.COOKIE_ADDED) is Section.OTHER
    grouped = sections([_change(ChangeKind.TEXT_CHANGED, Effect.NEUTRAL),
                        _change(ChangeKind.RETENTION_SHORTENED, Effect.NARROWS),
                        _change(ChangeKind.RETENTION_LENGTHENED, Effect.WIDENS)])
    assert [s for s, _ in grouped] == [Section.RETENTION, Section.OTHER]
    assert [c.effect for c in grouped[0][1]] == [Effect.WIDENS, Effect.NARROWS]


def test_the_impact_counts_consents_subjects_and_scopes() -> None:
    marked = [Marked("s1", True, (PAY,)), Marked("s1", True, (ABROAD,)),
              Marked("s2", True, (PAY, ABROAD)), Marked("s3", False, (PAY,))]
    found = impact((ABROAD, FRESH, PAY), marked, ("fraud_scoring", "newsletters",
                                                   "payment_service"), ("fraud_scoring",))
    assert (found.consents, found.subjects, found.waiting) == (3, 2, 1)
    assert [(c.scope, c.consents) for c in found.scopes] == [(ABROAD, 2), (FRESH, 0), (PAY, 3)]
    assert found.asks and found.new_purposes == ("fraud_scoring",)
    assert not impact((), [], (), ()).asks

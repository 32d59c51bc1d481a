"""Commitments checked against the register, restricted categories, the age of minors."""

from __future__ import annotations

from collections.abc import Iterator

from derbes.deadlines.model.periods import Unit
from derbes.deadlines.model.regime import Regime
from derbes.register.model.disclosures import Commitment, CommitmentKind
from derbes.register.model.lint.catalogue import Finding, finding
from derbes.register.model.register import CookieCategory, Register

# Recipient roles that are not third parties in the sense of Art. 8 p.4: they act
# on the operator's instruction, or receive PD because a law makes them.
_NOT_THIRD_PARTIES = ("processor", "state_body")
MAJORITY_RULE = "age_of_majority"


def _contradictions(register: Register, commitment: Commitment) -> list[str]:
    kind = commitment.kind
    recipients = list(register.recipients.values())
    if kind is CommitmentKind.NO_SALE:
        return [f"recipient {r.id!r} pays for the PD (sold: true)" for r in recipients if r.sold]
    if kind is CommitmentKind.NO_AD_TRACKING:
        return [f"marketing cookie {c.name!r}" for c in register.cookies
                if c.category is CookieCategory.MARKETING]
    if kind is CommitmentKind.NO_CROSS_BORDER:
        found = [f"recipient {r.id!r} in {r.country}" for r in recipients if r.cross_border]
        return found + [f"copies of the database in {c}" for c in register.operator.copies_abroad]
    if kind is CommitmentKind.NO_AUTOMATED_DECISIONS:
        return [f"purpose {p.id!r} decides by automated means"
                for p in register.purposes.values() if p.automated_decision is True]
    if kind is CommitmentKind.NO_THIRD_PARTY_TRANSFER:
        return [f"recipient {r.id!r} ({r.role.value}) on basis {r.basis.kind.value}"
                for r in recipients
                if r.role.value not in _NOT_THIRD_PARTIES and not r.is_processor
                and r.basis.kind.value not in ("consent", "legal_obligation", "state_request")]
    return []


def commitments(register: Register) -> Iterator[Finding]:
    """DRB024: "we do not sell data" and a recipient that buys them, and the like."""
    for i, commitment in enumerate(register.disclosures.commitments):
        clause = commitment.source or "no clause"
        for what in _contradictions(register, commitment):
            yield finding("DRB024", f"commitments[{i}]",
                          f"commitment {commitment.kind.value} ({clause}) is contradicted: "
                          f"{what}")


def restrictions(register: Register) -> Iterator[Finding]:
    """DRB025: a category used by a purpose outside the uses the policy allows."""
    for i, restriction in enumerate(register.disclosures.category_restrictions):
        for purpose in register.purposes_for_category(restriction.category):
            if purpose.id not in restriction.purposes:
                yield finding("DRB025", f"category_restrictions[{i}]",
                              f"purpose {purpose.id!r} uses {restriction.category!r}, which "
                              f"the policy ({restriction.source or 'no clause'}) allows only "
                              f"for {', '.join(restriction.purposes)}")


def minors_age(register: Register, regime: Regime | None) -> Iterator[Finding]:
    """DRB026: "we do not process children under 13" leaves 13–17-year-olds, who are minors."""
    minors = register.minors
    if regime is None or minors is None or minors.age_threshold is None:
        return
    majority = regime.rule(MAJORITY_RULE)
    if majority.value.unit is not Unit.YEARS:  # pragma: no cover - the shipped table
        return
    if minors.age_threshold < majority.value.value:
        yield finding("DRB026", "minors.age_threshold",
                      f"the policy excludes persons under {minors.age_threshold}; persons "
                      f"aged {minors.age_threshold} to {majority.value.value - 1} are minors "
                      "too, their PD need a legal representative's consent",
                      citation=f"Law 94-V Art. 8; {majority.citation}")

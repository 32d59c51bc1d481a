"""How the console reads a register diff: each kind of change under the heading a DPO looks
for (purposes, data categories, transfers, retention, the rest), a label for each kind,
and the re-consent impact counted per consent scope.

Standard library and other models only; the texts are English message ids translated
when shown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from derbes.consent.model.consent import ScopeKind
from derbes.platform.labels import N_
from derbes.register.model.diff import Change, ChangeKind, Effect, ReconsentScope

__all__ = ["EFFECT_LABELS", "KIND_LABELS", "SCOPE_KINDS", "SECTION_TITLES", "Impact", "Marked",
           "ScopeCount", "Section", "impact", "section_of", "sections"]

K = ChangeKind


class Section(StrEnum):
    PURPOSES = "purposes"
    CATEGORIES = "categories"
    TRANSFERS = "transfers"
    RETENTION = "retention"
    OTHER = "other"


SECTION_TITLES: dict[Section, str] = {
    Section.PURPOSES: N_("Purposes"),
    Section.CATEGORIES: N_("Data categories"),
    Section.TRANSFERS: N_("Transfers"),
    Section.RETENTION: N_("Retention"),
    Section.OTHER: N_("Operator, policy, cookies and settings"),
}

_SECTION_OF: dict[ChangeKind, Section] = {
    **dict.fromkeys((K.CATEGORY_ADDED_TO_PURPOSE, K.CATEGORY_REMOVED_FROM_PURPOSE,
                     K.DATA_LIST_OPENED, K.DATA_LIST_CLOSED, K.DEFINITION_ADDED,
                     K.DEFINITION_REMOVED, K.DEFINITION_CHANGED), Section.CATEGORIES),
    **dict.fromkeys((K.RECIPIENT_ADDED_TO_PURPOSE, K.RECIPIENT_REMOVED_FROM_PURPOSE,
                     K.RECIPIENT_ADDED, K.RECIPIENT_REMOVED, K.RECIPIENT_BECAME_CROSS_BORDER,
                     K.RECIPIENT_NO_LONGER_CROSS_BORDER, K.RECIPIENT_COUNTRY_CHANGED,
                     K.CATEGORY_ADDED_TO_RECIPIENT, K.CATEGORY_REMOVED_FROM_RECIPIENT,
                     K.RECIPIENT_ROLE_CHANGED, K.RECIPIENT_ACTIONS_ADDED,
                     K.RECIPIENT_ACTIONS_REMOVED, K.RECIPIENT_BASIS_CHANGED,
                     K.CROSS_BORDER_BASIS_CHANGED, K.PRIMARY_DATABASE_MOVED,
                     K.COPIES_ABROAD_ADDED, K.COPIES_ABROAD_REMOVED), Section.TRANSFERS),
    **dict.fromkeys((K.RETENTION_LENGTHENED, K.RETENTION_SHORTENED,
                     K.RETENTION_TRIGGER_CHANGED, K.RETENTION_OUTCOME_CHANGED),
                    Section.RETENTION),
    **dict.fromkeys((K.PURPOSE_ADDED, K.PURPOSE_REMOVED, K.SUBJECTS_ADDED_TO_PURPOSE,
                     K.SUBJECTS_REMOVED_FROM_PURPOSE, K.SOURCE_ADDED_TO_PURPOSE,
                     K.SOURCE_REMOVED_FROM_PURPOSE, K.METHODS_CHANGED, K.BASIS_CHANGED,
                     K.CONSENT_REQUIREMENT_CHANGED, K.AUTOMATED_DECISION_INTRODUCED,
                     K.AUTOMATED_DECISION_DROPPED, K.PURPOSE_TASK_CHANGED,
                     K.CONSENT_BUNDLING_CHANGED), Section.PURPOSES),
}

KIND_LABELS: dict[ChangeKind, str] = {
    K.OPERATOR_CHANGED: N_("Another operator (name or BIN)"),
    K.OPERATOR_DETAILS_CHANGED: N_("Operator's details changed"),
    K.PRIMARY_DATABASE_MOVED: N_("Main database moved to another country"),
    K.COPIES_ABROAD_ADDED: N_("Copies of the database kept abroad"),
    K.COPIES_ABROAD_REMOVED: N_("No more copies of the database abroad"),
    K.POLICY_CHANGED: N_("Policy version or date changed"),
    K.DEFINITION_ADDED: N_("Declaration added"),
    K.DEFINITION_REMOVED: N_("Declaration removed"),
    K.DEFINITION_CHANGED: N_("Declaration changed"),
    K.PURPOSE_ADDED: N_("New purpose"),
    K.PURPOSE_REMOVED: N_("Purpose removed"),
    K.CATEGORY_ADDED_TO_PURPOSE: N_("Data category added to a purpose"),
    K.CATEGORY_REMOVED_FROM_PURPOSE: N_("Data category removed from a purpose"),
    K.SUBJECTS_ADDED_TO_PURPOSE: N_("Subjects added to a purpose"),
    K.SUBJECTS_REMOVED_FROM_PURPOSE: N_("Subjects removed from a purpose"),
    K.RECIPIENT_ADDED_TO_PURPOSE: N_("Recipient added to a purpose"),
    K.RECIPIENT_REMOVED_FROM_PURPOSE: N_("Recipient removed from a purpose"),
    K.SOURCE_ADDED_TO_PURPOSE: N_("Source added to a purpose"),
    K.SOURCE_REMOVED_FROM_PURPOSE: N_("Source removed from a purpose"),
    K.METHODS_CHANGED: N_("Processing methods changed"),
    K.BASIS_CHANGED: N_("Legal basis changed"),
    K.CONSENT_REQUIREMENT_CHANGED: N_("Whether consent is needed changed"),
    K.RETENTION_LENGTHENED: N_("Retention lengthened"),
    K.RETENTION_SHORTENED: N_("Retention shortened"),
    K.RETENTION_TRIGGER_CHANGED: N_("Retention starts from another event"),
    K.RETENTION_OUTCOME_CHANGED: N_("What happens at the end of retention changed"),
    K.AUTOMATED_DECISION_INTRODUCED: N_("Automated decision introduced"),
    K.AUTOMATED_DECISION_DROPPED: N_("Automated decision dropped"),
    K.DATA_LIST_OPENED: N_("List of data no longer exhaustive"),
    K.DATA_LIST_CLOSED: N_("List of data made exhaustive"),
    K.PURPOSE_TASK_CHANGED: N_("Purpose moved to another task"),
    K.CONSENT_BUNDLING_CHANGED: N_("How consent is grouped changed"),
    K.RECIPIENT_ADDED: N_("New recipient"),
    K.RECIPIENT_REMOVED: N_("Recipient removed"),
    K.RECIPIENT_BECAME_CROSS_BORDER: N_("Recipient now abroad"),
    K.RECIPIENT_NO_LONGER_CROSS_BORDER: N_("Recipient no longer abroad"),
    K.RECIPIENT_COUNTRY_CHANGED: N_("Recipient's country changed"),
    K.CATEGORY_ADDED_TO_RECIPIENT: N_("Data category added to a recipient"),
    K.CATEGORY_REMOVED_FROM_RECIPIENT: N_("Data category removed from a recipient"),
    K.RECIPIENT_ROLE_CHANGED: N_("Recipient's role changed"),
    K.RECIPIENT_ACTIONS_ADDED: N_("Recipient may do more"),
    K.RECIPIENT_ACTIONS_REMOVED: N_("Recipient may do less"),
    K.RECIPIENT_BASIS_CHANGED: N_("Recipient's legal basis changed"),
    K.CROSS_BORDER_BASIS_CHANGED: N_("Basis of the transfer abroad changed"),
    K.COOKIE_ADDED: N_("New cookie"),
    K.COOKIE_REMOVED: N_("Cookie removed"),
    K.COOKIE_LIFETIME_LENGTHENED: N_("Cookie kept longer"),
    K.COOKIE_LIFETIME_SHORTENED: N_("Cookie kept shorter"),
    K.COOKIE_CATEGORY_CHANGED: N_("Cookie category changed"),
    K.COOKIE_PARTY_CHANGED: N_("Cookie party changed"),
    K.COOKIE_PROVIDER_CHANGED: N_("Cookie provider changed"),
    K.SEPARATE_SCOPE_ADDED: N_("Separate consent added"),
    K.SEPARATE_SCOPE_REMOVED: N_("Separate consent removed"),
    K.CONSENT_CHANNELS_CHANGED: N_("Ways of giving consent changed"),
    K.MINORS_CHANGED: N_("Rules for minors changed"),
    K.REQUEST_CHANNELS_CHANGED: N_("Ways of sending a request changed"),
    K.REGIME_OVERRIDES_CHANGED: N_("Deadlines set by the operator changed"),
    K.WAIVERS_CHANGED: N_("Lint waivers changed"),
    K.LIMITS_CHANGED: N_("Limits changed"),
    K.TEXT_CHANGED: N_("Wording changed"),
}


def section_of(kind: ChangeKind) -> Section:
    return _SECTION_OF.get(kind, Section.OTHER)


def sections(changes: Iterable[Change]) -> list[tuple[Section, list[Change]]]:
    """The changes under their headings, in the order of ``Section``; widening changes
    first within a heading (they are what the subjects must hear of); empty headings left
    out."""
    order = {Effect.WIDENS: 0, Effect.NARROWS: 1, Effect.NEUTRAL: 2}
    grouped: dict[Section, list[Change]] = {s: [] for s in Section}
    for change in changes:
        grouped[section_of(change.kind)].append(change)
    return [(s, sorted(found, key=lambda c: order[c.effect])) for s, found in grouped.items()
            if found]


@dataclass(frozen=True)
class ScopeCount:
    """One consent scope asked again, and how many consents it would stop."""

    scope: ReconsentScope
    consents: int


@dataclass(frozen=True)
class Impact:
    """What publishing would do to the consents given so far (Law 94-V Art. 8: silence is
    not consent, so each marked consent stops counting until the subject answers)."""

    consents: int  # consents that would stop counting now
    subjects: int  # distinct subjects holding them
    waiting: int  # consents already waiting for a re-consent the version also touches
    purposes: tuple[str, ...]  # the purposes whose consents are asked again
    new_purposes: tuple[str, ...]  # new purposes that need a first consent
    scopes: tuple[ScopeCount, ...]  # every scope asked again, with its consents

    @property
    def asks(self) -> bool:
        return bool(self.scopes)


@dataclass(frozen=True)
class Marked:
    """A consent the version touches, as the impact counts it (no PD: ids only)."""

    subject_id: str
    newly: bool
    scopes: Sequence[ReconsentScope]


def impact(scopes: Sequence[ReconsentScope], marked: Iterable[Marked],
           purposes: Sequence[str], new_purposes: Sequence[str]) -> Impact:
    """Count ``marked`` per scope of ``scopes`` (a scope no consent holds counts 0: a new
    purpose or recipient is asked of each subject the first time)."""
    per_scope: Counter[ReconsentScope] = Counter()
    subjects: set[str] = set()
    newly = waiting = 0
    for mark in marked:
        if mark.newly:
            newly += 1
            subjects.add(mark.subject_id)
        else:
            waiting += 1
        per_scope.update(set(mark.scopes))
    return Impact(newly, len(subjects), waiting, tuple(purposes), tuple(new_purposes),
                  tuple(ScopeCount(s, per_scope[s]) for s in scopes))


EFFECT_LABELS: dict[Effect, str] = {
    Effect.WIDENS: N_("Widens"),
    Effect.NARROWS: N_("Narrows"),
    Effect.NEUTRAL: N_("Neutral"),
}

SCOPE_KINDS: dict[ScopeKind, str] = {
    ScopeKind.PROCESSING: N_("Processing"),
    ScopeKind.THIRD_PARTY_TRANSFER: N_("Transfer to a third party"),
    ScopeKind.CROSS_BORDER_TRANSFER: N_("Transfer abroad"),
    ScopeKind.COOKIES: N_("Cookies"),
}

"""The change model: what one change of a register says, and the whole diff."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from derbes.consent.model.consent import ScopeKind

KZ = "KZ"

ART_8 = "Law 94-V Art. 8"
ART_8_CONTENT = "Law 94-V Art. 8; Rules No. 395/НҚ (content of consent)"
ART_8_SILENCE = "Law 94-V Art. 8 (silence is not consent)"
ART_9 = "Law 94-V Art. 9"
ART_12 = "Law 94-V Art. 12 p.2"
ART_16 = "Law 94-V Art. 16"
ART_24 = "Law 94-V Art. 24"
COOKIES = "seed 002 p.8.1 (cookies)"


class Effect(StrEnum):
    WIDENS = "widens"
    NARROWS = "narrows"
    NEUTRAL = "neutral"


class Side(StrEnum):
    """Which file a change's path points into."""

    OLD = "old"
    NEW = "new"


class ChangeKind(StrEnum):
    # operator
    OPERATOR_CHANGED = "operator_changed"  # another legal person (id or BIN)
    OPERATOR_DETAILS_CHANGED = "operator_details_changed"
    PRIMARY_DATABASE_MOVED = "primary_database_moved"
    COPIES_ABROAD_ADDED = "copies_abroad_added"
    COPIES_ABROAD_REMOVED = "copies_abroad_removed"
    POLICY_CHANGED = "policy_changed"
    # declarations of categories, subject categories, tasks
    DEFINITION_ADDED = "definition_added"
    DEFINITION_REMOVED = "definition_removed"
    DEFINITION_CHANGED = "definition_changed"
    # purposes
    PURPOSE_ADDED = "purpose_added"
    PURPOSE_REMOVED = "purpose_removed"
    CATEGORY_ADDED_TO_PURPOSE = "category_added_to_purpose"
    CATEGORY_REMOVED_FROM_PURPOSE = "category_removed_from_purpose"
    SUBJECTS_ADDED_TO_PURPOSE = "subjects_added_to_purpose"
    SUBJECTS_REMOVED_FROM_PURPOSE = "subjects_removed_from_purpose"
    RECIPIENT_ADDED_TO_PURPOSE = "recipient_added_to_purpose"
    RECIPIENT_REMOVED_FROM_PURPOSE = "recipient_removed_from_purpose"
    SOURCE_ADDED_TO_PURPOSE = "source_added_to_purpose"
    SOURCE_REMOVED_FROM_PURPOSE = "source_removed_from_purpose"
    METHODS_CHANGED = "methods_changed"
    BASIS_CHANGED = "basis_changed"
    CONSENT_REQUIREMENT_CHANGED = "consent_requirement_changed"
    RETENTION_LENGTHENED = "retention_lengthened"
    RETENTION_SHORTENED = "retention_shortened"
    RETENTION_TRIGGER_CHANGED = "retention_trigger_changed"
    RETENTION_OUTCOME_CHANGED = "retention_outcome_changed"
    AUTOMATED_DECISION_INTRODUCED = "automated_decision_introduced"
    AUTOMATED_DECISION_DROPPED = "automated_decision_dropped"
    DATA_LIST_OPENED = "data_list_opened"  # exhaustive: true -> false
    DATA_LIST_CLOSED = "data_list_closed"  # exhaustive: false -> true
    PURPOSE_TASK_CHANGED = "purpose_task_changed"
    CONSENT_BUNDLING_CHANGED = "consent_bundling_changed"
    # recipients
    RECIPIENT_ADDED = "recipient_added"
    RECIPIENT_REMOVED = "recipient_removed"
    RECIPIENT_BECAME_CROSS_BORDER = "recipient_became_cross_border"
    RECIPIENT_NO_LONGER_CROSS_BORDER = "recipient_no_longer_cross_border"
    RECIPIENT_COUNTRY_CHANGED = "recipient_country_changed"  # abroad -> another state
    CATEGORY_ADDED_TO_RECIPIENT = "category_added_to_recipient"
    CATEGORY_REMOVED_FROM_RECIPIENT = "category_removed_from_recipient"
    RECIPIENT_ROLE_CHANGED = "recipient_role_changed"
    RECIPIENT_ACTIONS_ADDED = "recipient_actions_added"
    RECIPIENT_ACTIONS_REMOVED = "recipient_actions_removed"
    RECIPIENT_BASIS_CHANGED = "recipient_basis_changed"
    CROSS_BORDER_BASIS_CHANGED = "cross_border_basis_changed"
    # cookies
    COOKIE_ADDED = "cookie_added"
    COOKIE_REMOVED = "cookie_removed"
    COOKIE_LIFETIME_LENGTHENED = "cookie_lifetime_lengthened"
    COOKIE_LIFETIME_SHORTENED = "cookie_lifetime_shortened"
    COOKIE_CATEGORY_CHANGED = "cookie_category_changed"
    COOKIE_PARTY_CHANGED = "cookie_party_changed"
    COOKIE_PROVIDER_CHANGED = "cookie_provider_changed"
    # consent setup, minors, the rest
    SEPARATE_SCOPE_ADDED = "separate_scope_added"
    SEPARATE_SCOPE_REMOVED = "separate_scope_removed"
    CONSENT_CHANNELS_CHANGED = "consent_channels_changed"
    MINORS_CHANGED = "minors_changed"
    REQUEST_CHANNELS_CHANGED = "request_channels_changed"
    REGIME_OVERRIDES_CHANGED = "regime_overrides_changed"
    WAIVERS_CHANGED = "waivers_changed"
    LIMITS_CHANGED = "limits_changed"
    TEXT_CHANGED = "text_changed"


# An added thing and its removal are the same change read backwards: diff(A, B)
# reports one where diff(B, A) reports the other, with the opposite effect.
INVERSE: Mapping[ChangeKind, ChangeKind] = {
    a: b
    for x, y in (
        (ChangeKind.COPIES_ABROAD_ADDED, ChangeKind.COPIES_ABROAD_REMOVED),
        (ChangeKind.DEFINITION_ADDED, ChangeKind.DEFINITION_REMOVED),
        (ChangeKind.PURPOSE_ADDED, ChangeKind.PURPOSE_REMOVED),
        (ChangeKind.CATEGORY_ADDED_TO_PURPOSE, ChangeKind.CATEGORY_REMOVED_FROM_PURPOSE),
        (ChangeKind.SUBJECTS_ADDED_TO_PURPOSE, ChangeKind.SUBJECTS_REMOVED_FROM_PURPOSE),
        (ChangeKind.RECIPIENT_ADDED_TO_PURPOSE, ChangeKind.RECIPIENT_REMOVED_FROM_PURPOSE),
        (ChangeKind.SOURCE_ADDED_TO_PURPOSE, ChangeKind.SOURCE_REMOVED_FROM_PURPOSE),
        (ChangeKind.RETENTION_LENGTHENED, ChangeKind.RETENTION_SHORTENED),
        (ChangeKind.AUTOMATED_DECISION_INTRODUCED, ChangeKind.AUTOMATED_DECISION_DROPPED),
        (ChangeKind.DATA_LIST_OPENED, ChangeKind.DATA_LIST_CLOSED),
        (ChangeKind.RECIPIENT_ADDED, ChangeKind.RECIPIENT_REMOVED),
        (ChangeKind.RECIPIENT_BECAME_CROSS_BORDER, ChangeKind.RECIPIENT_NO_LONGER_CROSS_BORDER),
        (ChangeKind.CATEGORY_ADDED_TO_RECIPIENT, ChangeKind.CATEGORY_REMOVED_FROM_RECIPIENT),
        (ChangeKind.RECIPIENT_ACTIONS_ADDED, ChangeKind.RECIPIENT_ACTIONS_REMOVED),
        (ChangeKind.COOKIE_ADDED, ChangeKind.COOKIE_REMOVED),
        (ChangeKind.COOKIE_LIFETIME_LENGTHENED, ChangeKind.COOKIE_LIFETIME_SHORTENED),
        (ChangeKind.SEPARATE_SCOPE_ADDED, ChangeKind.SEPARATE_SCOPE_REMOVED),
    )
    for a, b in ((x, y), (y, x))
}


@dataclass(frozen=True, order=True)
class ReconsentScope:
    """One consent scope the subject must be asked for again.

    ``purpose`` is None for a cookie category and for a cross-border transfer
    of the database itself (``copies_abroad``, ``primary_database_country``);
    ``recipient`` is set for transfer scopes (None: the database itself).
    """

    kind: ScopeKind
    purpose: str | None = None
    recipient: str | None = None
    cookie_category: str | None = None

    def describe(self) -> str:
        if self.kind is ScopeKind.PROCESSING:
            return f"processing for purpose {self.purpose}"
        if self.kind is ScopeKind.THIRD_PARTY_TRANSFER:
            return f"third-party transfer to recipient {self.recipient} (purpose {self.purpose})"
        if self.kind is ScopeKind.CROSS_BORDER_TRANSFER:
            if self.recipient is None:
                return "cross-border transfer (the database or a copy of it abroad)"
            where = f" (purpose {self.purpose})" if self.purpose else ""
            return f"cross-border transfer to recipient {self.recipient}{where}"
        return f"cookie category {self.cookie_category}"

    def as_dict(self) -> dict[str, str | None]:
        return {
            "kind": self.kind.value,
            "purpose": self.purpose,
            "recipient": self.recipient,
            "cookie_category": self.cookie_category,
            "description": self.describe(),
        }


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    effect: Effect
    path: str  # dotted YAML path, in the file named by ``side``
    side: Side
    explanation: str
    citation: str | None = None
    item: str | None = None  # the id / name / value added, removed or changed
    purposes: tuple[str, ...] = ()
    reconsent: tuple[ReconsentScope, ...] = ()
    before: str | None = None
    after: str | None = None

    @property
    def needs_reconsent(self) -> bool:
        return bool(self.reconsent)


@dataclass(frozen=True)
class RegisterDiff:
    operator_id: str
    old_version: str
    new_version: str
    changes: tuple[Change, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.changes

    @property
    def widens(self) -> bool:
        return any(c.effect is Effect.WIDENS for c in self.changes)

    @property
    def narrows(self) -> bool:
        return any(c.effect is Effect.NARROWS for c in self.changes)

    @property
    def reconsent_scopes(self) -> tuple[ReconsentScope, ...]:
        return tuple(sorted({s for c in self.changes for s in c.reconsent}, key=scope_key))

    @property
    def reconsent_required(self) -> bool:
        return any(c.reconsent for c in self.changes)

    @property
    def reconsent_purposes(self) -> tuple[str, ...]:
        """Purposes whose consents must be asked again (transfer scopes included)."""
        return tuple(sorted({s.purpose for s in self.reconsent_scopes if s.purpose}))

    @property
    def new_purposes(self) -> tuple[str, ...]:
        return tuple(c.item for c in self.changes
                     if c.kind is ChangeKind.PURPOSE_ADDED and c.item is not None)

    def of_effect(self, effect: Effect) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.effect is effect)

    def summary(self) -> str:
        """One sentence for a DPO: does this version widen processing, and for what."""
        if self.empty:
            return "no changes"
        parts: list[str] = []
        if self.reconsent_required:
            fresh = set(self.new_purposes)
            again = [p for p in self.reconsent_purposes if p not in fresh]
            asks: list[str] = []
            if again:
                asks.append(f"purposes {', '.join(again)}")
            asks += [s.describe() for s in self.reconsent_scopes if s.purpose is None]
            text = "widens processing"
            if asks:
                text += f": re-consent required for {'; '.join(asks)}"
            new_asked = [p for p in self.reconsent_purposes if p in fresh]
            if new_asked:
                text += f"; new consent needed for new purposes {', '.join(new_asked)}"
            parts.append(text + " (silence is not consent)")
        quiet = [c for c in self.of_effect(Effect.WIDENS) if not c.reconsent]
        if quiet:
            label = "also widens" if parts else "widens processing"
            parts.append(
                f"{label} without re-consent ({len(quiet)} change(s) on a basis other "
                "than consent or for new subjects only): subjects must be notified"
            )
        if not parts:
            if self.narrows:
                parts.append("narrows processing only: no re-consent needed")
            else:
                parts.append("neutral changes only (wording, contacts, settings): "
                             "no re-consent needed")
        counts = {e: len(self.of_effect(e)) for e in Effect}
        tally = ", ".join(f"{n} {e.value}" for e, n in counts.items() if n)
        return f"{'; '.join(parts)} [{tally}]"


def scope_key(scope: ReconsentScope) -> tuple[str, str, str, str]:
    return (
        scope.kind.value,
        scope.purpose or "",
        scope.recipient or "",
        scope.cookie_category or "",
    )


def scopes_of(changes: Iterable[Change]) -> tuple[ReconsentScope, ...]:
    """The distinct re-consent scopes of some changes, in a stable order."""
    return tuple(sorted({s for c in changes for s in c.reconsent}, key=scope_key))

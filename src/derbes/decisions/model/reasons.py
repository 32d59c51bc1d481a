"""The vocabulary of decisions: actions, reason codes, reasons with their citations, and
the rule table that words them (``data/decision_rules.yaml``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from derbes.errors import ConfigurationError
from derbes.platform.labels import Labels, Lang

ALL: Final = "*"
"""In a consent's recipients: every recipient (transfer or cross-border)."""


class ActionKind(StrEnum):
    USE = "use"  # process for a purpose
    TRANSFER = "transfer"  # disclose to a recipient for a purpose
    CROSS_BORDER = "cross_border"  # disclose to a recipient abroad (Art. 16)
    PUBLISH = "publish"  # place in public sources


class ReasonCode(StrEnum):
    # allowed
    CONSENT = "consent"
    LEGAL_BASIS = "legal_basis"
    TRANSFER_CONSENT = "transfer_consent"
    PROCESSOR = "processor"
    RECIPIENT_BASIS = "recipient_basis"
    CROSS_BORDER_BASIS = "cross_border_basis"
    CROSS_BORDER_CONSENT = "cross_border_consent"
    PUBLICATION_CONSENT = "publication_consent"
    # denied
    SUBJECT_UNKNOWN = "subject_unknown"
    SUBJECT_DESTROYED = "subject_destroyed"
    SUBJECT_BLOCKED = "subject_blocked"
    STATE_UNVERIFIED = "state_unverified"
    CATEGORY_BLOCKED = "category_blocked"
    CATEGORY_DESTROYED = "category_destroyed"
    CATEGORY_NOT_NEEDED = "category_not_needed"
    CATEGORY_NOT_FOR_RECIPIENT = "category_not_for_recipient"
    RETENTION_EXPIRED = "retention_expired"
    RECIPIENT_NOT_DECLARED = "recipient_not_declared"
    RECIPIENT_NOT_ABROAD = "recipient_not_abroad"
    CROSS_BORDER_NOT_ALLOWED = "cross_border_not_allowed"
    TRANSFER_NOT_CONSENTED = "transfer_not_consented"
    PUBLICATION_NOT_CONSENTED = "publication_not_consented"
    CONSENT_ABSENT = "consent_absent"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    CONSENT_EXPIRED = "consent_expired"
    RECONSENT_REQUIRED = "reconsent_required"
    MINOR_WITHOUT_REPRESENTATIVE = "minor_without_representative"
    NO_OBLIGATION = "no_obligation"


HOME_COUNTRY: Final = "KZ"


# ------------------------------------------------------------ values


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason of a decision; ``ref`` names what it is about.

    ``ref`` is the consent id for consent reasons, the category for category
    reasons, the recipient for recipient reasons, the purpose otherwise.
    """

    code: ReasonCode
    allowed: bool
    message: str
    citation: str
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """Allowed with the reasons that allow it, or denied with every reason against."""

    allowed: bool
    reasons: tuple[Reason, ...]

    @property
    def codes(self) -> tuple[ReasonCode, ...]:
        return tuple(r.code for r in self.reasons)


@dataclass(frozen=True, slots=True)
class Action:
    """What a caller wants to do. ``subject_id`` only routes batches to states."""

    kind: ActionKind
    subject_id: str = ""
    purpose: str | None = None
    recipient: str | None = None
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReasonText:
    """A reason code's rule of law and its message templates (ru, kk, en)."""

    allowed: bool
    citation: str
    message: Labels


@dataclass(frozen=True)
class DecisionRules:
    """The reasons' texts and fallback citations (``data/decision_rules.yaml``)."""

    reasons: Mapping[ReasonCode, ReasonText]

    def __post_init__(self) -> None:
        missing = [c.value for c in ReasonCode if c not in self.reasons]
        if missing:
            raise ConfigurationError(f"decision rules lack reason(s): {', '.join(missing)}")
        for code, text in self.reasons.items():
            if text.allowed != _ALLOWING.get(code, False):
                raise ConfigurationError(f"decision rule {code.value}: 'allowed' is wrong")

    def reason(
        self,
        code: ReasonCode,
        lang: Lang,
        *,
        citation: str | None = None,
        ref: str | None = None,
        **fields: str,
    ) -> Reason:
        text = self.reasons[code]
        message = text.message.get(lang).format_map(_Fields(fields))
        return Reason(code, text.allowed, message, citation or text.citation, ref)


_ALLOWING = {code: True for code in (
    ReasonCode.CONSENT, ReasonCode.LEGAL_BASIS, ReasonCode.TRANSFER_CONSENT,
    ReasonCode.PROCESSOR, ReasonCode.RECIPIENT_BASIS, ReasonCode.CROSS_BORDER_BASIS,
    ReasonCode.CROSS_BORDER_CONSENT, ReasonCode.PUBLICATION_CONSENT,
)}


class _Fields(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"



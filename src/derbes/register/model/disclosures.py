"""What a policy discloses beyond purposes and recipients.

Commitments ("we do not sell data"), uses a category is restricted to,
security measures (mapped to Order 179/НҚ), complaint routes, other law that
applies, the operator acting as a processor for others, cookie defaults,
language editions of the policy and who approved it, conditional deletion.
Every item carries the clause of the policy it comes from.

Pure: standard library and other models only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from derbes.platform.labels import Labels as Text
from derbes.platform.labels import Lang


class CommitmentKind(StrEnum):
    """Promises lint can check against the rest of the register."""

    NO_SALE = "no_sale"  # personal data are not sold
    NO_AD_TRACKING = "no_ad_tracking"  # no advertising tracking
    NO_THIRD_PARTY_TRANSFER = "no_third_party_transfer"  # none without consent/law
    NO_CROSS_BORDER = "no_cross_border"
    NO_AUTOMATED_DECISIONS = "no_automated_decisions"
    OTHER = "other"  # said by the policy, not checkable by lint


@dataclass(frozen=True)
class Commitment:
    kind: CommitmentKind
    text: Text
    source: str | None = None


@dataclass(frozen=True)
class CategoryRestriction:
    """A category the policy allows only for named uses ("biometrics only for
    identification and signing")."""

    category: str
    purposes: tuple[str, ...]
    text: Text
    source: str | None = None


class ProtectionMeasure(StrEnum):
    """Measures of the protection rules (Order 179/НҚ of 12 Jun 2023, as amended);
    their wording and citations are data (``data/protection_measures.yaml``)."""

    RESPONSIBLE_PERSON = "responsible_person"
    ACCESS_LIST = "access_list"
    ACCESS_BY_DUTIES = "access_by_duties"
    EVENT_LOGGING = "event_logging"
    INTRUSION_DETECTION = "intrusion_detection"
    INCIDENT_NOTIFICATION = "incident_notification"
    BACKUP = "backup"
    REVOKE_ON_DISMISSAL = "revoke_on_dismissal"
    NO_STAFF_COPYING = "no_staff_copying"
    ENCRYPTION = "encryption"
    ANTIVIRUS = "antivirus"
    PHYSICAL_SECURITY = "physical_security"
    STAFF_TRAINING = "staff_training"
    CONFIDENTIALITY_UNDERTAKING = "confidentiality_undertaking"


@dataclass(frozen=True)
class SecurityMeasure:
    """One measure in the policy's own words and the Order 179 measures it maps to."""

    text: Text
    measures: tuple[ProtectionMeasure, ...] = ()
    source: str | None = None


class ComplaintRouteKind(StrEnum):
    OPERATOR = "operator"
    AUTHORISED_BODY = "authorised_body"  # Law 94-V Art. 1, 27-1
    COURT = "court"
    OTHER_REGULATOR = "other_regulator"  # a regulator of another regime (AIFC, RF)


@dataclass(frozen=True)
class ComplaintRoute:
    kind: ComplaintRouteKind
    name: Text
    address: Text | None = None
    source: str | None = None


@dataclass(frozen=True)
class OtherLaw:
    """Another legal regime the policy says applies (AIFC Data Protection
    Regulations for a participant of the AIFC; the law of another state for
    its citizens' data), and its regulator."""

    law: Text
    scope: Text
    regulator: Text | None = None
    source: str | None = None


@dataclass(frozen=True)
class ProcessorRole:
    """Processes in which the operator itself processes PD on another's behalf."""

    for_whom: Text
    processing: Text
    source: str | None = None


class CookieDefault(StrEnum):
    CONSENT_FIRST = "consent_first"  # non-essential cookies wait for consent
    SET_BY_DEFAULT = "set_by_default"  # set on entering the site; refusal possible


@dataclass(frozen=True)
class CookiePolicy:
    default: CookieDefault | None  # None: the policy does not say
    refusal: Text | None = None  # how the policy says cookies can be refused
    source: str | None = None


@dataclass(frozen=True)
class Edition:
    """One language edition of the policy, with its own version and date."""

    lang: Lang
    version: Text | None = None
    date: date | None = None
    url: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Approval:
    """Who approved the policy: body, document (protocol, order), date, place."""

    body: Text
    document: Text | None = None
    date: date | None = None
    place: Text | None = None
    source: str | None = None


@dataclass(frozen=True)
class AccountDeletion:
    """How the subject can delete the account or data themselves, and on what condition
    ("in the app, when no debts are outstanding")."""

    how: Text
    condition: Text | None = None
    source: str | None = None


@dataclass(frozen=True)
class Disclosures:
    """The sections beyond purposes and recipients, as a register holds them."""

    commitments: tuple[Commitment, ...] = ()
    category_restrictions: tuple[CategoryRestriction, ...] = ()
    security_measures: tuple[SecurityMeasure, ...] = ()
    complaint_routes: tuple[ComplaintRoute, ...] = ()
    other_law: tuple[OtherLaw, ...] = ()
    processor_roles: tuple[ProcessorRole, ...] = ()
    account_deletion: tuple[AccountDeletion, ...] = ()
    cookie_policy: CookiePolicy | None = None

"""The processing register: an operator's description of its processing of PD.

One register per operator (a YAML file under ``registers/``). It is the single
source that consent, decisions, subject requests, retention and the published
notice run on. This module holds the model; ``register.model.builder`` checks what a
schema cannot (references, unique ids, periods), after the loader in
``register/adapters/yaml.py`` has checked the structure against the JSON Schema.

The model follows Law 94-V: purposes with the exhaustive list of PD they need
(Art. 7: "necessary and sufficient"), a legal basis (Art. 7, 8, 9), a retention
rule that carries its own citation (the law or the policy clause that sets the
period), recipients with cross-border
flags (Art. 16), localisation of the primary database (Art. 12 p.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from derbes.deadlines.model.periods import Period
from derbes.platform.labels import (
    Labels,
    Lang,  # re-exported: registers speak these languages
)

LANGS: tuple[Lang, ...] = (Lang.RU, Lang.KK, Lang.EN)

# Texts of the register are the shared trilingual labels.
Text = Labels


class OperatorKind(StrEnum):
    PAYMENT_ORGANISATION = "payment_organisation"
    E_MONEY_ISSUER = "e_money_issuer"
    MICROFINANCE = "microfinance"
    BANK = "bank"
    E_COMMERCE = "e_commerce"
    OTHER = "other"


class Sensitivity(StrEnum):
    """How harmful a leak is; drives defaults for access control and lint."""

    ORDINARY = "ordinary"  # contact, device, preferences
    CONFIDENTIAL = "confidential"  # identity numbers, financial, credit history
    SPECIAL = "special"  # biometric, health: explicit consent expected


class ValueType(StrEnum):
    """The type a vault value of this category is validated against."""

    TEXT = "text"
    IIN = "iin"
    PHONE = "phone"
    EMAIL = "email"
    DATE = "date"
    IBAN = "iban"
    CARD_TOKEN = "card_token"  # noqa: S105 - a value type, not a secret
    NUMBER = "number"
    MONEY = "money"
    ADDRESS = "address"
    DOCUMENT = "document"
    IMAGE = "image"
    JSON = "json"


class BasisKind(StrEnum):
    """Legal grounds for processing (Law 94-V Art. 7–9)."""

    CONSENT = "consent"  # Art. 7, 8
    CONTRACT = "contract"  # performance of a contract the subject is party to
    LEGAL_OBLIGATION = "legal_obligation"  # a law requires it (cite the law), Art. 9
    STATE_REQUEST = "state_request"  # motivated request of a state body, Art. 9
    VITAL_INTERESTS = "vital_interests"  # Art. 9: life, health of the subject


class RetentionTrigger(StrEnum):
    """Lifecycle events that start a retention clock."""

    COLLECTED = "collected"
    ACCOUNT_CLOSED = "account_closed"
    CONTRACT_CLOSED = "contract_closed"
    TRANSACTION = "transaction"
    PURPOSE_ACHIEVED = "purpose_achieved"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    LAST_ACTIVITY = "last_activity"


class AchievedWhen(StrEnum):
    """The real event that achieves a purpose whose clock waits for ``purpose_achieved``.

    The register says it (``retention.achieved_when``) so that the clock starts
    from an event the operator actually reports; a ``purpose_achieved`` event
    may still be recorded explicitly (whichever comes first counts).
    """

    CONTRACT_OPENED = "contract_opened"  # the application is decided: a contract exists
    CONTRACT_CLOSED = "contract_closed"  # the obligations are fulfilled
    ACCOUNT_CLOSED = "account_closed"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    REQUEST_ANSWERED = "request_answered"  # a request (of the subject or a state body)


class AfterRetention(StrEnum):
    DESTROY = "destroy"
    ANONYMISE = "anonymise"


class RecipientRole(StrEnum):
    PROCESSOR = "processor"  # acts on the operator's instruction (seed 001 p.2.3)
    THIRD_PARTY = "third_party"  # an independent operator receiving PD
    STATE_BODY = "state_body"
    CREDIT_BUREAU = "credit_bureau"
    PAYMENT_SYSTEM = "payment_system"
    BANK = "bank"
    COLLECTION_AGENCY = "collection_agency"
    IDENTIFICATION_SERVICE = "identification_service"
    AFFILIATE = "affiliate"
    AUDITOR = "auditor"


class RecipientAction(StrEnum):
    COLLECT = "collect"
    RECORD = "record"
    STORE = "store"
    USE = "use"
    TRANSFER = "transfer"
    VERIFY = "verify"
    DESTROY = "destroy"


class CrossBorderBasisKind(StrEnum):
    """Law 94-V Art. 16: to states that protect PD, or with consent, or listed cases."""

    ADEQUATE_PROTECTION = "adequate_protection"
    CONSENT = "consent"
    INTERNATIONAL_TREATY = "international_treaty"
    LAW = "law"
    CONTRACT_PERFORMANCE = "contract_performance"


class CookieCategory(StrEnum):
    STRICTLY_NECESSARY = "strictly_necessary"
    FUNCTIONAL = "functional"
    ANALYTICS = "analytics"
    MARKETING = "marketing"


class CookieParty(StrEnum):
    FIRST = "first"
    THIRD = "third"


class ChannelKind(StrEnum):
    """Ways a subject files a request to the operator."""

    EMAIL = "email"
    POSTAL = "postal"
    OFFICE = "office"
    PHONE = "phone"
    PERSONAL_CABINET = "personal_cabinet"
    WEB_FORM = "web_form"
    EGOV = "egov"
    MESSENGER = "messenger"


class ConsentChannel(StrEnum):
    """Forms of consent (Law 94-V Art. 8; Rules 395/НҚ)."""

    WEB_CHECKBOX = "web_checkbox"
    SMS_OTP = "sms_otp"
    THREE_DS = "three_ds"
    SIGNED_PAPER = "signed_paper"
    ELECTRONIC_SIGNATURE = "electronic_signature"
    EGOV = "egov"
    NON_STATE_SERVICE = "non_state_service"
    PERSONAL_CABINET = "personal_cabinet"
    MOBILE_APP = "mobile_app"


class SeparateScope(StrEnum):
    """Scopes a subject may consent to or refuse separately (seed 000 p.6.1.5–6.1.6)."""

    THIRD_PARTY_TRANSFER = "third_party_transfer"
    CROSS_BORDER_TRANSFER = "cross_border_transfer"
    PUBLICATION = "publication"
    MARKETING = "marketing"


# Lint code of the one Law 94-V rule the loader itself enforces: every category a
# purpose or recipient names must be declared (the base taxonomy or the register).
CATEGORY_NOT_DECLARED = "DRB003"

# ---------------------------------------------------------------- the model


@dataclass(frozen=True)
class Licence:
    number: str
    issued_by: Text
    issued_on: date | None = None


@dataclass(frozen=True)
class Contacts:
    email: str | None = None
    phone: str | None = None
    postal_address: Text | None = None
    website: str | None = None


@dataclass(frozen=True)
class ResponsiblePerson:
    """The person responsible for organising PD processing (Law 94-V Art. 25)."""

    role: Text
    name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Operator:
    id: str
    names: Text
    bin: str | None  # None: the published policy does not state it (lint DRB021)
    kind: OperatorKind
    legal_address: Text
    contacts: Contacts
    primary_database_country: str
    sites: tuple[str, ...] = ()
    apps: tuple[str, ...] = ()
    licence: Licence | None = None
    responsible_person: ResponsiblePerson | None = None
    copies_abroad: tuple[str, ...] = ()  # countries holding additional copies (Art. 12 p.2)


@dataclass(frozen=True)
class PolicyChange:
    """How the operator announces changes of its policy."""

    method: Text
    silence_means_consent: bool = False
    clause: str | None = None


@dataclass(frozen=True)
class Policy:
    version: str
    date: date
    languages: tuple[Lang, ...]
    source: str | None = None  # where the published text lives
    change: PolicyChange | None = None


@dataclass(frozen=True)
class DataCategory:
    id: str
    labels: Text
    sensitivity: Sensitivity
    value_type: ValueType
    description: Text | None = None
    base: bool = False  # from the shipped taxonomy rather than the operator


@dataclass(frozen=True)
class SubjectCategory:
    id: str
    labels: Text
    base: bool = False


@dataclass(frozen=True)
class LegalBasis:
    kind: BasisKind
    citation: str | None = None
    note: Text | None = None


@dataclass(frozen=True)
class Retention:
    trigger: RetentionTrigger
    period: Period
    citation: str
    then: AfterRetention = AfterRetention.DESTROY
    note: Text | None = None
    # With trigger ``purpose_achieved``: the event that achieves the purpose.
    achieved_when: AchievedWhen | None = None


@dataclass(frozen=True)
class Purpose:
    id: str
    task: str
    labels: Text
    categories: tuple[str, ...]
    subjects: tuple[str, ...]
    basis: LegalBasis
    consent_required: bool
    retention: Retention | None
    recipients: tuple[str, ...] = ()
    automated_decision: bool = False
    exhaustive: bool = True  # False: the policy says "and other information"
    description: Text | None = None
    clause: str | None = None  # the clause of the published policy this comes from
    sources: tuple[str, ...] = ("subject",)  # where the PD comes from
    methods: tuple[str, ...] = ("automated",)  # automated / manual / mixed
    # Purposes whose acceptance collects this purpose's consent in the same act
    # (one checkbox for the contract and for marketing): Art. 8 wants consent
    # given for each purpose, so a consent purpose bundled with a contract one
    # is a lint error.
    consent_bundled_with: tuple[str, ...] = ()


@dataclass(frozen=True)
class Task:
    id: str
    labels: Text


@dataclass(frozen=True)
class CrossBorderBasis:
    kind: CrossBorderBasisKind
    citation: str | None = None


@dataclass(frozen=True)
class Recipient:
    id: str
    names: Text
    role: RecipientRole
    country: str
    actions: tuple[RecipientAction, ...]
    basis: LegalBasis
    categories: tuple[str, ...] = ()
    cross_border_basis: CrossBorderBasis | None = None
    description: Text | None = None
    clause: str | None = None

    @property
    def cross_border(self) -> bool:
        return self.country != "KZ"


@dataclass(frozen=True)
class Cookie:
    name: str
    category: CookieCategory
    party: CookieParty
    lifetime: Period
    purpose: Text
    provider: str | None = None


@dataclass(frozen=True)
class RequestChannel:
    kind: ChannelKind
    address: str
    note: Text | None = None


@dataclass(frozen=True)
class ConsentSetup:
    channels: tuple[ConsentChannel, ...]
    separate_scopes: tuple[SeparateScope, ...] = ()
    withdrawal: Text | None = None
    withdrawal_clause: str | None = None


@dataclass(frozen=True)
class Minors:
    """Whether the operator processes PD of minors, and how (Law 94-V Art. 8)."""

    processed: bool
    representative_consent: bool = True
    clause: str | None = None


@dataclass(frozen=True)
class RegimeOverride:
    """The operator promises a stricter deadline than the law (never looser)."""

    deadline: str
    term: Period
    citation: str


@dataclass(frozen=True)
class Waiver:
    """A lint finding the DPO knowingly keeps, citing the policy clause."""

    code: str
    path: str
    clause: str
    reason: str


@dataclass(frozen=True)
class Register:
    operator: Operator
    policy: Policy
    categories: Mapping[str, DataCategory]
    subject_categories: Mapping[str, SubjectCategory]
    tasks: Mapping[str, Task]
    purposes: Mapping[str, Purpose]
    recipients: Mapping[str, Recipient]
    cookies: tuple[Cookie, ...]
    request_channels: tuple[RequestChannel, ...]
    consent: ConsentSetup
    minors: Minors
    regime_overrides: tuple[RegimeOverride, ...]
    waivers: tuple[Waiver, ...]
    cookie_max_lifetime: Period
    # Paths (dotted, as in the YAML) of the objects above, for lint messages.
    declared_custom_categories: frozenset[str] = field(default_factory=frozenset)

    @property
    def used_categories(self) -> frozenset[str]:
        used: set[str] = set()
        for purpose in self.purposes.values():
            used.update(purpose.categories)
        return frozenset(used)

    def purposes_for_category(self, category: str) -> tuple[Purpose, ...]:
        return tuple(p for p in self.purposes.values() if category in p.categories)

    def purposes_of_recipient(self, recipient: str) -> tuple[Purpose, ...]:
        return tuple(p for p in self.purposes.values() if recipient in p.recipients)

    def purpose_path(self, purpose_id: str) -> str:
        index = list(self.purposes).index(purpose_id)
        return f"purposes[{index}]"

    def recipient_path(self, recipient_id: str) -> str:
        index = list(self.recipients).index(recipient_id)
        return f"recipients[{index}]"

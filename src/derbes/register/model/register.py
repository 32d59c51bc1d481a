"""The processing register: an operator's description of its processing of PD.

One register per operator (a YAML file under ``registers/``). It is the single
source that consent, decisions, subject requests, retention and the published
notice run on. This module holds the model; ``register.model.builder`` checks what a
schema cannot (references, unique ids, periods), after the loader in
``register/adapters/yaml.py`` has checked the structure against the JSON Schema.

The model follows Law 94-V: purposes with the list of PD they need (Art. 7), a legal
basis (Art. 7, 8, 9), a retention rule with its own citation, recipients with
cross-border flags (Art. 16), localisation of the primary database (Art. 12 p.2).
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
from derbes.register.model.disclosures import Approval, Disclosures, Edition
from derbes.register.model.statement import (
    NOT_STATED,
    STATED,
    Assumption,
    SectionStatement,
    Sources,
    path_covers,
)

# The version of the register file format this model reads. Version 1 files are
# upgraded on reading (``register/model/upgrade.py``; ``derbes register upgrade``
# rewrites the file).
SCHEMA_VERSION = 2

LANGS: tuple[Lang, ...] = (Lang.RU, Lang.KK, Lang.EN)

# Texts of the register are the shared trilingual labels.
Text = Labels


class OperatorKind(StrEnum):
    PAYMENT_ORGANISATION = "payment_organisation"
    E_MONEY_ISSUER = "e_money_issuer"
    MICROFINANCE = "microfinance"
    BANK = "bank"
    E_COMMERCE = "e_commerce"
    # Operates an e-money system whose money a bank issues (seed 002 p.7.1).
    E_MONEY_SYSTEM_OPERATOR = "e_money_system_operator"
    AIFC_PARTICIPANT = "aifc_participant"  # Astana International Financial Centre participant
    ISLAMIC_FINANCE = "islamic_finance"
    PAWNSHOP = "pawnshop"
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
    # A recipient's basis only: a contract between the operator and the recipient
    # (a processing agreement with a processor, or an agreement with another
    # operator), not a contract with the subject.
    OPERATOR_CONTRACT = "operator_contract"
    # The policy does not state a basis. The law's default is consent (Art. 7, 8;
    # Art. 9 lists the exceptions), so consent is required, but no notice says so.
    NOT_STATED = "not_stated"


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
    IN_APP = "in_app"  # a form or chat inside the operator's mobile app


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
    FORM_SUBMISSION = "form_submission"  # by submitting a form on the site or in the app


class SeparateScope(StrEnum):
    """Scopes a subject may consent to or refuse separately (seed 000 p.6.1.5–6.1.6)."""

    THIRD_PARTY_TRANSFER = "third_party_transfer"
    CROSS_BORDER_TRANSFER = "cross_border_transfer"
    PUBLICATION = "publication"
    MARKETING = "marketing"


class DataSourceKind(StrEnum):
    """Where PD come from (Law 94-V Art. 24: the subject learns the sources)."""

    SUBJECT = "subject"
    SUBJECT_DEVICE = "subject_device"
    REPRESENTATIVE = "representative"
    CREDIT_BUREAU = "credit_bureau"
    PENSION_CENTRE = "pension_centre"
    STATE_DATABASE = "state_database"
    PUBLIC_SOURCES = "public_sources"
    PARTNERS = "partners"
    THIRD_PARTY = "third_party"
    ANALYTICS_SERVICES = "analytics_services"
    OPERATOR = "operator"  # created by the operator (scores, records of operations)


class ProcessingMethod(StrEnum):
    AUTOMATED = "automated"
    MANUAL = "manual"
    MIXED = "mixed"


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
    legal_address: Text | None
    contacts: Contacts
    # None: the policy does not say where the primary database is (Art. 12 p.2).
    primary_database_country: str | None
    sites: tuple[str, ...] = ()
    apps: tuple[str, ...] = ()
    licence: Licence | None = None
    responsible_person: ResponsiblePerson | None = None
    copies_abroad: tuple[str, ...] = ()  # countries holding additional copies (Art. 12 p.2)
    other_kinds: tuple[OperatorKind, ...] = ()  # an AIFC participant that is also a bank
    sources: Sources = field(default_factory=Sources)


@dataclass(frozen=True)
class PolicyChange:
    """How the operator announces changes of its policy."""

    method: Text
    silence_means_consent: bool = False
    source: str | None = None


@dataclass(frozen=True)
class Policy:
    # The version as an identifier ("1.0"); None: the policy states none.
    version: str | None
    date: date | None  # None: the policy is undated
    languages: tuple[Lang, ...]
    url: str | None = None  # where the published text lives
    change: PolicyChange | None = None
    version_labels: Text | None = None  # a version written in words («протокол № 4/2»)
    editions: tuple[Edition, ...] = ()  # language editions with their own version and date
    approval: Approval | None = None
    sources: Sources = field(default_factory=Sources)
    # The document's own title, where it is not a "policy" (a consent agreement).
    title: Text | None = None

    @property
    def version_id(self) -> str:
        """The version for records (consent evidence, the store): "not-stated" if none."""
        return self.version if self.version else "not-stated"

    def edition(self, lang: Lang | str) -> Edition | None:
        return next((e for e in self.editions if e.lang.value == str(lang)), None)


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
    citation: str | None = None  # for the DPO and lint (the English form)
    note: Text | None = None
    cite: Text | None = None  # the citation as a customer reads it (ru/kk/en)

    @property
    def stated(self) -> bool:
        return self.kind is not BasisKind.NOT_STATED


@dataclass(frozen=True)
class Retention:
    trigger: RetentionTrigger
    period: Period
    citation: str
    then: AfterRetention = AfterRetention.DESTROY
    cite: Text | None = None  # the citation as a customer reads it (ru/kk/en)
    note: Text | None = None
    # A condition the policy puts on keeping or deleting ("while no debt is outstanding").
    condition: Text | None = None
    source: str | None = None
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
    # None: the policy does not say whether decisions are automated.
    automated_decision: bool | None = None
    exhaustive: bool = True  # False: the policy says "and other information"
    description: Text | None = None
    source: str | None = None  # the clause of the published policy this comes from
    data_sources: tuple[DataSourceKind, ...] = ()  # where the PD come from; () not stated
    methods: tuple[ProcessingMethod, ...] = ()  # () not stated
    # Purposes whose acceptance collects this purpose's consent in the same act
    # (one checkbox for the contract and for marketing): Art. 8 wants consent
    # given for each purpose, so a consent purpose bundled with a contract one
    # is a lint error.
    consent_bundled_with: tuple[str, ...] = ()
    # Clauses of single fields that come from elsewhere than ``source``.
    sources: Sources = field(default_factory=Sources)

    @property
    def clause(self) -> str | None:
        """The clause this purpose comes from (acts and letters cite it)."""
        return self.source


@dataclass(frozen=True)
class Task:
    id: str
    labels: Text


@dataclass(frozen=True)
class CrossBorderBasis:
    kind: CrossBorderBasisKind
    citation: str | None = None
    cite: Text | None = None


@dataclass(frozen=True)
class Recipient:
    id: str
    names: Text
    role: RecipientRole
    # None: the policy does not say where the recipient is. Never read as abroad
    # by lint, never as Kazakhstan by a notice.
    country: str | None
    actions: tuple[RecipientAction, ...]
    basis: LegalBasis
    categories: tuple[str, ...] = ()
    cross_border_basis: CrossBorderBasis | None = None
    description: Text | None = None
    source: str | None = None
    # The policy names a class of recipients ("authorised counterparties"), not one.
    is_class: bool = False
    safeguards: Text | None = None  # what protects the PD at the recipient
    sold: bool = False  # the recipient pays for the PD (checked against "no sale")
    # The policy says the transfer crosses the border without naming the country.
    abroad: bool = False
    sources: Sources = field(default_factory=Sources)

    @property
    def cross_border(self) -> bool:
        """Stated to be outside Kazakhstan (in a named country, or abroad unnamed)."""
        return self.abroad or (self.country is not None and self.country != "KZ")

    @property
    def country_stated(self) -> bool:
        return self.country is not None

    @property
    def may_be_abroad(self) -> bool:
        """Abroad, or somewhere the policy does not state: a transfer to it needs
        what a cross-border transfer needs (Law 94-V Art. 16)."""
        return self.country != "KZ"

    @property
    def is_processor(self) -> bool:
        """Acts on the operator's instructions: not a third party (seed 001 p.2.3)."""
        return self.role is RecipientRole.PROCESSOR


@dataclass(frozen=True)
class Cookie:
    name: str
    category: CookieCategory
    party: CookieParty
    lifetime: Period
    purpose: Text
    provider: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class RequestChannel:
    kind: ChannelKind
    # None: the policy names the channel ("a written request to the Company") but not
    # its address or number.
    address: str | None
    note: Text | None = None
    source: str | None = None


@dataclass(frozen=True)
class ConsentSetup:
    channels: tuple[ConsentChannel, ...]
    separate_scopes: tuple[SeparateScope, ...] = ()
    withdrawal: Text | None = None
    withdrawal_source: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Minors:
    """What the policy says about PD of minors (Law 94-V Art. 8: a legal
    representative consents for a person under the age of majority)."""

    processed: bool
    # The age below which the policy says it does not process PD ("children under
    # 13"); None: the policy gives no age.
    age_threshold: int | None = None
    representative_consent: bool | None = None  # None: the policy does not say
    source: str | None = None


@dataclass(frozen=True)
class RegimeOverride:
    """The operator promises a stricter deadline than the law (never looser)."""

    deadline: str
    term: Period
    citation: str
    cite: Text | None = None  # the citation as a customer reads it (ru/kk/en)
    source: str | None = None


@dataclass(frozen=True)
class Waiver:
    """A lint finding the DPO knowingly keeps, citing the policy clause."""

    code: str
    path: str
    clause: str
    reason: str


# Sections whose absence means "the policy does not state", as opposed to
# "stated as none" ({none: true, source: ...}) or a list of items.
LIST_SECTIONS: tuple[str, ...] = (
    "recipients", "cookies", "request_channels", "commitments", "security_measures",
    "complaint_routes", "other_law", "processor_roles", "account_deletion",
    "category_restrictions", "operator.copies_abroad", "consent.channels",
    "consent.separate_scopes",
)


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
    minors: Minors | None  # None: the policy says nothing about minors
    regime_overrides: tuple[RegimeOverride, ...]
    waivers: tuple[Waiver, ...]
    cookie_max_lifetime: Period
    # Paths (dotted, as in the YAML) of the objects above, for lint messages.
    declared_custom_categories: frozenset[str] = field(default_factory=frozenset)
    disclosures: Disclosures = field(default_factory=Disclosures)
    # What the policy says of each list section (LIST_SECTIONS) that has no items.
    statements: Mapping[str, SectionStatement] = field(default_factory=dict)
    assumptions: tuple[Assumption, ...] = ()
    # Where the cookie limit comes from: the operator's policy clause, or None for
    # derbes' configurable default.
    cookie_max_lifetime_source: str | None = None
    schema_version_read: int = SCHEMA_VERSION  # 1: upgraded while reading

    @property
    def used_categories(self) -> frozenset[str]:
        used: set[str] = set()
        for purpose in self.purposes.values():
            used.update(purpose.categories)
        return frozenset(used)

    def statement(self, section: str) -> SectionStatement:
        """Stated (it has items), stated as none, or not stated."""
        found = self.statements.get(section)
        if found is not None:
            return found
        return STATED if self._has_items(section) else NOT_STATED

    def _has_items(self, section: str) -> bool:
        items: dict[str, object] = {
            "recipients": self.recipients, "cookies": self.cookies,
            "request_channels": self.request_channels,
            "operator.copies_abroad": self.operator.copies_abroad,
            "consent.channels": self.consent.channels,
            "consent.separate_scopes": self.consent.separate_scopes,
        }
        value = items[section] if section in items else getattr(self.disclosures, section, ())
        return bool(value)

    def assumed(self, path: str) -> Assumption | None:
        """The assumption covering ``path`` (or one of its ancestors), if any."""
        return next((a for a in self.assumptions if path_covers(a.path, path)), None)

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

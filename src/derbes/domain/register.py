"""The processing register: an operator's description of its processing of PD.

One register per operator (a YAML file under ``registers/``). It is the single
source that consent, decisions, subject requests, retention and the published
notice run on. This module holds the model and its semantic checks; the
structural checks (types, required keys) are the JSON Schema's, applied by the
loader in ``adapters/register_yaml.py`` before :func:`build` is called.

The model follows Law 94-V: purposes with the exhaustive list of PD they need
(Art. 7: "necessary and sufficient"), a legal basis (Art. 7, 8, 9), a retention
rule with its citation (Art. 7 p.2? see LAW.md), recipients with cross-border
flags (Art. 16), localisation of the primary database (Art. 12 p.2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from derbes.errors import PeriodError, Problem, RegisterError
from derbes.domain.periods import Period


class Lang(StrEnum):
    RU = "ru"
    KK = "kk"
    EN = "en"


LANGS: tuple[Lang, ...] = (Lang.RU, Lang.KK, Lang.EN)


@dataclass(frozen=True)
class Text:
    """A user-facing text in the three languages of derbes."""

    ru: str
    kk: str
    en: str

    def get(self, lang: Lang | str) -> str:
        return str(getattr(self, Lang(lang).value))


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
    CARD_TOKEN = "card_token"
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
    bin: str
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


# ------------------------------------------------------------- the builder


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str, code: str | None = None) -> None:
        self.problems.append(Problem(message=message, path=path, code=code))


def _text(raw: Mapping[str, Any] | None) -> Text | None:
    if raw is None:
        return None
    return Text(ru=str(raw["ru"]), kk=str(raw["kk"]), en=str(raw["en"]))


def _req_text(raw: Mapping[str, Any]) -> Text:
    text = _text(raw)
    assert text is not None
    return text


def _period(raw: Any, path: str, problems: _Collector) -> Period | None:
    try:
        return Period.parse(str(raw))
    except PeriodError as exc:
        problems.add(path, exc.message)
        return None


def _date(raw: Any, path: str, problems: _Collector) -> date | None:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        problems.add(path, f"not a date (YYYY-MM-DD): {raw!r}")
        return None


def _index_unique(
    items: Sequence[Mapping[str, Any]], path: str, problems: _Collector, key: str = "id"
) -> None:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        ident = str(item[key])
        if ident in seen:
            problems.add(f"{path}[{i}].{key}", f"duplicate {key} {ident!r} (first at {path}[{seen[ident]}])")
        else:
            seen[ident] = i


def _basis(raw: Mapping[str, Any]) -> LegalBasis:
    return LegalBasis(
        kind=BasisKind(raw["kind"]), citation=raw.get("citation"), note=_text(raw.get("note"))
    )


def build(
    raw: Mapping[str, Any],
    base_categories: Iterable[DataCategory],
    base_subjects: Iterable[SubjectCategory],
    *,
    check_bin: Any = None,
) -> Register:
    """Build a :class:`Register` from structurally valid data; raise on semantic errors.

    ``check_bin`` is a callable raising ``IdentifierError`` for an invalid BIN
    (the identifiers module), injected so this module stays small.
    """
    problems = _Collector()

    op = raw["operator"]
    if check_bin is not None:
        try:
            check_bin(str(op["bin"]))
        except Exception as exc:  # noqa: BLE001 - any identifier failure is a register problem
            problems.add("operator.bin", f"invalid BIN: {getattr(exc, 'message', exc)}")
    licence_raw = op.get("licence")
    licence = None
    if licence_raw:
        issued_on = (
            _date(licence_raw["issued_on"], "operator.licence.issued_on", problems)
            if licence_raw.get("issued_on")
            else None
        )
        licence = Licence(licence_raw["number"], _req_text(licence_raw["issued_by"]), issued_on)
    contacts_raw = op.get("contacts", {})
    rp = op.get("responsible_person")
    operator = Operator(
        id=op["id"],
        names=_req_text(op["names"]),
        bin=str(op["bin"]),
        kind=OperatorKind(op["kind"]),
        legal_address=_req_text(op["legal_address"]),
        contacts=Contacts(
            email=contacts_raw.get("email"),
            phone=contacts_raw.get("phone"),
            postal_address=_text(contacts_raw.get("postal_address")),
            website=contacts_raw.get("website"),
        ),
        primary_database_country=str(op["primary_database_country"]).upper(),
        sites=tuple(op.get("sites", ())),
        apps=tuple(op.get("apps", ())),
        licence=licence,
        responsible_person=(
            ResponsiblePerson(
                role=_req_text(rp["role"]), name=rp.get("name"), email=rp.get("email"),
                phone=rp.get("phone"),
            )
            if rp
            else None
        ),
        copies_abroad=tuple(str(c).upper() for c in op.get("copies_abroad", ())),
    )

    pol = raw["policy"]
    change_raw = pol.get("change")
    policy = Policy(
        version=str(pol["version"]),
        date=_date(pol["date"], "policy.date", problems) or date.min,
        languages=tuple(Lang(x) for x in pol.get("languages", ("ru",))),
        source=pol.get("source"),
        change=(
            PolicyChange(
                method=_req_text(change_raw["method"]),
                silence_means_consent=bool(change_raw.get("silence_means_consent", False)),
                clause=change_raw.get("clause"),
            )
            if change_raw
            else None
        ),
    )

    # Categories: the shipped taxonomy, then the operator's own (which may not
    # redefine a base id).
    categories: dict[str, DataCategory] = {c.id: c for c in base_categories}
    custom_raw = raw.get("data_categories", [])
    _index_unique(custom_raw, "data_categories", problems)
    custom_ids: set[str] = set()
    for i, c in enumerate(custom_raw):
        if c["id"] in categories and categories[c["id"]].base:
            problems.add(
                f"data_categories[{i}].id",
                f"category {c['id']!r} is in the base taxonomy already; choose another id",
            )
            continue
        categories[c["id"]] = DataCategory(
            id=c["id"],
            labels=_req_text(c["labels"]),
            sensitivity=Sensitivity(c["sensitivity"]),
            value_type=ValueType(c.get("value_type", "text")),
            description=_text(c.get("description")),
        )
        custom_ids.add(c["id"])

    subjects: dict[str, SubjectCategory] = {s.id: s for s in base_subjects}
    subj_raw = raw.get("subject_categories", [])
    _index_unique(subj_raw, "subject_categories", problems)
    for i, s in enumerate(subj_raw):
        if s["id"] in subjects:
            problems.add(f"subject_categories[{i}].id", f"subject category {s['id']!r} exists already")
            continue
        subjects[s["id"]] = SubjectCategory(id=s["id"], labels=_req_text(s["labels"]))

    tasks_raw = raw.get("tasks", [])
    _index_unique(tasks_raw, "tasks", problems)
    tasks = {t["id"]: Task(id=t["id"], labels=_req_text(t["labels"])) for t in tasks_raw}

    recipients_raw = raw.get("recipients", [])
    _index_unique(recipients_raw, "recipients", problems)
    recipients: dict[str, Recipient] = {}
    for i, r in enumerate(recipients_raw):
        path = f"recipients[{i}]"
        for j, cat in enumerate(r.get("categories", ())):
            if cat not in categories:
                problems.add(f"{path}.categories[{j}]", f"unknown data category {cat!r}",
                             code=CATEGORY_NOT_DECLARED)
        cbb = r.get("cross_border_basis")
        recipients[r["id"]] = Recipient(
            id=r["id"],
            names=_req_text(r["names"]),
            role=RecipientRole(r["role"]),
            country=str(r["country"]).upper(),
            actions=tuple(RecipientAction(a) for a in r.get("actions", ("use",))),
            basis=_basis(r["basis"]),
            categories=tuple(r.get("categories", ())),
            cross_border_basis=(
                CrossBorderBasis(CrossBorderBasisKind(cbb["kind"]), cbb.get("citation"))
                if cbb
                else None
            ),
            description=_text(r.get("description")),
            clause=r.get("clause"),
        )

    purposes_raw = raw.get("purposes", [])
    _index_unique(purposes_raw, "purposes", problems)
    purposes: dict[str, Purpose] = {}
    for i, p in enumerate(purposes_raw):
        path = f"purposes[{i}]"
        if p["task"] not in tasks:
            problems.add(f"{path}.task", f"unknown task {p['task']!r}")
        for j, cat in enumerate(p["categories"]):
            if cat not in categories:
                problems.add(f"{path}.categories[{j}]", f"unknown data category {cat!r}",
                             code=CATEGORY_NOT_DECLARED)
        for j, subj in enumerate(p.get("subjects", ())):
            if subj not in subjects:
                problems.add(f"{path}.subjects[{j}]", f"unknown subject category {subj!r}")
        for j, rec in enumerate(p.get("recipients", ())):
            if rec not in recipients:
                problems.add(f"{path}.recipients[{j}]", f"unknown recipient {rec!r}")
        retention = None
        ret_raw = p.get("retention")
        if ret_raw is not None:
            period = _period(ret_raw["period"], f"{path}.retention.period", problems)
            if period is not None:
                retention = Retention(
                    trigger=RetentionTrigger(ret_raw["trigger"]),
                    period=period,
                    citation=str(ret_raw.get("citation", "")),
                    then=AfterRetention(ret_raw.get("then", "destroy")),
                    note=_text(ret_raw.get("note")),
                )
        basis = _basis(p["basis"])
        purposes[p["id"]] = Purpose(
            id=p["id"],
            task=p["task"],
            labels=_req_text(p["labels"]),
            categories=tuple(p["categories"]),
            subjects=tuple(p.get("subjects", ())),
            basis=basis,
            consent_required=bool(p.get("consent_required", basis.kind is BasisKind.CONSENT)),
            retention=retention,
            recipients=tuple(p.get("recipients", ())),
            automated_decision=bool(p.get("automated_decision", False)),
            exhaustive=bool(p.get("exhaustive", True)),
            description=_text(p.get("description")),
            clause=p.get("clause"),
            sources=tuple(p.get("sources", ("subject",))),
            methods=tuple(p.get("methods", ("automated",))),
            consent_bundled_with=tuple(p.get("consent_bundled_with", ())),
        )

    cookies: list[Cookie] = []
    cookies_raw = raw.get("cookies", [])
    _index_unique(cookies_raw, "cookies", problems, key="name")
    for i, c in enumerate(cookies_raw):
        lifetime = _period(c["lifetime"], f"cookies[{i}].lifetime", problems)
        if lifetime is None:
            continue
        cookies.append(
            Cookie(
                name=c["name"],
                category=CookieCategory(c["category"]),
                party=CookieParty(c["party"]),
                lifetime=lifetime,
                purpose=_req_text(c["purpose"]),
                provider=c.get("provider"),
            )
        )

    channels = tuple(
        RequestChannel(ChannelKind(c["kind"]), str(c["address"]), _text(c.get("note")))
        for c in raw.get("request_channels", [])
    )

    consent_raw = raw.get("consent", {})
    consent = ConsentSetup(
        channels=tuple(ConsentChannel(c) for c in consent_raw.get("channels", ())),
        separate_scopes=tuple(SeparateScope(s) for s in consent_raw.get("separate_scopes", ())),
        withdrawal=_text(consent_raw.get("withdrawal")),
        withdrawal_clause=consent_raw.get("withdrawal_clause"),
    )

    minors_raw = raw.get("minors", {"processed": False})
    minors = Minors(
        processed=bool(minors_raw["processed"]),
        representative_consent=bool(minors_raw.get("representative_consent", True)),
        clause=minors_raw.get("clause"),
    )

    overrides: list[RegimeOverride] = []
    for i, o in enumerate(raw.get("regime_overrides", [])):
        term = _period(o["term"], f"regime_overrides[{i}].term", problems)
        if term is not None:
            overrides.append(RegimeOverride(o["deadline"], term, str(o["citation"])))

    waivers = tuple(
        Waiver(code=w["code"], path=w["path"], clause=w["clause"], reason=w["reason"])
        for w in raw.get("waivers", [])
    )

    limits = raw.get("limits", {})
    cookie_max = _period(limits.get("cookie_max_lifetime", "1 year"), "limits.cookie_max_lifetime", problems)

    for i, p in enumerate(purposes_raw):
        for j, other in enumerate(p.get("consent_bundled_with", ())):
            if other not in purposes:
                problems.add(f"purposes[{i}].consent_bundled_with[{j}]", f"unknown purpose {other!r}")

    if problems.problems:
        raise RegisterError(problems.problems)

    return Register(
        operator=operator,
        policy=policy,
        categories=categories,
        subject_categories=subjects,
        tasks=tasks,
        purposes=purposes,
        recipients=recipients,
        cookies=tuple(cookies),
        request_channels=channels,
        consent=consent,
        minors=minors,
        regime_overrides=tuple(overrides),
        waivers=waivers,
        cookie_max_lifetime=cookie_max or Period.parse("1 year"),
        declared_custom_categories=frozenset(custom_ids),
    )

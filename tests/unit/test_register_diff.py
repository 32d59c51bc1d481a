"""``register/model/diff``: every change kind, built by editing minimal.yaml in memory."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from derbes.consent.model.consent import Consent, ConsentChannel, GivenBy, Scope, ScopeKind
from derbes.consent.model.reconsent import touches
from derbes.register.adapters.yaml import parse_register
from derbes.register.model.diff import (
    INVERSE,
    Change,
    ChangeKind,
    Effect,
    ReconsentScope,
    RegisterDiff,
    Side,
    diff,
    every_scope,
)
from derbes.register.model.register import Register

FIXTURES = Path(__file__).parents[1] / "fixtures" / "registers"
MINIMAL: dict[str, Any] = yaml.safe_load((FIXTURES / "minimal.yaml").read_text("utf-8"))

Data = dict[str, Any]
Edit = Callable[[Data], None]

P = ScopeKind.PROCESSING
T = ScopeKind.THIRD_PARTY_TRANSFER
X = ScopeKind.CROSS_BORDER_TRANSFER
C = ScopeKind.COOKIES

W, N, Z = Effect.WIDENS, Effect.NARROWS, Effect.NEUTRAL

LABELS = {"ru": "Текст", "kk": "Мәтін", "en": "Text"}


def build(*edits: Edit) -> Register:
    data = copy.deepcopy(MINIMAL)
    for edit in edits:
        edit(data)
    return parse_register(yaml.safe_dump(data, allow_unicode=True, sort_keys=False)).register


def purpose(data: Data, pid: str) -> Data:
    found: Data = next(p for p in data["purposes"] if p["id"] == pid)
    return found


def recipient(data: Data, rid: str) -> Data:
    found: Data = next(r for r in data["recipients"] if r["id"] == rid)
    return found


def setp(pid: str, key: str, value: Any) -> Edit:
    def edit(data: Data) -> None:
        purpose(data, pid)[key] = value

    return edit


def setr(rid: str, key: str, value: Any) -> Edit:
    def edit(data: Data) -> None:
        recipient(data, rid)[key] = value

    return edit


def setx(path: str, value: Any) -> Edit:
    """Set a dotted path (``operator.contacts.email``)."""

    def edit(data: Data) -> None:
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value

    return edit


def append(where: Callable[[Data], list[Any]], value: Any) -> Edit:
    def edit(data: Data) -> None:
        where(data).append(copy.deepcopy(value))

    return edit


def remove_purpose(pid: str) -> Edit:
    def edit(data: Data) -> None:
        data["purposes"] = [p for p in data["purposes"] if p["id"] != pid]

    return edit


def remove_recipient(rid: str) -> Edit:
    def edit(data: Data) -> None:
        data["recipients"] = [r for r in data["recipients"] if r["id"] != rid]
        for p in data["purposes"]:
            if rid in p.get("recipients", []):
                p["recipients"] = [x for x in p["recipients"] if x != rid]

    return edit


def retention(pid: str, **values: Any) -> Edit:
    def edit(data: Data) -> None:
        purpose(data, pid)["retention"].update(values)

    return edit


def cookie(name: str, **values: Any) -> Edit:
    def edit(data: Data) -> None:
        next(c for c in data["cookies"] if c["name"] == name).update(values)

    return edit


LOYALTY = {
    "id": "loyalty", "task": "marketing", "labels": LABELS,
    "categories": ["contact.phone"], "subjects": ["client"],
    "basis": {"kind": "consent"}, "consent_required": True,
    "retention": {"trigger": "consent_withdrawn", "period": "30 working days",
                  "citation": "Law 94-V Art. 8 p.2"},
}
REPORTING = {
    "id": "tax_reporting", "task": "payments", "labels": LABELS,
    "categories": ["identity.iin"], "subjects": ["client"],
    "basis": {"kind": "legal_obligation", "citation": "Tax Code Art. 1"},
    "consent_required": False,
    "retention": {"trigger": "transaction", "period": "5 years", "citation": "Tax Code Art. 48"},
}
PARTNER_BANK = {
    "id": "partner_bank", "names": LABELS, "role": "bank", "country": "KZ",
    "actions": ["use"], "basis": {"kind": "contract", "citation": "Partnership agreement"},
    "categories": ["contact.email"],
}
MAILER_ABROAD = {
    "id": "mailer", "names": LABELS, "role": "processor", "country": "IE",
    "actions": ["store", "use"], "basis": {"kind": "contract", "citation": "DPA"},
    "categories": ["contact.email"], "cross_border_basis": {"kind": "consent"},
}
GA = {"name": "_ga", "category": "analytics", "party": "third", "lifetime": "180 days",
      "purpose": LABELS, "provider": "Google"}
CSRF = {"name": "csrf", "category": "strictly_necessary", "party": "first", "lifetime": "1 days",
        "purpose": LABELS}
CUSTOM_CATEGORY = {"id": "loyalty.points", "sensitivity": "ordinary", "value_type": "number",
                   "labels": LABELS}


def purposes_list(data: Data) -> list[Any]:
    result: list[Any] = data["purposes"]
    return result


def recipients_list(data: Data) -> list[Any]:
    result: list[Any] = data["recipients"]
    return result


def cookies_list(data: Data) -> list[Any]:
    result: list[Any] = data["cookies"]
    return result


def categories_of(pid: str) -> Callable[[Data], list[Any]]:
    def where(data: Data) -> list[Any]:
        result: list[Any] = purpose(data, pid)["categories"]
        return result

    return where


def recipients_of(pid: str) -> Callable[[Data], list[Any]]:
    def where(data: Data) -> list[Any]:
        result: list[Any] = purpose(data, pid).setdefault("recipients", [])
        return result

    return where


def rcats(rid: str) -> Callable[[Data], list[Any]]:
    def where(data: Data) -> list[Any]:
        result: list[Any] = recipient(data, rid).setdefault("categories", [])
        return result

    return where


def data_categories(data: Data) -> list[Any]:
    result: list[Any] = data.setdefault("data_categories", [])
    return result


def third_party_card_processor(data: Data) -> None:
    """card_processor as an independent third party (transfers need consent)."""
    recipient(data, "card_processor")["role"] = "payment_system"


@dataclass(frozen=True)
class Case:
    name: str
    new: tuple[Edit, ...]
    kind: ChangeKind
    effect: Effect
    path: str
    side: Side = Side.NEW
    purposes: tuple[str, ...] = ()
    reconsent: tuple[ReconsentScope, ...] = ()
    old: tuple[Edit, ...] = ()
    also: frozenset[ChangeKind] = field(default_factory=frozenset)  # other kinds expected


def proc(pid: str) -> ReconsentScope:
    return ReconsentScope(P, purpose=pid)


CASES = [
    # ------------------------------------------------------------ purposes
    Case("new consent purpose", (append(purposes_list, LOYALTY),),
         ChangeKind.PURPOSE_ADDED, W, "purposes[3]", purposes=("loyalty",),
         reconsent=(proc("loyalty"),)),
    Case("new legal purpose: widens, nothing to ask", (append(purposes_list, REPORTING),),
         ChangeKind.PURPOSE_ADDED, W, "purposes[3]", purposes=("tax_reporting",)),
    Case("purpose removed", (remove_purpose("newsletters"),),
         ChangeKind.PURPOSE_REMOVED, N, "purposes[2]", Side.OLD, ("newsletters",)),
    Case("category added to a consent purpose",
         (append(categories_of("payment_service"), "device.ip_address"),),
         ChangeKind.CATEGORY_ADDED_TO_PURPOSE, W, "purposes[0].categories[4]",
         purposes=("payment_service",), reconsent=(proc("payment_service"),)),
    Case("category added to a legal purpose",
         (append(categories_of("aml_identification"), "identity.birth_date"),),
         ChangeKind.CATEGORY_ADDED_TO_PURPOSE, W, "purposes[1].categories[3]",
         purposes=("aml_identification",)),
    Case("category removed from a purpose",
         (setp("payment_service", "categories",
               ["identity.full_name", "financial.transactions", "financial.card_token"]),),
         ChangeKind.CATEGORY_REMOVED_FROM_PURPOSE, N, "purposes[0].categories[1]", Side.OLD,
         ("payment_service",)),
    Case("subjects added", (setp("newsletters", "subjects", ["client", "visitor"]),),
         ChangeKind.SUBJECTS_ADDED_TO_PURPOSE, W, "purposes[2].subjects[1]",
         purposes=("newsletters",)),
    Case("subjects removed", (setp("payment_service", "subjects", ["client"]),),
         ChangeKind.SUBJECTS_REMOVED_FROM_PURPOSE, N, "purposes[0].subjects[1]", Side.OLD,
         ("payment_service",)),
    Case("third party added to a consent purpose",
         (append(recipients_list, PARTNER_BANK),
          append(recipients_of("newsletters"), "partner_bank")),
         ChangeKind.RECIPIENT_ADDED_TO_PURPOSE, W, "purposes[2].recipients[0]",
         purposes=("newsletters",),
         reconsent=(ReconsentScope(T, "newsletters", "partner_bank"),),
         also=frozenset({ChangeKind.RECIPIENT_ADDED})),
    Case("processor abroad added to a consent purpose",
         (append(recipients_list, MAILER_ABROAD),
          append(recipients_of("newsletters"), "mailer")),
         ChangeKind.RECIPIENT_ADDED_TO_PURPOSE, W, "purposes[2].recipients[0]",
         purposes=("newsletters",),
         reconsent=(ReconsentScope(X, "newsletters", "mailer"),),
         also=frozenset({ChangeKind.RECIPIENT_ADDED})),
    Case("processor in KZ added to a consent purpose: no transfer consent",
         (append(recipients_of("newsletters"), "card_processor"),
          append(rcats("card_processor"), "contact.email")),
         ChangeKind.RECIPIENT_ADDED_TO_PURPOSE, W, "purposes[2].recipients[0]",
         purposes=("newsletters",),
         also=frozenset({ChangeKind.CATEGORY_ADDED_TO_RECIPIENT})),
    Case("recipient removed from a purpose",
         (setp("payment_service", "recipients", []),),
         ChangeKind.RECIPIENT_REMOVED_FROM_PURPOSE, N, "purposes[0].recipients[0]", Side.OLD,
         ("payment_service",)),
    Case("source added", (setp("payment_service", "sources", ["subject", "credit_bureau"]),),
         ChangeKind.SOURCE_ADDED_TO_PURPOSE, W, "purposes[0].data_sources[1]",
         purposes=("payment_service",), reconsent=(proc("payment_service"),)),
    Case("source removed", (setp("payment_service", "sources", ["subject"]),),
         ChangeKind.SOURCE_REMOVED_FROM_PURPOSE, N, "purposes[0].data_sources[1]", Side.OLD,
         ("payment_service",),
         old=(setp("payment_service", "sources", ["subject", "partners"]),)),
    Case("methods changed", (setp("payment_service", "methods", ["mixed"]),),
         ChangeKind.METHODS_CHANGED, Z, "purposes[0].methods", purposes=("payment_service",)),
    Case("basis consent -> contract", (setp("newsletters", "basis",
                                            {"kind": "contract", "citation": "Offer"}),),
         ChangeKind.BASIS_CHANGED, W, "purposes[2].basis.kind", purposes=("newsletters",)),
    Case("basis contract -> consent",
         (setp("payment_service", "basis", {"kind": "consent"}),),
         ChangeKind.BASIS_CHANGED, N, "purposes[0].basis.kind", purposes=("payment_service",)),
    Case("basis legal -> state request",
         (setp("aml_identification", "basis",
               {"kind": "state_request", "citation": "AML Law Art. 5"}),),
         ChangeKind.BASIS_CHANGED, Z, "purposes[1].basis.kind",
         purposes=("aml_identification",), also=frozenset({ChangeKind.TEXT_CHANGED})),
    Case("consent no longer required", (setp("payment_service", "consent_required", False),),
         ChangeKind.CONSENT_REQUIREMENT_CHANGED, W, "purposes[0].consent_required",
         purposes=("payment_service",)),
    Case("consent now required", (setp("aml_identification", "consent_required", True),),
         ChangeKind.CONSENT_REQUIREMENT_CHANGED, N, "purposes[1].consent_required",
         purposes=("aml_identification",)),
    Case("retention lengthened", (retention("newsletters", period="60 working days"),),
         ChangeKind.RETENTION_LENGTHENED, W, "purposes[2].retention.period",
         purposes=("newsletters",), reconsent=(proc("newsletters"),)),
    Case("retention removed: unlimited", (setp("newsletters", "retention", None),),
         ChangeKind.RETENTION_LENGTHENED, W, "purposes[2].retention",
         purposes=("newsletters",), reconsent=(proc("newsletters"),)),
    Case("retention shortened", (retention("payment_service", period="3 years"),),
         ChangeKind.RETENTION_SHORTENED, N, "purposes[0].retention.period",
         purposes=("payment_service",)),
    Case("retention trigger changed", (retention("newsletters", trigger="last_activity"),),
         ChangeKind.RETENTION_TRIGGER_CHANGED, W, "purposes[2].retention.trigger",
         purposes=("newsletters",), reconsent=(proc("newsletters"),)),
    Case("retention outcome changed", (retention("payment_service", then="anonymise"),),
         ChangeKind.RETENTION_OUTCOME_CHANGED, Z, "purposes[0].retention.then",
         purposes=("payment_service",)),
    Case("automated decisions introduced",
         (setp("payment_service", "automated_decision", True),),
         ChangeKind.AUTOMATED_DECISION_INTRODUCED, W, "purposes[0].automated_decision",
         purposes=("payment_service",), reconsent=(proc("payment_service"),)),
    Case("automated decisions dropped",
         (setp("payment_service", "automated_decision", False),),
         ChangeKind.AUTOMATED_DECISION_DROPPED, N, "purposes[0].automated_decision",
         purposes=("payment_service",),
         old=(setp("payment_service", "automated_decision", True),)),
    Case("list of PD opened", (setp("newsletters", "exhaustive", False),),
         ChangeKind.DATA_LIST_OPENED, W, "purposes[2].exhaustive", purposes=("newsletters",),
         reconsent=(proc("newsletters"),)),
    Case("list of PD closed", (setp("newsletters", "exhaustive", True),),
         ChangeKind.DATA_LIST_CLOSED, N, "purposes[2].exhaustive", purposes=("newsletters",),
         old=(setp("newsletters", "exhaustive", False),)),
    Case("task changed", (setp("newsletters", "task", "payments"),),
         ChangeKind.PURPOSE_TASK_CHANGED, Z, "purposes[2].task", purposes=("newsletters",)),
    Case("bundling changed", (setp("newsletters", "consent_bundled_with", ["payment_service"]),),
         ChangeKind.CONSENT_BUNDLING_CHANGED, Z, "purposes[2].consent_bundled_with",
         purposes=("newsletters",)),
    Case("purpose wording", (setp("newsletters", "labels", LABELS),),
         ChangeKind.TEXT_CHANGED, Z, "purposes[2].labels", purposes=("newsletters",)),
    # ------------------------------------------------------------ recipients
    Case("new recipient named by a consent purpose",
         (append(recipients_list, PARTNER_BANK),
          append(recipients_of("newsletters"), "partner_bank")),
         ChangeKind.RECIPIENT_ADDED, W, "recipients[2]", purposes=("newsletters",),
         reconsent=(ReconsentScope(T, "newsletters", "partner_bank"),),
         also=frozenset({ChangeKind.RECIPIENT_ADDED_TO_PURPOSE})),
    Case("new recipient named by nobody", (append(recipients_list, PARTNER_BANK),),
         ChangeKind.RECIPIENT_ADDED, Z, "recipients[2]"),
    Case("recipient removed", (remove_recipient("card_processor"),),
         ChangeKind.RECIPIENT_REMOVED, N, "recipients[0]", Side.OLD, ("payment_service",),
         also=frozenset({ChangeKind.RECIPIENT_REMOVED_FROM_PURPOSE})),
    Case("recipient moves abroad, consent basis",
         (setr("card_processor", "country", "DE"),
          setr("card_processor", "cross_border_basis", {"kind": "consent"})),
         ChangeKind.RECIPIENT_BECAME_CROSS_BORDER, W, "recipients[0].country",
         purposes=("payment_service",),
         reconsent=(ReconsentScope(X, "payment_service", "card_processor"),)),
    Case("recipient moves to an adequate state: widens, no consent asked",
         (setr("card_processor", "country", "DE"),
          setr("card_processor", "cross_border_basis",
               {"kind": "adequate_protection", "citation": "Order No. 1"})),
         ChangeKind.RECIPIENT_BECAME_CROSS_BORDER, W, "recipients[0].country",
         purposes=("payment_service",)),
    Case("recipient comes home",
         (setr("card_processor", "country", "KZ"),),
         ChangeKind.RECIPIENT_NO_LONGER_CROSS_BORDER, N, "recipients[0].country",
         purposes=("payment_service",),
         old=(setr("card_processor", "country", "DE"),
              setr("card_processor", "cross_border_basis", {"kind": "consent"}))),
    Case("recipient moves to another state abroad",
         (setr("card_processor", "country", "US"),),
         ChangeKind.RECIPIENT_COUNTRY_CHANGED, W, "recipients[0].country",
         purposes=("payment_service",),
         reconsent=(ReconsentScope(X, "payment_service", "card_processor"),),
         old=(setr("card_processor", "country", "DE"),
              setr("card_processor", "cross_border_basis", {"kind": "consent"}))),
    Case("category added to a third-party recipient",
         (append(rcats("card_processor"), "identity.full_name"),),
         ChangeKind.CATEGORY_ADDED_TO_RECIPIENT, W, "recipients[0].categories[2]",
         purposes=("payment_service",),
         reconsent=(ReconsentScope(T, "payment_service", "card_processor"),),
         old=(third_party_card_processor,)),
    Case("category removed from a recipient",
         (setr("afm", "categories", ["identity.full_name"]),),
         ChangeKind.CATEGORY_REMOVED_FROM_RECIPIENT, N, "recipients[1].categories[1]",
         Side.OLD, ("aml_identification",)),
    Case("processor becomes a third party", (third_party_card_processor,),
         ChangeKind.RECIPIENT_ROLE_CHANGED, W, "recipients[0].role",
         purposes=("payment_service",),
         reconsent=(ReconsentScope(T, "payment_service", "card_processor"),)),
    Case("third party becomes a processor", (setr("card_processor", "role", "processor"),),
         ChangeKind.RECIPIENT_ROLE_CHANGED, N, "recipients[0].role",
         purposes=("payment_service",), old=(third_party_card_processor,)),
    Case("recipient may do more", (setr("card_processor", "actions", ["store", "use",
                                                                      "transfer"]),),
         ChangeKind.RECIPIENT_ACTIONS_ADDED, W, "recipients[0].actions",
         purposes=("payment_service",)),
    Case("recipient may do less", (setr("card_processor", "actions", ["store"]),),
         ChangeKind.RECIPIENT_ACTIONS_REMOVED, N, "recipients[0].actions",
         purposes=("payment_service",)),
    Case("recipient basis from consent to law",
         (setr("card_processor", "basis", {"kind": "legal_obligation", "citation": "Law"}),),
         ChangeKind.RECIPIENT_BASIS_CHANGED, W, "recipients[0].basis.kind",
         purposes=("payment_service",),
         old=(setr("card_processor", "basis", {"kind": "consent"}),)),
    Case("cross-border basis no longer consent",
         (setr("card_processor", "cross_border_basis",
               {"kind": "international_treaty", "citation": "Treaty"}),),
         ChangeKind.CROSS_BORDER_BASIS_CHANGED, W, "recipients[0].cross_border_basis",
         purposes=("payment_service",),
         old=(setr("card_processor", "country", "DE"),
              setr("card_processor", "cross_border_basis", {"kind": "consent"}))),
    # ------------------------------------------------------------ cookies
    Case("analytics cookie added", (append(cookies_list, GA),),
         ChangeKind.COOKIE_ADDED, W, "cookies[1]",
         reconsent=(ReconsentScope(C, cookie_category="analytics"),)),
    Case("strictly necessary cookie added", (append(cookies_list, CSRF),),
         ChangeKind.COOKIE_ADDED, W, "cookies[1]"),
    Case("cookie removed", (setx("cookies", []),),
         ChangeKind.COOKIE_REMOVED, N, "cookies[0]", Side.OLD),
    Case("cookie stays longer", (cookie("_ga", lifetime="365 days"),),
         ChangeKind.COOKIE_LIFETIME_LENGTHENED, W, "cookies[1].lifetime",
         reconsent=(ReconsentScope(C, cookie_category="analytics"),),
         old=(append(cookies_list, GA),)),
    Case("cookie stays shorter", (cookie("_ga", lifetime="30 days"),),
         ChangeKind.COOKIE_LIFETIME_SHORTENED, N, "cookies[1].lifetime",
         old=(append(cookies_list, GA),)),
    Case("cookie becomes marketing", (cookie("_ga", category="marketing"),),
         ChangeKind.COOKIE_CATEGORY_CHANGED, W, "cookies[1].category",
         reconsent=(ReconsentScope(C, cookie_category="marketing"),),
         old=(append(cookies_list, GA),)),
    Case("cookie read by a third party", (cookie("_ga", party="third"),),
         ChangeKind.COOKIE_PARTY_CHANGED, W, "cookies[1].party",
         reconsent=(ReconsentScope(C, cookie_category="analytics"),),
         old=(append(cookies_list, {**GA, "party": "first"}),)),
    Case("cookie provider changed", (cookie("_ga", provider="Yandex"),),
         ChangeKind.COOKIE_PROVIDER_CHANGED, W, "cookies[1].provider",
         reconsent=(ReconsentScope(C, cookie_category="analytics"),),
         old=(append(cookies_list, GA),)),
    # ------------------------------------------------------------ operator, policy
    Case("another operator (BIN)", (setx("operator.bin", "060640010247"),),
         ChangeKind.OPERATOR_CHANGED, W, "operator.bin",
         purposes=("payment_service", "newsletters"),
         reconsent=(proc("payment_service"), proc("newsletters"))),
    Case("operator contacts", (setx("operator.contacts.email", "privacy@example.kz"),),
         ChangeKind.OPERATOR_DETAILS_CHANGED, Z, "operator.contacts"),
    Case("database abroad", (setx("operator.primary_database_country", "RU"),),
         ChangeKind.PRIMARY_DATABASE_MOVED, W, "operator.primary_database_country",
         reconsent=(ReconsentScope(X),)),
    Case("copy of the database abroad", (setx("operator.copies_abroad", ["DE"]),),
         ChangeKind.COPIES_ABROAD_ADDED, W, "operator.copies_abroad[0]",
         reconsent=(ReconsentScope(X),)),
    Case("copy abroad removed", (setx("operator.copies_abroad", []),),
         ChangeKind.COPIES_ABROAD_REMOVED, N, "operator.copies_abroad[0]", Side.OLD,
         old=(setx("operator.copies_abroad", ["DE"]),)),
    Case("policy version", (setx("policy.version", "1.1"),),
         ChangeKind.POLICY_CHANGED, Z, "policy.version"),
    Case("silence claimed as consent", (setx("policy.change.silence_means_consent", True),),
         ChangeKind.POLICY_CHANGED, Z, "policy.change.silence_means_consent"),
    # ------------------------------------------------------------ declarations, the rest
    Case("custom category declared", (append(data_categories, CUSTOM_CATEGORY),),
         ChangeKind.DEFINITION_ADDED, Z, "data_categories[0]"),
    Case("custom category dropped", (setx("data_categories", []),),
         ChangeKind.DEFINITION_REMOVED, Z, "data_categories[0]", Side.OLD,
         old=(append(data_categories, CUSTOM_CATEGORY),)),
    Case("custom category redefined",
         (setx("data_categories", [{**CUSTOM_CATEGORY, "sensitivity": "confidential"}]),),
         ChangeKind.DEFINITION_CHANGED, Z, "data_categories[0]",
         old=(append(data_categories, CUSTOM_CATEGORY),)),
    Case("separate scope dropped",
         (setx("consent.separate_scopes", ["third_party_transfer", "cross_border_transfer",
                                           "publication"]),),
         ChangeKind.SEPARATE_SCOPE_REMOVED, W, "consent.separate_scopes[3]", Side.OLD),
    Case("separate scope added",
         (setx("consent.separate_scopes", ["third_party_transfer", "cross_border_transfer",
                                           "publication", "marketing"]),),
         ChangeKind.SEPARATE_SCOPE_ADDED, N, "consent.separate_scopes[3]",
         old=(setx("consent.separate_scopes", ["third_party_transfer",
                                               "cross_border_transfer", "publication"]),)),
    Case("consent channels", (setx("consent.channels", ["web_checkbox", "egov"]),),
         ChangeKind.CONSENT_CHANNELS_CHANGED, Z, "consent.channels"),
    Case("minors processed", (setx("minors.processed", True),),
         ChangeKind.MINORS_CHANGED, W, "minors.processed"),
    Case("request channels",
         (append(lambda d: d["request_channels"], {"kind": "egov", "address": "egov.kz"}),),
         ChangeKind.REQUEST_CHANNELS_CHANGED, Z, "request_channels"),
    Case("regime overrides",
         (setx("regime_overrides", [{"deadline": "pretrial_claim", "term": "20 working days",
                                     "citation": "Policy p.7.2"}]),),
         ChangeKind.REGIME_OVERRIDES_CHANGED, Z, "regime_overrides"),
    Case("waivers", (setx("waivers", [{"code": "DRB021", "path": "operator.bin",
                                       "clause": "1", "reason": "not stated"}]),),
         ChangeKind.WAIVERS_CHANGED, Z, "waivers"),
    Case("cookie limit", (setx("limits", {"cookie_max_lifetime": "6 months"}),),
         ChangeKind.LIMITS_CHANGED, Z, "limits.cookie_max_lifetime"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_change_kind(case: Case) -> None:
    old, new = build(*case.old), build(*case.old, *case.new)
    result = diff(old, new)
    hits = [c for c in result.changes if c.kind is case.kind and c.path == case.path]
    assert len(hits) == 1, [(c.kind.value, c.path) for c in result.changes]
    change = hits[0]
    assert change.effect is case.effect
    assert change.side is case.side
    assert change.purposes == case.purposes
    assert change.reconsent == case.reconsent
    assert change.explanation
    # Precise: nothing else changed but what the case expects.
    others = {c.kind for c in result.changes} - {case.kind}
    assert others <= case.also, others
    # A change that does not widen never asks for consent again.
    assert all(c.reconsent == () for c in result.changes if c.effect is not Effect.WIDENS)


def test_every_kind_is_tested() -> None:
    seen = {c.kind for c in CASES} | {k for c in CASES for k in c.also}
    assert seen == set(ChangeKind), set(ChangeKind) - seen


def test_inverse_pairs_are_symmetric() -> None:
    for kind, inverse in INVERSE.items():
        assert INVERSE[inverse] is kind


# ------------------------------------------------------------ the v2 fixture, summaries


def _loaded(name: str) -> Register:
    return parse_register((FIXTURES / name).read_text("utf-8")).register


def test_minimal_v2_widens_for_named_purposes() -> None:
    result = diff(_loaded("minimal.yaml"), _loaded("minimal-v2.yaml"))
    assert result.widens and not result.narrows
    assert result.reconsent_purposes == ("fraud_scoring", "newsletters", "payment_service")
    assert result.new_purposes == ("fraud_scoring",)
    assert set(result.reconsent_scopes) == {
        proc("payment_service"), proc("fraud_scoring"),
        ReconsentScope(X, "newsletters", "mailing_platform"),
    }
    summary = result.summary()
    assert summary.startswith(
        "widens processing: re-consent required for purposes newsletters, payment_service; "
        "new consent needed for new purposes fraud_scoring"
    )
    assert "aml_identification" not in summary


def test_summaries() -> None:
    base = build()
    assert diff(base, base).summary() == "no changes"
    narrowed = diff(base, build(remove_purpose("newsletters")))
    assert narrowed.summary().startswith("narrows processing only: no re-consent needed")
    neutral = diff(base, build(setx("policy.version", "9")))
    assert neutral.summary().startswith("neutral changes only")
    legal = diff(base, build(append(purposes_list, REPORTING)))
    assert not legal.reconsent_required
    assert legal.summary().startswith("widens processing without re-consent")
    abroad = diff(base, build(setx("operator.copies_abroad", ["DE"])))
    assert abroad.summary().startswith(
        "widens processing: re-consent required for cross-border transfer (the database")


def test_operator_change_asks_every_scope() -> None:
    old = build(append(cookies_list, GA), third_party_card_processor)
    new = build(append(cookies_list, GA), third_party_card_processor,
                setx("operator.bin", "060640010247"))
    change = next(c for c in diff(old, new).changes if c.kind is ChangeKind.OPERATOR_CHANGED)
    assert set(change.reconsent) == set(every_scope(new)) == {
        proc("payment_service"), proc("newsletters"),
        ReconsentScope(T, "payment_service", "card_processor"),
        ReconsentScope(C, cookie_category="analytics"),
    }


def test_bin_first_stated_is_not_another_operator() -> None:
    result = diff(build(setx("operator.bin", None)), build())
    assert [(c.kind, c.effect) for c in result.changes] == [
        (ChangeKind.OPERATOR_DETAILS_CHANGED, Effect.NEUTRAL)
    ]


def test_same_period_written_otherwise_is_neutral() -> None:
    result = diff(build(), build(retention("payment_service", period="60 months")))
    assert [(c.kind, c.effect) for c in result.changes] == [
        (ChangeKind.TEXT_CHANGED, Effect.NEUTRAL)
    ]


def test_consent_purpose_dropping_the_flag_stays_consent_based() -> None:
    result = diff(build(), build(setp("newsletters", "consent_required", False)))
    assert [(c.kind, c.effect) for c in result.changes] == [
        (ChangeKind.CONSENT_REQUIREMENT_CHANGED, Effect.NEUTRAL)
    ]


def test_reverse_reads_backwards() -> None:
    old, new = _loaded("minimal.yaml"), _loaded("minimal-v2.yaml")
    forward, backward = diff(old, new), diff(new, old)
    assert forward.widens and not forward.narrows
    assert backward.narrows and not backward.widens and not backward.reconsent_required


def _kinds(result: RegisterDiff) -> list[tuple[str, str]]:
    return [(c.kind.value, c.effect.value) for c in result.changes]


def test_change_is_hashable_and_stable() -> None:
    old, new = _loaded("minimal.yaml"), _loaded("minimal-v2.yaml")
    assert _kinds(diff(old, new)) == _kinds(diff(old, new))
    assert len({*diff(old, new).changes}) == len(diff(old, new).changes)


# ------------------------------------------------------------ which consents a scope touches

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def consent(kind: ScopeKind, purposes: tuple[str, ...] = (), recipients: tuple[str, ...] = (),
            cookies: tuple[str, ...] = ()) -> Consent:
    return Consent(
        id="c1", act_id="a1", subject_id="s1", operator_id="example-pay",
        scope=Scope(kind, purposes, recipients, cookies), policy_version="1.0",
        policy_hash="0" * 64, channel=ConsentChannel.WEB_CHECKBOX, evidence_refs={},
        given_by=GivenBy.SUBJECT, given_at=NOW,
    )


@pytest.mark.parametrize(("scope", "given", "touched"), [
    (proc("newsletters"), consent(P, ("newsletters", "payment_service")), True),
    (proc("newsletters"), consent(ScopeKind.MARKETING, ("newsletters",)), True),
    (proc("newsletters"), consent(P, ("payment_service",)), False),
    (proc("newsletters"), consent(T, recipients=("partner_bank",)), False),
    (ReconsentScope(T, "newsletters", "partner_bank"), consent(T, recipients=("partner_bank",)),
     True),
    (ReconsentScope(T, "newsletters", "partner_bank"), consent(T, recipients=("*",)), True),
    (ReconsentScope(T, "newsletters", "partner_bank"), consent(T, recipients=("afm",)), False),
    (ReconsentScope(T, "newsletters", "partner_bank"), consent(X, recipients=("partner_bank",)),
     False),
    (ReconsentScope(X, "newsletters", "mailer"), consent(X, recipients=("mailer",)), True),
    (ReconsentScope(X, "newsletters", "mailer"), consent(X, recipients=("other",)), False),
    (ReconsentScope(X), consent(X, recipients=("other",)), True),
    (ReconsentScope(X), consent(T, recipients=("other",)), False),
    (ReconsentScope(C, cookie_category="analytics"), consent(C, cookies=("analytics",)), True),
    (ReconsentScope(C, cookie_category="analytics"), consent(C, cookies=("marketing",)), False),
    (proc("newsletters"), consent(ScopeKind.PUBLICATION), False),
])
def test_touches(scope: ReconsentScope, given: Consent, touched: bool) -> None:
    assert touches(scope, given) is touched


def test_scope_descriptions() -> None:
    texts = [s.describe() for s in (
        proc("p"), ReconsentScope(T, "p", "r"), ReconsentScope(X, "p", "r"),
        ReconsentScope(X), ReconsentScope(C, cookie_category="analytics"))]
    assert texts == [
        "processing for purpose p",
        "third-party transfer to recipient r (purpose p)",
        "cross-border transfer to recipient r (purpose p)",
        "cross-border transfer (the database or a copy of it abroad)",
        "cookie category analytics",
    ]


def test_change_fields_have_defaults() -> None:
    change = Change(ChangeKind.TEXT_CHANGED, Effect.NEUTRAL, "x", Side.NEW, "why")
    assert not change.needs_reconsent

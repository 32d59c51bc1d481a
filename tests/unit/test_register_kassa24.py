"""The register of Kassa24 («Личная касса», seed 000) says what the published policy says.

Pinned here: the biometric identification through the NPC's «Центр обмена
идентификационными данными», card data in tokenised or encrypted form, the consent
forms and separate scopes, processing without consent for state bodies, AML and
court acts, localisation in Kazakhstan, the 30-working-day pre-trial claim, the
withdrawal conditions, and every finding the policy earns kept visible as a waiver.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from datetime import date
from pathlib import Path

import pytest

from derbes.deadlines.adapters.regime_yaml import load_regime
from derbes.deadlines.model.periods import Period
from derbes.register.adapters.yaml import load_register
from derbes.register.model.lint import Finding, lint
from derbes.register.model.loaded import LoadedRegister
from derbes.register.model.register import (
    AfterRetention,
    BasisKind,
    ChannelKind,
    ConsentChannel,
    CrossBorderBasisKind,
    OperatorKind,
    RecipientAction,
    RecipientRole,
    Register,
    RetentionTrigger,
    Sensitivity,
    SeparateScope,
    Text,
    ValueType,
)

REGISTER = Path(__file__).parents[2] / "registers" / "kassa24.yaml"

AML_11_4 = "No. 191-IV of 28 August 2009 on countering the legalisation (laundering) of " \
    "criminal proceeds and the financing of terrorism, Article 11 paragraph 4"
KAZAKH_LETTERS = set("әғқңөұүһі")
STATE_BODIES = {
    "financial_monitoring_body",
    "law_enforcement_bodies",
    "courts_and_enforcement",
    "other_state_bodies",
}


@pytest.fixture(scope="module")
def loaded() -> LoadedRegister:
    return load_register(REGISTER)


@pytest.fixture(scope="module")
def register(loaded: LoadedRegister) -> Register:
    return loaded.register


@pytest.fixture(scope="module")
def findings(register: Register) -> list[Finding]:
    return lint(register, load_regime())


# ------------------------------------------------------------------ operator, policy


def test_operator_identity(register: Register) -> None:
    op = register.operator
    assert op.id == "kassa24"
    assert op.bin == "130940014692"  # p.1.1
    assert op.kind is OperatorKind.PAYMENT_ORGANISATION
    # The e-money system is part of the name (p.1.5).
    assert "электронных денег" in op.names.ru
    assert "электрондық ақша" in op.names.kk
    assert "e-money" in op.names.en
    assert op.contacts.website == "https://www.kassa24.kz"
    assert op.sites == ("https://www.kassa24.kz",)
    # p.1.1: registration No. 02-17-008 of 08.02.2017 in the NBRK register.
    assert op.licence is not None
    assert op.licence.number == "02-17-008"
    assert op.licence.issued_on == date(2017, 2, 8)
    assert "Национальный Банк" in op.licence.issued_by.ru


def test_the_policy_gives_no_contact_details(register: Register) -> None:
    contacts = register.operator.contacts
    assert contacts.email is None
    assert contacts.phone is None
    assert contacts.postal_address is None
    assert register.operator.legal_address is None  # not stated


def test_localisation_in_kazakhstan(register: Register) -> None:
    # p.5.1: databases in Kazakhstan; p.2.11 names no country for the cloud copies.
    assert register.operator.primary_database_country == "KZ"
    assert register.operator.copies_abroad == ()


def test_continued_use_after_a_change_counts_as_consent_and_stays_visible(
    register: Register, findings: list[Finding]
) -> None:
    change = register.policy.change
    assert change is not None
    assert change.silence_means_consent is True
    assert change.source is not None
    assert "p.7.4" in change.source
    assert "p.1.7" in change.source
    drb012 = [f for f in findings if f.code == "DRB012"]
    assert len(drb012) == 1
    assert drb012[0].waived_by is not None
    assert "p.7.4" in drb012[0].waived_by.clause


def test_policy_version_and_date_are_not_stated(register: Register) -> None:
    # No placeholder ("unnumbered", 1970-01-01) pretends to be the policy's own.
    assert register.policy.version is None
    assert register.policy.date is None
    assert register.policy.version_id == "not-stated"
    assert register.policy.languages == ("ru",)


# ------------------------------------------------------------------ purposes

PURPOSES = [
    "payment_services",
    "payment_refund_cancellation",
    "transaction_clearing_confirmation",
    "service_partners_transfer",
    "user_identification",
    "biometric_identification",
    "account_management",
    "user_communication",
    "service_improvement",
    "security_and_traffic",
    "marketing_messages",
    "offers_personalisation",
    "statistics_research",
    "legal_requirements",
    "aml_identification_monitoring",
    "state_requests",
    "rights_protection_disputes",
]


def test_purposes_in_order_with_clauses(register: Register) -> None:
    # Waiver paths are positional: the order is part of the register.
    assert list(register.purposes) == PURPOSES
    for purpose in register.purposes.values():
        assert purpose.clause, purpose.id


def test_biometric_identification_through_the_npc_exchange(
    register: Register, findings: list[Finding]
) -> None:
    purpose = register.purposes["biometric_identification"]
    assert "biometric.facial_image" in purpose.categories
    assert register.categories["biometric.facial_image"].sensitivity is Sensitivity.SPECIAL
    assert purpose.basis.kind is BasisKind.CONSENT
    assert purpose.consent_required is True
    assert purpose.clause is not None
    assert "p.2.3" in purpose.clause
    assert "p.1.5" in purpose.clause
    # The exact wording of the seed: the photo-matching service of the information system
    # «Центр обмена идентификационными данными» of the National Payment Corporation.
    assert "сервиса сопоставления фотоизображений" in purpose.labels.ru
    assert "«Центр обмена идентификационными данными»" in purpose.labels.ru
    assert "Национальная платёжная корпорация" in purpose.labels.ru
    assert "Сәйкестендіру деректерімен алмасу орталығы" in purpose.labels.kk
    assert purpose.recipients == ("npc_identification_exchange",)

    npc = register.recipients["npc_identification_exchange"]
    assert npc.role is RecipientRole.IDENTIFICATION_SERVICE
    assert npc.country == "KZ"
    assert not npc.cross_border
    assert RecipientAction.VERIFY in npc.actions
    assert "«Центр обмена идентификационными данными»" in npc.names.ru
    assert "Ұлттық төлем корпорациясы" in npc.names.kk
    assert npc.basis.kind is BasisKind.CONSENT
    assert set(npc.categories) == {"biometric.facial_image", "identity.iin"}
    # Consent-based with consent required: no DRB009.
    assert not [f for f in findings if f.code == "DRB009"]


def test_card_data_kept_tokenised_or_encrypted(register: Register) -> None:
    # p.2.1 subp.3
    purpose = register.purposes["payment_services"]
    assert "financial.card_token" in purpose.categories
    assert register.categories["financial.card_token"].value_type is ValueType.CARD_TOKEN
    assert purpose.description is not None
    assert "токенизированном или зашифрованном виде" in purpose.description.ru
    assert "tokenised or encrypted form" in purpose.description.en
    other = register.categories["financial.other_payment_instruments"]
    assert other.sensitivity is Sensitivity.CONFIDENTIAL
    assert other.description is not None
    assert "токенизированном или зашифрованном виде" in other.description.ru
    assert "токенделген немесе шифрланған түрде" in other.description.kk


def test_processing_without_consent_for_aml_state_bodies_and_court_acts(
    register: Register,
) -> None:
    aml = register.purposes["aml_identification_monitoring"]
    assert aml.basis.kind is BasisKind.LEGAL_OBLIGATION
    assert aml.basis.citation is not None
    assert "191-IV" in aml.basis.citation
    assert aml.consent_required is False
    assert aml.clause is not None
    assert "p.3.4.3" in aml.clause

    state = register.purposes["state_requests"]
    assert state.basis.kind is BasisKind.STATE_REQUEST
    assert state.consent_required is False
    assert state.clause is not None
    for clause in ("p.3.4.1", "p.3.4.2", "p.3.4.4"):
        assert clause in state.clause
    assert "органам дознания и следствия" in state.labels.ru
    assert "судебных актов" in state.labels.ru
    assert set(state.recipients) == {
        "law_enforcement_bodies",
        "courts_and_enforcement",
        "other_state_bodies",
    }

    legal = register.purposes["legal_requirements"]
    assert legal.basis.kind is BasisKind.LEGAL_OBLIGATION
    assert legal.basis.citation is not None
    assert "11-VI" in legal.basis.citation


def test_state_body_recipients_cite_their_laws(register: Register) -> None:
    state_bodies = {
        r.id for r in register.recipients.values() if r.role is RecipientRole.STATE_BODY
    }
    assert state_bodies == STATE_BODIES
    for rid in STATE_BODIES:
        recipient = register.recipients[rid]
        assert recipient.country == "KZ"
        assert recipient.basis.kind in (BasisKind.LEGAL_OBLIGATION, BasisKind.STATE_REQUEST)
        assert recipient.basis.citation, rid
    assert "191-IV" in (register.recipients["financial_monitoring_body"].basis.citation or "")
    assert "Criminal Procedure Code" in (
        register.recipients["law_enforcement_bodies"].basis.citation or ""
    )
    assert "enforcement proceedings" in (
        register.recipients["courts_and_enforcement"].basis.citation or ""
    )


# (purpose id, trigger, period, citation fragment)
RETENTION = [
    ("payment_services", RetentionTrigger.CONTRACT_CLOSED, "0 days", "p. 5.2"),
    ("biometric_identification", RetentionTrigger.PURPOSE_ACHIEVED, "0 days", "p. 5.2"),
    ("marketing_messages", RetentionTrigger.CONTRACT_CLOSED, "0 days", "p. 5.3"),
    ("legal_requirements", RetentionTrigger.CONTRACT_CLOSED, "5 years", AML_11_4),
    ("aml_identification_monitoring", RetentionTrigger.CONTRACT_CLOSED, "5 years", AML_11_4),
    ("state_requests", RetentionTrigger.PURPOSE_ACHIEVED, "0 days", "p. 5.2"),
]


@pytest.mark.parametrize(("purpose_id", "trigger", "period", "citation"), RETENTION)
def test_retention(
    register: Register, purpose_id: str, trigger: RetentionTrigger, period: str, citation: str
) -> None:
    retention = register.purposes[purpose_id].retention
    assert retention is not None
    assert retention.trigger is trigger
    assert retention.period == Period.parse(period)
    assert citation in retention.citation


def test_every_purpose_has_a_cited_retention(register: Register) -> None:
    for purpose in register.purposes.values():
        assert purpose.retention is not None, purpose.id
        citation = purpose.retention.citation
        # Either the policy's general clause (p.5.2 / p.5.3) or the statute.
        assert "p. 5.2" in citation or "p. 5.3" in citation or AML_11_4 in citation, purpose.id
        assert purpose.retention.cite is not None, purpose.id  # ru/kk/en for customers
    research = register.purposes["statistics_research"].retention
    assert research is not None
    assert research.then is AfterRetention.ANONYMISE  # p.2.2: «на основе обезличенных данных»


def test_consent_purposes_are_bundled_with_the_offer(register: Register) -> None:
    consent_purposes = {
        p.id for p in register.purposes.values() if p.basis.kind is BasisKind.CONSENT
    }
    assert consent_purposes == {
        "biometric_identification",
        "service_improvement",
        "marketing_messages",
        "offers_personalisation",
        "statistics_research",
    }
    for pid in consent_purposes:
        purpose = register.purposes[pid]
        assert purpose.consent_required, pid
        assert purpose.consent_bundled_with == ("payment_services",), pid


# ------------------------------------------------------------------ recipients


def test_recipients(register: Register) -> None:
    assert set(register.recipients) == {
        "npc_identification_exchange",
        "payment_systems",
        "beneficiaries",
        "service_partners",
        "affiliates",
        "agents",
        "foreign_cloud_storage",
        *STATE_BODIES,
    }
    assert register.recipients["payment_systems"].role is RecipientRole.PAYMENT_SYSTEM
    assert register.recipients["affiliates"].role is RecipientRole.AFFILIATE
    assert register.recipients["service_partners"].role is RecipientRole.PROCESSOR
    # p.2.3: beneficiaries get only what confirms the payment.
    assert set(register.recipients["beneficiaries"].categories) == {
        "financial.transactions",
        "financial.payee_details",
    }


def test_cross_border_only_to_the_cloud_on_consent(register: Register) -> None:
    # p.2.11: cross-border transfer on the subject's consent, secure cloud storage, no country.
    cross_border = {r.id: r.country for r in register.recipients.values() if r.cross_border}
    assert cross_border == {"foreign_cloud_storage": None}  # abroad, no country named
    cloud = register.recipients["foreign_cloud_storage"]
    assert cloud.abroad
    assert cloud.cross_border_basis is not None
    assert cloud.cross_border_basis.kind is CrossBorderBasisKind.CONSENT
    assert SeparateScope.CROSS_BORDER_TRANSFER in register.consent.separate_scopes
    assert cloud.source == "p.2.11"


def test_each_recipient_receives_only_what_its_purposes_use(register: Register) -> None:
    for recipient in register.recipients.values():
        purposes = register.purposes_of_recipient(recipient.id)
        assert purposes, recipient.id
        needed = {c for p in purposes for c in p.categories}
        assert set(recipient.categories) <= needed, recipient.id


# ------------------------------------------------------------------ consent, rights


def test_consent_forms_of_p_3_1(register: Register) -> None:
    # p.3.1: confirmation buttons and check boxes, OTP codes, 3-D Secure; p.1.5 the apps.
    # p.2.12 lists ways to WITHDRAW consent (in writing, state and non-state services):
    # they are not ways of giving it.
    assert set(register.consent.channels) == {
        ConsentChannel.WEB_CHECKBOX, ConsentChannel.SMS_OTP, ConsentChannel.THREE_DS,
        ConsentChannel.MOBILE_APP}


def test_separate_scopes_of_p_6_1_5_and_p_6_1_6(register: Register) -> None:
    assert set(register.consent.separate_scopes) == {
        SeparateScope.THIRD_PARTY_TRANSFER,
        SeparateScope.CROSS_BORDER_TRANSFER,
        SeparateScope.PUBLICATION,
    }
    # p.2.2: marketing consent comes with the data, never separately.
    assert SeparateScope.MARKETING not in register.consent.separate_scopes


def test_withdrawal_except_where_the_law_forbids_or_an_obligation_is_unfulfilled(
    register: Register,
) -> None:
    withdrawal = register.consent.withdrawal
    assert withdrawal is not None
    assert register.consent.withdrawal_source is not None
    assert "p.2.12" in register.consent.withdrawal_source
    assert "противоречит законам Республики Казахстан" in withdrawal.ru
    assert "неисполненного обязательства" in withdrawal.ru
    assert "законный представитель" in withdrawal.ru
    assert "орындалмаған міндеттеме" in withdrawal.kk
    assert "obligation remains unfulfilled" in withdrawal.en


def test_request_channels_and_rectification_on_documented_grounds(register: Register) -> None:
    kinds = {c.kind for c in register.request_channels}
    assert kinds == {ChannelKind.POSTAL, ChannelKind.EGOV}
    postal = next(c for c in register.request_channels if c.kind is ChannelKind.POSTAL)
    assert postal.address is None  # p.7.2: «по месту регистрации Оператора», no address
    assert postal.note is not None
    # p.6.1.2: change and supplement PD where grounds are confirmed by documents.
    assert "подтверждённых соответствующими документами (п. 6.1.2)" in postal.note.ru
    assert "тиісті құжаттармен расталған" in postal.note.kk
    assert "30 рабочих дней (п. 7.2)" in postal.note.ru


def test_minors_are_not_stated(register: Register) -> None:
    # p.2.8 speaks of consent by a legal representative, not of minors' data.
    assert register.minors is None


def test_no_cookies_are_named(register: Register) -> None:
    assert register.cookies == ()
    assert "online.cookies" in register.purposes["security_and_traffic"].categories


# ------------------------------------------------------------------ regime, lint


def test_pretrial_claim_override_is_not_looser_than_the_regime(
    register: Register, findings: list[Finding]
) -> None:
    (override,) = register.regime_overrides
    assert override.deadline == "pretrial_claim"
    assert override.term == Period.parse("30 working days")
    assert "p.7.2" in override.citation
    assert override.source == "p.7.2"
    default = load_regime()["pretrial_claim"]
    assert not override.term.is_longer_than(default.term)
    assert not [f for f in findings if f.code == "DRB015"]


def test_lint_leaves_nothing_unwaived_and_no_stale_waiver(findings: list[Finding]) -> None:
    # Only what the policy does not state, and the two listed assumptions, stay open.
    assert {f.code for f in findings if not f.waived} == {"DRB023", "DRB028"}
    assert {f.path for f in findings if f.code == "DRB028"} == {
        "assumptions[0]",
        "assumptions[1]",
    }
    waived = {(f.code, f.path.split(".")[0]) for f in findings if f.waived}
    assert waived == {
        *{
            ("DRB006", f"purposes[{i}]")
            for i in (0, 1, 2, 3, 5, 8, 9, 12, 13, 14, 15, 16)
        },
        ("DRB012", "policy"),
        *{("DRB013", f"purposes[{i}]") for i in (5, 8, 10, 11, 12)},
    }


def test_every_waiver_cites_a_clause_and_a_reason(register: Register) -> None:
    for waiver in register.waivers:
        assert waiver.clause.startswith("p."), waiver
        assert waiver.reason.strip(), waiver


def test_open_lists_match_the_waivers(register: Register) -> None:
    open_lists = [i for i, p in enumerate(register.purposes.values()) if not p.exhaustive]
    waived = sorted(
        int(w.path.removeprefix("purposes[").rstrip("]"))
        for w in register.waivers
        if w.code == "DRB006"
    )
    assert open_lists == waived


# ------------------------------------------------------------------ texts


def _texts(value: object) -> Iterator[Text]:
    if isinstance(value, Text):
        yield value
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            yield from _texts(getattr(value, f.name))
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)


def test_kazakh_texts_are_kazakh(register: Register) -> None:
    own = [
        register.operator,
        register.policy,
        register.tasks,
        register.purposes,
        register.recipients,
        register.request_channels,
        register.consent,
        {c: register.categories[c] for c in register.declared_custom_categories},
    ]
    texts = [t for part in own for t in _texts(part)]
    assert len(texts) > 50
    for text in texts:
        assert text.ru and text.kk and text.en
        assert KAZAKH_LETTERS & set(text.kk.lower()), text.kk


def test_protection_measures_and_complaint_routes_of_sections_4_and_7(
        register: Register) -> None:
    from derbes.register.model.disclosures import ComplaintRouteKind, ProtectionMeasure

    d = register.disclosures
    measures = {m for s in d.security_measures for m in s.measures}
    assert {ProtectionMeasure.RESPONSIBLE_PERSON, ProtectionMeasure.ACCESS_BY_DUTIES,
            ProtectionMeasure.CONFIDENTIALITY_UNDERTAKING} <= measures
    assert [r.kind for r in d.complaint_routes] == [ComplaintRouteKind.OPERATOR,
                                                     ComplaintRouteKind.COURT]
    # p.3.6: automated processing; p.2.2: the data come from the user.
    for purpose in register.purposes.values():
        assert purpose.methods, purpose.id
        assert purpose.data_sources, purpose.id

"""The register of QIWI Kazakhstan (seed 002) says what the published policy says, and
no more: every fact carries its clause, and what the policy does not state is absent.

The retention table here drives real destruction later, so each row of the
policy's section 3.4 is pinned: trigger, period and citation.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from derbes.deadlines.model.periods import Period
from derbes.register.adapters.yaml import load_register
from derbes.register.model.disclosures import (
    CommitmentKind,
    ComplaintRouteKind,
    CookieDefault,
    ProtectionMeasure,
)
from derbes.register.model.lint import lint
from derbes.register.model.loaded import LoadedRegister
from derbes.register.model.register import (
    AfterRetention,
    BasisKind,
    ChannelKind,
    CookieCategory,
    CookieParty,
    DataSourceKind,
    OperatorKind,
    ProcessingMethod,
    RecipientRole,
    Register,
    RetentionTrigger,
)

REGISTER = Path(__file__).parents[2] / "registers" / "qiwi-kz.yaml"

AML_11_4 = "AML Law No. 191-IV of 28 Aug 2009, Art. 11 p.4"
CIVIL_178_1 = "Civil Code of the Republic of Kazakhstan No. 268-XIII of 27 Dec 1994, Art. 178 p.1"
KAZAKH_LETTERS = set("әғқңөұүһі")


@pytest.fixture(scope="module")
def loaded() -> LoadedRegister:
    return load_register(REGISTER)


@pytest.fixture(scope="module")
def register(loaded: LoadedRegister) -> Register:
    return loaded.register


def test_operator_identity(register: Register) -> None:
    op = register.operator
    assert op.id == "qiwi-kz"
    assert op.bin == "060640010247"
    # p.7.1: Halyk Bank issues and redeems the e-money; QIWI operates the System.
    assert op.kind is OperatorKind.E_MONEY_SYSTEM_OPERATOR
    assert op.sources.of("kind") == "p.2; p.7.1"
    assert op.contacts.email == "kzps@qiwi.com"
    assert op.legal_address is not None and "Қозыбаев" in op.legal_address.kk
    # The policy says nothing of where the database is: not stated, never "KZ".
    assert op.primary_database_country is None
    assert op.copies_abroad == ()
    assert register.policy.version == "1.0"
    assert register.policy.date is not None
    assert register.policy.date.isoformat() == "2025-07-08"
    assert register.policy.url == "https://www.qiwi.kz/privacypolicy"
    assert register.policy.change is not None
    assert register.policy.change.silence_means_consent is False


# (purpose id, trigger, period, citation fragment) — the rows of p.3.4.1 and p.3.4.2.
RETENTION_TABLE = [
    ("visitor_analytics", RetentionTrigger.CONTRACT_CLOSED, "3 years", CIVIL_178_1),
    ("registration_minimal_status", RetentionTrigger.CONTRACT_CLOSED, "5 years", AML_11_4),
    ("identification_status_upgrade", RetentionTrigger.CONTRACT_CLOSED, "5 years", AML_11_4),
    ("wallet_top_up", RetentionTrigger.CONTRACT_CLOSED, "5 years", AML_11_4),
    ("payment_confirmation", RetentionTrigger.CONTRACT_CLOSED, "5 years", AML_11_4),
    ("wallet_event_notifications", RetentionTrigger.CONTRACT_CLOSED, "5 years", AML_11_4),
    ("user_requests", RetentionTrigger.CONTRACT_CLOSED, "3 years", CIVIL_178_1),
    ("marketing_messages", RetentionTrigger.CONTRACT_CLOSED, "3 years", CIVIL_178_1),
    ("marketing_research", RetentionTrigger.CONTRACT_CLOSED, "3 years", CIVIL_178_1),
    ("aml_antifraud", RetentionTrigger.TRANSACTION, "5 years", AML_11_4),
    ("client_profile", RetentionTrigger.CONTRACT_CLOSED, "3 years", CIVIL_178_1),
    ("chat_bot", RetentionTrigger.CONTRACT_CLOSED, "3 years", CIVIL_178_1),
    ("management_reporting", RetentionTrigger.CONTRACT_CLOSED, "3 years", CIVIL_178_1),
]


def test_every_policy_row_is_a_purpose_in_order(register: Register) -> None:
    assert list(register.purposes) == [row[0] for row in RETENTION_TABLE]


@pytest.mark.parametrize(("purpose_id", "trigger", "period", "citation"), RETENTION_TABLE)
def test_retention_row(
    register: Register, purpose_id: str, trigger: RetentionTrigger, period: str, citation: str
) -> None:
    retention = register.purposes[purpose_id].retention
    assert retention is not None
    assert retention.trigger is trigger
    assert retention.period == Period.parse(period)
    assert citation in retention.citation
    assert retention.then is AfterRetention.DESTROY
    # The destruction act of p.4.4 is stated with every row.
    assert retention.note is not None
    assert "4.4" in retention.note.en
    assert "жою актісі" in retention.note.kk


def test_top_up_also_cites_the_list_of_the_minister_of_culture_and_sports(
    register: Register,
) -> None:
    retention = register.purposes["wallet_top_up"].retention
    assert retention is not None
    assert "p.202" in retention.citation
    assert "No. 263" in retention.citation
    assert "29 Sep 2017" in retention.citation
    assert "Minister of Culture and Sports" in retention.citation


def test_aml_row_runs_from_the_transaction_and_needs_the_contract_ended(
    register: Register,
) -> None:
    purpose = register.purposes["aml_antifraud"]
    # p.3.5: on consent AND the AML Law: consent is asked, the law keeps it.
    assert purpose.basis.kind is BasisKind.LEGAL_OBLIGATION
    assert purpose.consent_required is True
    assert purpose.sources.of("basis") == "p.3.5"
    assert purpose.basis.citation is not None
    assert "191-IV" in purpose.basis.citation
    assert purpose.basis.cite is not None and "191-IV" in purpose.basis.cite.kk
    assert purpose.basis.note is not None and "келісім" in purpose.basis.note.kk
    assert purpose.retention is not None
    assert purpose.retention.note is not None
    assert "шарт бұзылған жағдайда жойылады" in purpose.retention.note.kk


def test_lists_of_pd(register: Register) -> None:
    purposes = register.purposes
    assert purposes["registration_minimal_status"].categories == (
        "account.login",
        "account.customer_id",
    )
    ident = set(purposes["identification_status_upgrade"].categories)
    assert {"identity.iin", "identity.id_document_image", "identity.sex"} <= ident
    assert purposes["marketing_messages"].categories == ("contact.email",)
    assert "marketing.interview_answers" in purposes["marketing_research"].categories
    assert "contact.phone_ownership_document" in purposes["aml_antifraud"].categories
    assert purposes["visitor_analytics"].categories == ("online.cookies",)
    assert purposes["visitor_analytics"].subjects == ("visitor",)


def test_open_lists_are_marked_and_waived(register: Register) -> None:
    open_lists = {p.id for p in register.purposes.values() if not p.exhaustive}
    assert open_lists == {"chat_bot", "management_reporting"}
    waived = {(w.code, w.path) for w in register.waivers}
    assert ("DRB006", "purposes[11]") in waived
    assert ("DRB006", "purposes[12]") in waived


def test_bases_follow_p_3_1_and_p_3_5(register: Register) -> None:
    for purpose in register.purposes.values():
        if purpose.id == "aml_antifraud":
            continue
        assert purpose.basis.kind is BasisKind.CONSENT, purpose.id
        assert purpose.consent_required, purpose.id


def test_no_solely_automated_decisions(register: Register) -> None:
    # p.5.3: stated for every purpose, and a commitment lint checks.
    assert all(p.automated_decision is False for p in register.purposes.values())
    assert all(p.sources.of("automated_decision") == "p.5.3" for p in register.purposes.values())
    [commitment] = [c for c in register.disclosures.commitments
                    if c.kind is CommitmentKind.NO_AUTOMATED_DECISIONS]
    assert commitment.source == "p.5.3"


def test_data_come_from_the_subject_by_mixed_methods(register: Register) -> None:
    for purpose in register.purposes.values():
        assert purpose.data_sources == (DataSourceKind.SUBJECT,), purpose.id  # p.3.6
        assert purpose.methods == (ProcessingMethod.MIXED,), purpose.id  # p.3.2


def test_minors_are_not_processed(register: Register) -> None:
    # p.5.4: «Біз кәмелетке толмаған тұлғалардың дербес деректерін өңдемейміз.»
    assert register.minors is not None
    assert register.minors.processed is False
    assert register.minors.source == "p.5.4"


def test_recipients_of_p_7_1_and_p_8_3(register: Register) -> None:
    recipients = register.recipients
    assert set(recipients) == {
        "provider_counterparties",
        "halyk_bank",
        "kazpost",
        "qiwi_jsc",
        "key_business_solutions",
        "state_bodies",
        "third_party_cookie_providers",
    }
    cross_border = {r.id: r.country for r in recipients.values() if r.cross_border}
    assert cross_border == {"qiwi_jsc": "RU", "key_business_solutions": "RU"}
    # Advertising partners and analytics services are not named: nor is their country.
    cookies = recipients["third_party_cookie_providers"]
    assert cookies.country is None and cookies.is_class
    assert recipients["halyk_bank"].role is RecipientRole.BANK
    assert recipients["kazpost"].role is RecipientRole.PROCESSOR
    # «Шарт» of p.7.1 is QIWI's contract with the recipient, not one with the subject.
    for rid in ("provider_counterparties", "halyk_bank", "kazpost", "qiwi_jsc",
                "key_business_solutions"):
        assert recipients[rid].basis.kind is BasisKind.OPERATOR_CONTRACT, rid
    state = recipients["state_bodies"]
    assert state.role is RecipientRole.STATE_BODY
    assert state.basis.citation is not None
    assert "94-V" in state.basis.citation
    assert "kazpost" in register.purposes["identification_status_upgrade"].recipients
    assert "key_business_solutions" in register.purposes["marketing_research"].recipients
    assert {"halyk_bank", "provider_counterparties"} <= set(
        register.purposes["wallet_top_up"].recipients
    )


def test_the_policy_lists_no_data_per_recipient(register: Register) -> None:
    # p.7.1 ties each recipient to purposes, never to a list of PD: not stated (each gets
    # what the purposes it serves need).
    for recipient in register.recipients.values():
        assert register.purposes_of_recipient(recipient.id), recipient.id
        if recipient.id != "third_party_cookie_providers":  # p.8.3: the cookies' data
            assert recipient.categories == (), recipient.id


def test_cross_border_transfers_without_a_ground_stay_visible(register: Register) -> None:
    waived = {(w.code, w.path) for w in register.waivers}
    for rid in ("qiwi_jsc", "key_business_solutions"):
        assert register.recipients[rid].cross_border_basis is None
        assert ("DRB007", register.recipient_path(rid)) in waived


def test_cookies_of_section_8(register: Register) -> None:
    assert register.cookie_max_lifetime == Period.parse("1 year")
    kinds = {(c.category, c.party) for c in register.cookies}
    assert kinds == {
        (CookieCategory.STRICTLY_NECESSARY, CookieParty.FIRST),
        (CookieCategory.FUNCTIONAL, CookieParty.FIRST),
        (CookieCategory.ANALYTICS, CookieParty.FIRST),
        (CookieCategory.ANALYTICS, CookieParty.THIRD),
        (CookieCategory.MARKETING, CookieParty.THIRD),
    }
    assert all(c.lifetime == Period.parse("1 year") for c in register.cookies)
    # p.8.2: set by default on entering the site, not after a banner's consent.
    policy = register.disclosures.cookie_policy
    assert policy is not None and policy.default is CookieDefault.SET_BY_DEFAULT


def test_rights_channels_and_withdrawal(register: Register) -> None:
    channels = {(c.kind, c.address) for c in register.request_channels}
    assert (ChannelKind.EMAIL, "kzps@qiwi.com") in channels
    assert any(kind is ChannelKind.POSTAL and "050059" in addr for kind, addr in channels)
    consent = register.consent
    assert consent.withdrawal is not None
    assert consent.withdrawal_source is not None
    assert "p.5.2" in consent.withdrawal_source
    assert consent.channels == ()  # p.3.1 does not say how consent is given
    assert "антифрод" in consent.withdrawal.kk
    assert consent.separate_scopes == ()
    assert register.regime_overrides == ()


def test_lint_has_no_unwaived_findings_but_what_the_policy_does_not_state(
    register: Register,
) -> None:
    findings = lint(register)
    unwaived = {(f.code, f.path) for f in findings if not f.waived}
    assert unwaived == {("DRB023", "operator.primary_database_country"),
                        ("DRB023", "recipients[6].country"),
                        ("DRB023", "consent.channels")}
    assert {f.code for f in findings if f.waived} == {"DRB006", "DRB007", "DRB022"}
    assert len([f for f in findings if f.waived]) == len(register.waivers)


def test_what_was_missing_is_there_with_its_clause(register: Register) -> None:
    d = register.disclosures
    measures = {m for s in d.security_measures for m in s.measures}
    assert {ProtectionMeasure.RESPONSIBLE_PERSON, ProtectionMeasure.EVENT_LOGGING,
            ProtectionMeasure.STAFF_TRAINING} <= measures
    assert {s.source for s in d.security_measures} == {"p.6.1", "p.6.2"}
    routes = {r.kind for r in d.complaint_routes}
    assert routes == {ComplaintRouteKind.COURT, ComplaintRouteKind.AUTHORISED_BODY,
                      ComplaintRouteKind.OTHER_REGULATOR}
    assert "rkn.gov.ru" in next(r for r in d.complaint_routes
                                if r.kind is ComplaintRouteKind.OTHER_REGULATOR).address.en
    [rf] = d.other_law
    assert "Russian Federation" in rf.law.en and rf.source and "p.1.3" in rf.source
    [role] = d.processor_roles
    assert role.source == "p.2"


def test_kazakh_texts_use_kazakh_letters(register: Register) -> None:
    texts = [p.labels.kk for p in register.purposes.values()]
    texts += [r.names.kk for r in register.recipients.values()]
    assert sum(1 for t in texts if KAZAKH_LETTERS & set(t.lower())) >= len(texts) - 2

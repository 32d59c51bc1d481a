"""The register of MFO «Express Аванс» (seed 001) says what its policy says."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from derbes.deadlines.adapters.regime_yaml import load_regime
from derbes.register.adapters.yaml import load_register
from derbes.register.model.lint import STALE_WAIVER, lint
from derbes.register.model.register import (
    BasisKind,
    ConsentChannel,
    CrossBorderBasisKind,
    DataSourceKind,
    RecipientRole,
    Register,
    RetentionTrigger,
    SeparateScope,
)

REGISTER = Path(__file__).parents[2] / "registers" / "express-avans.yaml"
KAZAKH_LETTERS = re.compile("[әғқңөұүһі]", re.IGNORECASE)


@cache
def _register() -> Register:
    return load_register(REGISTER).register


@pytest.fixture
def register() -> Register:
    return _register()


def test_operator_identity(register: Register) -> None:
    op = register.operator
    assert op.id == "express-avans"
    assert op.kind.value == "microfinance"
    assert "Express Аванс" in op.names.ru
    assert op.sites == ("https://timezaim.kz", "https://expressavans.kz")
    # The policy does not say where its database is: not stated, never "KZ".
    assert op.primary_database_country is None
    # The policy states no BIN: a zero placeholder, never a plausible number.
    assert op.bin is None  # the policy states no BIN


def test_policy_change_treats_silence_as_consent_and_is_waived(register: Register) -> None:
    change = register.policy.change
    assert change is not None
    assert change.silence_means_consent is True
    assert change.source is not None and "p.9.2" in change.source
    assert any(
        w.code == "DRB012" and w.path == "policy.change.silence_means_consent"
        for w in register.waivers
    )


def test_loan_contract_purpose(register: Register) -> None:
    loan = register.purposes["loan_contract"]
    assert loan.basis.kind is BasisKind.CONTRACT
    assert loan.consent_required is False
    assert loan.clause is not None and "p.1.1" in loan.clause
    assert {"identity.iin", "financial.iban", "financial.income", "financial.loan"} <= set(
        loan.categories
    )
    assert loan.retention is not None
    assert loan.retention.trigger is RetentionTrigger.CONTRACT_CLOSED
    assert "p. 3.2" in loan.retention.citation
    assert "processors" in loan.recipients


@pytest.mark.parametrize(
    "purpose",
    [
        "loan_contract",
        "contract_control",
        "correspondence",
        "contract_communication",
        "settlements",
        "rights_protection",
        "debt_collection",
    ],
)
def test_contract_purposes_run_until_the_loan_is_closed(register: Register, purpose: str) -> None:
    p = register.purposes[purpose]
    assert p.basis.kind is BasisKind.CONTRACT
    assert p.retention is not None
    assert p.retention.trigger is RetentionTrigger.CONTRACT_CLOSED


def test_claims_are_kept_for_the_limitation_period(register: Register) -> None:
    for purpose in ("rights_protection", "debt_collection"):
        retention = register.purposes[purpose].retention
        assert retention is not None
        assert str(retention.period) == "3 years"
        assert "Civil Code" in retention.citation and "Article 178" in retention.citation


def test_aml_is_a_legal_obligation_kept_five_years(register: Register) -> None:
    aml = register.purposes["aml_cft"]
    assert aml.basis.kind is BasisKind.LEGAL_OBLIGATION
    assert aml.basis.citation is not None and "191-IV" in aml.basis.citation
    assert aml.retention is not None
    assert aml.retention.trigger is RetentionTrigger.CONTRACT_CLOSED
    assert str(aml.retention.period) == "5 years"
    assert "Article 11 paragraph 4" in aml.retention.citation
    assert aml.recipients == ("afm",)


def test_credit_dossier_storage(register: Register) -> None:
    dossier = register.purposes["credit_dossier_storage"]
    assert dossier.basis.kind is BasisKind.LEGAL_OBLIGATION
    assert dossier.basis.citation is not None
    assert "56-V" in dossier.basis.citation and "No. 210" in dossier.basis.citation
    assert dossier.retention is not None
    assert dossier.retention.trigger is RetentionTrigger.CONTRACT_CLOSED
    assert str(dossier.retention.period) == "5 years"
    assert {"financial.credit_history", "financial.pension_contributions"} <= set(
        dossier.categories
    )


def test_credit_bureau_reporting_is_a_legal_obligation(register: Register) -> None:
    reporting = register.purposes["credit_bureau_reporting"]
    assert reporting.basis.kind is BasisKind.LEGAL_OBLIGATION
    assert reporting.basis.citation is not None and "573-II" in reporting.basis.citation
    assert reporting.recipients == ("credit_bureaus",)
    assert reporting.retention is not None
    assert reporting.retention.trigger is RetentionTrigger.CONTRACT_CLOSED


def test_legal_purposes_cite_their_law(register: Register) -> None:
    legal = [
        p
        for p in register.purposes.values()
        if p.basis.kind in (BasisKind.LEGAL_OBLIGATION, BasisKind.STATE_REQUEST)
    ]
    assert {p.id for p in legal} >= {
        "credit_dossier_storage",
        "aml_cft",
        "credit_bureau_reporting",
        "state_cooperation",
    }
    for p in legal:
        assert p.basis.citation, p.id
        assert p.consent_required is False, p.id


@pytest.mark.parametrize(
    ("purpose", "recipient", "law", "received"),
    [
        ("credit_bureau_inquiry", "credit_bureaus", "573-II", "financial.credit_history"),
        (
            "pension_centre_inquiry",
            "pension_centre",
            "105-V",
            "financial.pension_contributions",
        ),
    ],
)
def test_transfers_for_the_application_need_consent(
    register: Register, purpose: str, recipient: str, law: str, received: str
) -> None:
    p = register.purposes[purpose]
    assert p.basis.kind is BasisKind.CONSENT
    assert p.consent_required is True
    assert p.basis.citation is not None and law in p.basis.citation
    assert p.recipients == (recipient,)
    assert received in p.categories
    assert DataSourceKind(recipient.removesuffix("s")) in p.data_sources
    # One confirmation at the Application (p.6.1): bundled, and the finding waived.
    assert p.consent_bundled_with == ("loan_contract",)
    assert p.clause is not None and "p.1.1" in p.clause


def test_credit_bureau_recipient(register: Register) -> None:
    bureau = register.recipients["credit_bureaus"]
    assert bureau.role is RecipientRole.CREDIT_BUREAU
    assert bureau.country == "KZ" and not bureau.cross_border
    assert bureau.basis.citation is not None and "573-II" in bureau.basis.citation
    assert {"identity.full_name", "identity.iin", "financial.loan"} <= set(bureau.categories)
    assert {p.id for p in register.purposes_of_recipient("credit_bureaus")} == {
        "credit_bureau_inquiry",
        "credit_bureau_reporting",
    }


def test_pension_centre_recipient(register: Register) -> None:
    centre = register.recipients["pension_centre"]
    assert "ГЦВП" in centre.names.ru
    assert "Правительство для граждан" in centre.names.ru
    assert "Азаматтарға арналған үкімет" in centre.names.kk
    assert centre.country == "KZ"
    assert centre.basis.kind is BasisKind.CONSENT
    assert centre.basis.citation is not None and "105-V" in centre.basis.citation
    assert set(centre.categories) == {"identity.full_name", "identity.iin"}


def test_processors_act_on_instruction(register: Register) -> None:
    processors = register.recipients["processors"]
    assert processors.role is RecipientRole.PROCESSOR
    assert processors.sources.source is not None and "p.2.3" in processors.sources.source
    assert "по поручению МФО" in processors.names.ru
    assert register.recipients["correspondence_services"].role is RecipientRole.PROCESSOR


def test_marketing_is_consent_withdrawable_at_once(register: Register) -> None:
    marketing = register.purposes["marketing"]
    assert marketing.basis.kind is BasisKind.CONSENT
    assert marketing.consent_required is True
    assert marketing.retention is not None
    assert marketing.retention.trigger is RetentionTrigger.CONSENT_WITHDRAWN
    assert str(marketing.retention.period) == "0 days"
    assert "online.cookies" in marketing.categories
    assert marketing.clause is not None and "p.3.4" in marketing.clause


def test_consent_and_its_conditional_withdrawal(register: Register) -> None:
    consent = register.consent
    assert consent.channels == (ConsentChannel.WEB_CHECKBOX,)
    assert consent.separate_scopes == (SeparateScope.PUBLICATION,)
    assert consent.withdrawal is not None
    assert (
        "при условии выполнения всех обязательств, принятых по Договору о предоставлении "
        "микрокредита" in consent.withdrawal.ru
    )
    assert "міндеттемелер орындалған жағдайда" in consent.withdrawal.kk
    assert "obligations" in consent.withdrawal.en
    assert consent.withdrawal_source == "p.7.1"
    assert consent.source is not None and "p.6.1" in consent.source


def test_unnamed_cross_border_transfer_stays_visible(register: Register) -> None:
    foreign = register.recipients["unnamed_cross_border"]
    assert foreign.cross_border
    assert foreign.sources.source == "p.3.4"
    # The policy names no country: the recipient is abroad, the country not stated.
    assert foreign.country is None
    assert foreign.cross_border_basis is not None
    assert foreign.cross_border_basis.kind is CrossBorderBasisKind.CONSENT
    assert foreign.categories == ()
    index = list(register.recipients).index("unnamed_cross_border")
    waived = {(w.code, w.path) for w in register.waivers}
    assert ("DRB007", f"recipients[{index}].cross_border_basis") in waived
    assert ("DRB017", f"recipients[{index}]") in waived


def test_every_purpose_is_open_ended_as_p_2_1_says(register: Register) -> None:
    assert all(not p.exhaustive for p in register.purposes.values())
    assert any(w.code == "DRB006" and w.clause == "p.2.1" for w in register.waivers)


def test_retentions_are_cited_or_waived(register: Register) -> None:
    without = {p.id for p in register.purposes.values() if p.retention is None}
    # The banned-persons list ends with the consent it rests on (p.6.1, p.7.1).
    assert without == {"security"}
    banned = register.purposes["banned_persons_list"].retention
    assert banned is not None and banned.trigger.value == "consent_withdrawn"
    assert "p. 7.1" in banned.citation and banned.note is not None
    for purpose_id in without:
        path = f"{register.purpose_path(purpose_id)}.retention"
        assert any(w.code == "DRB001" and w.path == path for w in register.waivers)
    for p in register.purposes.values():
        if p.retention is not None:
            assert p.retention.citation.strip(), p.id


def test_every_purpose_and_recipient_points_at_a_clause(register: Register) -> None:
    for p in register.purposes.values():
        assert p.clause, p.id
    for r in register.recipients.values():
        assert r.sources.source, r.id
    for c in register.request_channels:
        assert c.source, c.kind


def test_inferred_recipients_and_terms_are_listed_assumptions(register: Register) -> None:
    assumed = {a.path for a in register.assumptions}
    for rid in ("banks", "afm", "notaries_and_bailiffs", "collection_agencies"):
        index = list(register.recipients).index(rid)
        assert f"recipients[{index}]" in assumed, rid
    # No storage term is stated (p.7.1 only promises to tell it): every term is assumed.
    for i, p in enumerate(register.purposes.values()):
        if p.retention is not None:
            assert f"purposes[{i}].retention" in assumed, p.id
    for a in register.assumptions:
        assert a.reason.strip(), a.path


def test_texts_are_in_three_languages_with_real_kazakh(register: Register) -> None:
    texts = [p.labels for p in register.purposes.values()]
    texts += [r.names for r in register.recipients.values()]
    texts += [register.tasks[t].labels for t in register.tasks]
    for text in texts:
        assert text.ru and text.en and text.kk
        assert text.kk != text.ru
        if len(text.kk.split()) > 2:  # one word may lack them: «Жарнама»
            assert KAZAKH_LETTERS.search(text.kk), text.kk


def test_kazakh_reuses_the_seed_wording(register: Register) -> None:
    assert register.purposes["solvency_assessment"].labels.kk == (
        "Пайдаланушының төлем қабілеттілігін бағалау; тәуекелдерді бағалау, "
        "болдырмау және басқару"
    )
    assert register.purposes["customer_database"].labels.kk == (
        "Клиенттік деректер базасын құру және қолдау"
    )


def test_personal_cabinet_is_the_only_request_channel(register: Register) -> None:
    assert {c.kind.value for c in register.request_channels} == {"personal_cabinet"}
    assert {c.address for c in register.request_channels} == {
        "https://timezaim.kz",
        "https://expressavans.kz",
    }


def test_no_cookies_minors_or_overrides_are_stated(register: Register) -> None:
    # Cookies are used (p.1.1, p.2.1) and none is named: stated, not listed.
    assert register.cookies == ()
    assert register.statement("cookies").status.value == "unlisted"
    assert register.minors is None  # the policy says nothing about minors
    assert register.regime_overrides == ()


def test_lint_has_no_unwaived_findings_and_no_stale_waivers(register: Register) -> None:
    findings = lint(register, load_regime())
    unwaived = [f"{f.code} {f.path}" for f in findings if not f.waived]
    # Left open: what the policy does not state (DRB023) and the modeller's
    # assumptions (DRB028), both listed for the operator to answer.
    assert {u.split()[0] for u in unwaived} == {"DRB023", "DRB028"}
    assert not any(f.code == STALE_WAIVER for f in findings)
    assert {f.code for f in findings} == {
        "DRB001",
        "DRB006",
        "DRB007",
        "DRB012",
        "DRB013",
        "DRB017",
        "DRB021",
        "DRB022",
        "DRB023",
        "DRB028",
    }

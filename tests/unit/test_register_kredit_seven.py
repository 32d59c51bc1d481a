"""The processing register of MFO Kredit Seven Kazakhstan (seed 003, creditplus.kz).

These tests pin what the published policy says and what later work relies on
(a customer seeded from this register, an access request answered from it):
the promised deadlines (p.4.3–4.5), retention with citations, the credit
dossier term (an assumption: the policy defers to the law without stating it),
credit bureaus, transfers to protect the MFO's rights, the analytics services
(named, nothing more), and the findings the register keeps visible as waivers.
Nothing the policy does not say: no country or company of an analytics service,
no cookie list, no "collection agencies", nothing about minors or automated
decisions.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from derbes.deadlines.model.periods import Period
from derbes.register.adapters.yaml import load_register
from derbes.register.model.disclosures import ProtectionMeasure
from derbes.register.model.loaded import LoadedRegister
from derbes.register.model.register import (
    AfterRetention,
    BasisKind,
    ConsentChannel,
    DataSourceKind,
    OperatorKind,
    RecipientRole,
    Register,
    RetentionTrigger,
    Sensitivity,
    Text,
)

REGISTER_FILE = Path(__file__).parents[2] / "registers" / "kredit-seven.yaml"

# The BIN is not in the policy: a placeholder the loader's BIN check accepts.
PLACEHOLDER_BIN = None  # the policy states no BIN

# p.3.8, in the policy's order, then «иные сторонние аналитические сервисы».
ANALYTICS = [
    "google_tag_manager", "google_analytics", "firebase_analytics", "yandex_metrica",
    "appsflyer", "userx", "vk", "mail_ru", "amplitude", "mytarget", "microsoft_clarity",
    "juicy_score", "matomo", "flocktory", "other_analytics_services",
]

KAZAKH_LETTERS = re.compile("[әғқңөұүһі]", re.IGNORECASE)


@pytest.fixture(scope="module")
def loaded() -> LoadedRegister:
    return load_register(REGISTER_FILE)


@pytest.fixture(scope="module")
def register(loaded: LoadedRegister) -> Register:
    return loaded.register


def _waiver_clauses(register: Register, code: str, path: str) -> list[str]:
    return [w.clause for w in register.waivers if w.code == code and w.path == path]


def test_operator_identity(register: Register) -> None:
    op = register.operator
    assert op.id == "kredit-seven"
    assert op.kind is OperatorKind.MICROFINANCE
    assert op.bin is PLACEHOLDER_BIN
    assert op.contacts.website == "https://creditplus.kz"
    assert op.sites == ("creditplus.kz",)
    assert op.primary_database_country is None  # not stated
    assert op.legal_address is None  # Almaty is where the policy was approved
    assert "Kredit Seven Kazakhstan" in op.names.ru
    # Balanced guillemets in every language.
    for name in (op.names.ru, op.names.kk):
        assert name.count("«") == name.count("»"), name


def test_policy_version_and_unilateral_change(register: Register) -> None:
    policy = register.policy
    # No version is stated: 31-03-2026 is the approving protocol's number.
    assert policy.version is None
    assert policy.date is not None and policy.date.isoformat() == "2026-03-31"
    assert policy.approval is not None
    assert policy.approval.document is not None
    assert "31-03-2026" in policy.approval.document.ru
    assert policy.approval.date is not None and policy.approval.date.isoformat() == "2026-03-31"
    assert policy.change is not None
    # p.8.5: changes without the User's consent, which is not "silence means consent".
    assert policy.change.silence_means_consent is False
    assert policy.change.source == "p.8.5, p.8.7"
    assert "без согласия Пользователя" in policy.change.method.ru


def test_promised_deadlines_are_regime_overrides(register: Register) -> None:
    overrides = {o.deadline: o for o in register.regime_overrides}
    assert overrides["blocking"].term == Period.parse("1 working day")
    assert "p.4.3" in overrides["blocking"].citation
    assert overrides["blocking"].source == "p.4.3"
    assert overrides["destroy_unlawful"].term == Period.parse("1 working day")
    assert "p.4.4" in overrides["destroy_unlawful"].citation
    assert overrides["destroy_after_purpose"].term == Period.parse("30 working days")
    assert "p.4.5" in overrides["destroy_after_purpose"].citation


def test_overrides_are_not_looser_than_the_default_regime(register: Register) -> None:
    from derbes.deadlines.adapters.regime_yaml import load_regime
    from derbes.deadlines.model.regime import RegimeOverride, apply_overrides

    regime = apply_overrides(
        load_regime(),
        [RegimeOverride(o.deadline, o.term, o.citation) for o in register.regime_overrides],
    )
    assert regime["blocking"].term == Period.parse("1 working day")
    assert regime["destroy_after_purpose"].term == Period.parse("30 working days")


def test_every_purpose_has_a_clause_and_a_cited_retention(register: Register) -> None:
    for purpose in register.purposes.values():
        assert purpose.clause, purpose.id
        assert purpose.retention is not None, purpose.id
        assert purpose.retention.citation.strip(), purpose.id


def test_general_retention_is_purpose_achieved_plus_30_working_days(register: Register) -> None:
    derived = [
        p for p in register.purposes.values()
        if p.retention is not None and p.retention.trigger is RetentionTrigger.PURPOSE_ACHIEVED
    ]
    assert len(derived) == len(register.purposes) - 1  # all but the credit dossier
    for purpose in derived:
        retention = purpose.retention
        assert retention is not None
        assert retention.period == Period.parse("30 working days")
        assert "p. 4.5" in retention.citation
        assert retention.cite is not None and "4.5-т." in retention.cite.kk
        assert retention.then is AfterRetention.DESTROY
        # def. 11.7: destroyed data cannot be restored.
        assert retention.note is not None
        assert "невозможно восстановить" in retention.note.ru
        assert "11.7" in retention.note.en


def test_credit_dossier_kept_under_nbrk_resolution_210(register: Register) -> None:
    dossier = register.purposes["credit_dossier"]
    assert dossier.basis.kind is BasisKind.LEGAL_OBLIGATION
    assert dossier.basis.citation is not None
    assert "No. 210" in dossier.basis.citation
    assert dossier.consent_required is False
    retention = dossier.retention
    assert retention is not None
    assert retention.trigger is RetentionTrigger.CONTRACT_CLOSED
    assert "No. 210" in retention.citation
    assert "p. 4.5" in retention.citation
    assert "financial.loan" in dossier.categories
    # p.4.5 defers to the credit dossier term without stating it: the 5 years are the
    # modeller's assumption, listed by lint and never shown as the operator's statement.
    assumed = register.assumed(f"{register.purpose_path('credit_dossier')}.retention")
    assert assumed is not None and "No. 210" in assumed.reason


def test_microcredit_task_list_of_pd(register: Register) -> None:
    assessment = register.purposes["credit_application_assessment"]
    # p.3.2.3 items 1-12.
    for category in (
        "identity.full_name", "identity.iin", "identity.id_document", "identity.birth_date",
        "identity.birth_place", "identity.sex", "identity.citizenship",
        "biometric.facial_image", "address.residence", "address.registration",
        "contact.phone", "contact.email", "family.details", "education.details",
        "employment.details", "financial.income", "financial.expenses", "financial.iban",
        "financial.card_token", "financial.credit_history",
    ):
        assert category in assessment.categories, category
    # Item 13, «иная сводная информация», leaves it open: DRB006 stays, waived.
    assert assessment.exhaustive is False
    assert _waiver_clauses(register, "DRB006", "purposes[0].exhaustive") == ["p.3.2.3 item 13"]
    assert DataSourceKind.CREDIT_BUREAU in assessment.data_sources


def test_biometrics_only_with_consent(register: Register) -> None:
    for purpose in register.purposes.values():
        special = [
            c for c in purpose.categories
            if register.categories[c].sensitivity is Sensitivity.SPECIAL
        ]
        if special:
            assert purpose.basis.kind is BasisKind.CONSENT, purpose.id
            assert purpose.consent_required, purpose.id
    assert "biometric.facial_image" in register.purposes["user_identification"].categories


def test_credit_bureau_transfers(register: Register) -> None:
    bureaus = register.recipients["credit_bureaus"]
    assert bureaus.role is RecipientRole.CREDIT_BUREAU
    assert bureaus.country == "KZ"
    assert not bureaus.cross_border
    assert bureaus.basis.citation is not None
    assert "No. 573-II" in bureaus.basis.citation
    reporting = register.purposes["credit_bureau_reporting"]
    assert reporting.basis.kind is BasisKind.LEGAL_OBLIGATION
    assert reporting.recipients == ("credit_bureaus",)
    assert {"identity.iin", "financial.loan"} <= set(bureaus.categories)
    assert {p.id for p in register.purposes_of_recipient("credit_bureaus")} == {
        "credit_application_assessment",
        "credit_bureau_reporting",
    }


def test_transfers_to_protect_the_mfos_rights(register: Register) -> None:
    recovery = register.purposes["debt_recovery"]
    assert recovery.clause is not None
    assert "p.4.2" in recovery.clause
    assert recovery.basis.kind is BasisKind.CONTRACT
    assert recovery.consent_required is False
    # p.4.2 speaks of unnamed third parties, not of collection agencies.
    third = register.recipients["collection_agencies"]
    assert third.role is RecipientRole.THIRD_PARTY and third.is_class
    assert "collection" not in third.names.en.lower()
    assert third.country is None
    assert set(third.categories) <= set(recovery.categories)


def test_service_providers_work_under_contracts_with_the_mfo(register: Register) -> None:
    # p.3.5: «лицам, оказывающим МФО услуги на основании заключенных договоров»: a
    # contract between the MFO and the provider, not a contract with the User.
    for rid in ("identification_services", "it_service_providers", "payment_providers"):
        assert register.recipients[rid].basis.kind is BasisKind.OPERATOR_CONTRACT, rid


def test_state_bodies_cite_the_law(register: Register) -> None:
    for recipient in register.recipients.values():
        if recipient.role is RecipientRole.STATE_BODY or recipient.basis.kind in (
            BasisKind.LEGAL_OBLIGATION,
            BasisKind.STATE_REQUEST,
        ):
            assert recipient.basis.citation, recipient.id
    assert "Article 9" in (register.recipients["state_bodies"].basis.citation or "")


def test_analytics_services_are_named_and_nothing_more(register: Register) -> None:
    analytics = [r for r in register.recipients.values() if r.source == "p.3.8"]
    assert [r.id for r in analytics] == ANALYTICS
    purposes = register.purposes["site_analytics"]
    for recipient in analytics:
        # p.3.8 names the services: no company, no country, no cross-border transfer.
        assert recipient.country is None, recipient.id
        assert not recipient.cross_border
        assert "LLC" not in recipient.names.en and "Inc" not in recipient.names.en, recipient.id
        assert recipient.id in purposes.recipients
        assert set(recipient.categories) <= set(purposes.categories)
    assert not any(w.code == "DRB007" for w in register.waivers)


def test_cookies_are_said_to_be_used_but_not_listed(register: Register) -> None:
    assert register.cookies == ()
    assert register.statement("cookies").unlisted
    assert register.statement("cookies").source == "p.2.1 items 3–4; p.3.7"


def test_one_consent_for_everything_is_kept_visible(register: Register) -> None:
    for purpose_id in ("marketing_offers", "site_analytics", "research_and_ad_optimisation"):
        purpose = register.purposes[purpose_id]
        assert purpose.basis.kind is BasisKind.CONSENT
        assert purpose.consent_bundled_with == ("microcredit_contract",)
        path = f"{register.purpose_path(purpose_id)}.consent_bundled_with[0]"
        clauses = _waiver_clauses(register, "DRB013", path)
        assert len(clauses) == 1
        assert "p.3.5" in clauses[0]


def test_consent_and_withdrawal(register: Register) -> None:
    consent = register.consent
    assert consent.channels == (ConsentChannel.PERSONAL_CABINET,)
    assert consent.separate_scopes == ()
    assert consent.withdrawal_source == "p.7.2"
    assert consent.withdrawal is not None
    assert "отозвать согласие" in consent.withdrawal.ru


def test_request_channel_and_minors(register: Register) -> None:
    assert register.request_channels
    # p.4.3, p.8.6: a written request to the contacts on the Site; no address in the policy.
    assert register.request_channels[0].address is None
    assert register.minors is None  # the policy says nothing about minors
    assert all(p.automated_decision is None for p in register.purposes.values())


def test_waivers_cite_clauses(register: Register) -> None:
    assert register.waivers
    for waiver in register.waivers:
        assert waiver.clause.startswith("p."), waiver
        assert waiver.reason.strip(), waiver


def test_texts_have_real_kazakh(register: Register) -> None:
    texts: list[tuple[str, Text]] = [(f"task {t.id}", t.labels) for t in register.tasks.values()]
    texts += [(f"purpose {p.id}", p.labels) for p in register.purposes.values()]
    for category in register.declared_custom_categories:
        texts.append((f"category {category}", register.categories[category].labels))
    for where, text in texts:
        assert KAZAKH_LETTERS.search(text.kk), where
        assert text.kk != text.ru, where


def test_lint_leaves_no_unwaived_finding(register: Register) -> None:
    from derbes.deadlines.adapters.regime_yaml import load_regime
    from derbes.register.model import lint

    findings = lint.lint(register, load_regime())
    # Only what the policy does not state, and the one assumption, stay open.
    assert {f.code for f in findings if not f.waived} == {"DRB023", "DRB028"}
    waived = {f.code for f in findings if f.waived}
    assert waived == {"DRB006", "DRB013", "DRB021", "DRB022"}


def test_protection_measures_and_complaint_routes(register: Register) -> None:
    d = register.disclosures
    measures = {m for s in d.security_measures for m in s.measures}
    assert {ProtectionMeasure.ENCRYPTION, ProtectionMeasure.NO_STAFF_COPYING,
            ProtectionMeasure.REVOKE_ON_DISMISSAL,
            ProtectionMeasure.INCIDENT_NOTIFICATION} <= measures
    assert {s.source for s in d.security_measures} >= {"p.3.10", "p.5.5", "p.5.6", "p.5.7"}
    assert {r.source for r in d.complaint_routes} == {"p.7.2"}

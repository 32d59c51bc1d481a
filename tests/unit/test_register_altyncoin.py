"""The register of MFO PROcredit, app «Altyncoin» (seed 004), says what its policy says.

The policy is thin: one open list of PD (p.2.3), purposes without data (p.4.2), no
retention term, no named recipient, and "silence after a change means consent"
(p.10.5). These tests pin that the register keeps each of those gaps visible as a
waived lint finding instead of filling it in.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from derbes.register.adapters.yaml import load_register
from derbes.register.model.lint import lint
from derbes.register.model.loaded import LoadedRegister
from derbes.register.model.register import (
    BasisKind,
    ChannelKind,
    ConsentChannel,
    OperatorKind,
    RecipientRole,
    Register,
    Sensitivity,
    SeparateScope,
)

REGISTER = Path(__file__).parents[2] / "registers" / "altyncoin.yaml"
KAZAKH_LETTERS = set("әғқңөұүһі")

# (purpose id, the policy clause it starts with), in the register's order.
PURPOSES = [
    ("registration_identification", "p.4.2.1"),
    ("personalised_access", "p.4.2.2"),
    ("provide_services", "p.4.2.3"),
    ("data_verification", "p.4.2.6"),
    ("feedback_notifications", "p.4.2.4"),
    ("customer_support", "p.4.2.7"),
    ("fraud_prevention_location", "p.4.2.5"),
    ("account_blocking", "p.5.3"),
    ("app_operation", "preamble"),
    ("service_improvement", "p.2.5"),
    ("legal_disclosures", "p.7.2.2"),
    ("app_sale_transfer", "p.7.2.3"),
    ("other_transfers", "p.7.2.4"),
]

# Every item of the list of PD of p.2.3 and the category it became.
P_2_3 = {
    "фамилия, имя, отчество": "identity.full_name",
    "ИИН": "identity.iin",
    "гражданство": "identity.citizenship",
    "пол": "identity.sex",
    "адрес места жительства": "address.residence",
    "адрес регистрации": "address.registration",
    "данные документа, удостоверяющего личность": "identity.id_document",
    "номер телефона Пользователя": "contact.phone",
    "номера телефонов контактных лиц": "contact.contact_persons",
    "адрес электронной почты": "contact.email",
    "данные банковской карты": "financial.card_details",
    "данные банковского счёта": "financial.iban",
    "онлайн-фотоснимок Пользователя": "biometric.facial_image",
    "онлайн-фотоснимок документа": "identity.id_document_image",
    "причастность к иностранным ПДЛ": "aml.pep_status",
    "статус бенефициарного собственника": "aml.beneficial_owner",
    "семейное положение и количество иждивенцев": "family.details",
    "сведения о микрокредите": "financial.loan",
    "информация об устройстве": "device.technical",
    "IP-адрес": "device.ip_address",
    "наименование и адрес места работы": "employment.details",
    "информация о браузерах": "online.browser",
    "информация из системного журнала сервера": "online.server_log",
    "cookie-файлы": "online.cookies",
    "пиксельные теги и иные технологии": "online.pixel_tags",
    "данные об использовании Интернет-ресурса": "online.activity",
    "информация о местонахождении": "location.geolocation",
    "дата и время доступа": "online.access_timestamps",
}

CONSENT_PURPOSES = {
    "registration_identification",
    "personalised_access",
    "data_verification",
    "feedback_notifications",
    "customer_support",
    "fraud_prevention_location",
    "app_operation",
    "service_improvement",
    "app_sale_transfer",
    "other_transfers",
}


@pytest.fixture(scope="module")
def loaded() -> LoadedRegister:
    return load_register(REGISTER)


@pytest.fixture(scope="module")
def register(loaded: LoadedRegister) -> Register:
    return loaded.register


def _waivers(register: Register) -> dict[tuple[str, str], str]:
    return {(w.code, w.path): w.clause for w in register.waivers}


def test_operator_identity(register: Register) -> None:
    op = register.operator
    assert op.id == "altyncoin"
    assert op.kind is OperatorKind.MICROFINANCE
    assert "PROcredit" in op.names.ru
    assert "микроқаржы ұйымы" in op.names.kk
    # The policy states no BIN: none is invented (DRB021, waived).
    assert op.bin is None
    assert ("DRB021", "operator.bin") in _waivers(register)
    assert op.contacts.email == "info-procredit@prozaimy.kz"
    assert op.apps == ("Altyncoin",)
    # Neither an address nor the database's country is stated: nothing is put in.
    assert op.legal_address is None
    assert op.primary_database_country is None
    assert op.copies_abroad == ()
    assert op.licence is None
    assert register.policy.languages == ("ru",)
    # No version and no date: the day of modelling is not the policy's date.
    assert register.policy.version is None
    assert register.policy.date is None
    assert register.policy.url is None
    assert register.policy.title is not None and "Altyncoin" in register.policy.title.ru


def test_silence_after_a_change_is_taken_as_consent_and_stays_visible(
    register: Register,
) -> None:
    change = register.policy.change
    assert change is not None
    assert change.silence_means_consent is True
    assert change.source is not None
    assert "p.10.5" in change.source
    assert "info-procredit@prozaimy.kz" in change.method.ru
    assert "10.5-т." in change.method.kk
    [drb012] = [f for f in lint(register) if f.code == "DRB012"]
    assert drb012.path == "policy.change.silence_means_consent"
    assert drb012.waived_by is not None
    assert drb012.waived_by.clause == "p.10.5"


def test_purposes_follow_the_policy(register: Register) -> None:
    assert list(register.purposes) == [pid for pid, _ in PURPOSES]
    for pid, clause in PURPOSES:
        purpose_clause = register.purposes[pid].clause
        assert purpose_clause is not None
        assert purpose_clause.startswith(clause), pid


def test_every_item_of_p_2_3_is_used(register: Register) -> None:
    used = register.used_categories
    for item, category in P_2_3.items():
        assert category in register.categories, item
        assert category in used, item


def test_custom_categories_are_declared_and_used(register: Register) -> None:
    custom = register.declared_custom_categories
    assert custom == {
        "online.browser",
        "online.server_log",
        "online.pixel_tags",
        "online.access_timestamps",
        "online.user_content",
        "security.culprit_documents",
        # «данные банковской карты» (p.2.3): the policy does not say they are tokenised.
        "financial.card_details",
    }
    assert custom <= register.used_categories


def test_device_data_are_only_what_the_policy_names(register: Register) -> None:
    # p.2.4: device functions serve only to collect the PD of p.2.3; the policy names
    # no contacts list, SMS, call log or installed apps, so none is modelled.
    for category in register.categories:
        for word in ("contacts_list", "sms", "call_log", "installed_apps", "phonebook"):
            assert word not in category, category
    location = register.purposes["fraud_prevention_location"]
    assert "location.geolocation" in location.categories
    assert [s.value for s in location.data_sources] == ["subject_device"]
    # p.7.3: with or without automation, for all processing.
    for purpose in register.purposes.values():
        assert [m.value for m in purpose.methods] == ["mixed"], purpose.id
        assert purpose.sources.of("methods") == "p.5.2; p.7.3", purpose.id
    operation = set(register.purposes["app_operation"].categories)
    assert {"device.technical", "device.ip_address", "online.server_log"} <= operation
    improvement = set(register.purposes["service_improvement"].categories)
    assert {"online.activity", "online.cookies", "online.pixel_tags"} <= improvement


def test_the_online_photo_is_biometric_and_needs_consent(register: Register) -> None:
    assert register.categories["biometric.facial_image"].sensitivity is Sensitivity.SPECIAL
    users = {p.id for p in register.purposes_for_category("biometric.facial_image")}
    assert users == {
        "registration_identification",
        "data_verification",
        "app_sale_transfer",
        "other_transfers",
    }
    for pid in users:
        purpose = register.purposes[pid]
        assert purpose.basis.kind is BasisKind.CONSENT, pid
        assert purpose.consent_required, pid


def test_no_retention_term_is_invented(register: Register) -> None:
    waivers = _waivers(register)
    for i, purpose in enumerate(register.purposes.values()):
        assert purpose.retention is None, purpose.id
        clause = waivers[("DRB001", f"purposes[{i}].retention")]
        assert "p.7.3" in clause
        assert "p.8.1" in clause


def test_every_list_is_open_as_p_2_3_is(register: Register) -> None:
    waivers = _waivers(register)
    for i, purpose in enumerate(register.purposes.values()):
        assert purpose.exhaustive is False, purpose.id
        assert "p.2.3" in waivers[("DRB006", f"purposes[{i}].exhaustive")]


def test_bases(register: Register) -> None:
    purposes = register.purposes
    services = purposes["provide_services"]
    assert services.basis.kind is BasisKind.CONTRACT
    assert services.basis.citation is not None
    assert "p. 4.1" in services.basis.citation
    # The policy does not name the Law on microfinance activity: it is not cited.
    assert "56-V" not in services.basis.citation
    assert services.basis.cite is not None and "4.1-т." in services.basis.cite.kk
    assert purposes["account_blocking"].basis.kind is BasisKind.CONTRACT
    legal = purposes["legal_disclosures"]
    assert legal.basis.kind is BasisKind.LEGAL_OBLIGATION
    assert legal.basis.citation is not None
    assert "94-V" in legal.basis.citation and "Article 9" in legal.basis.citation
    assert legal.consent_required is False
    consent = {p.id for p in purposes.values() if p.basis.kind is BasisKind.CONSENT}
    assert consent == CONSENT_PURPOSES
    assert not any(p.automated_decision for p in purposes.values())


def test_one_act_of_consent_for_everything_is_flagged(register: Register) -> None:
    waivers = _waivers(register)
    for pid in CONSENT_PURPOSES:
        purpose = register.purposes[pid]
        assert purpose.consent_required, pid
        assert purpose.consent_bundled_with == ("provide_services",), pid
        path = f"{register.purpose_path(pid)}.consent_bundled_with"
        assert "preamble" in waivers[("DRB013", path)], pid


def test_recipients_are_the_four_cases_of_p_7_2(register: Register) -> None:
    recipients = register.recipients
    assert {r: recipients[r].sources.source for r in recipients} == {
        "service_partners": "p.7.2.1; p.7.1",
        "state_bodies": "p.7.2.2",
        "foreign_law_recipients": "p.7.2.2",
        "app_acquirer": "p.7.2.3",
        "unnamed_third_parties": "p.7.2.4",
    }
    # The policy names no credit bureau, collector, bank, payment system, SMS gateway,
    # hosting or analytics provider: none is invented.
    roles = {r.role for r in recipients.values()}
    assert roles == {RecipientRole.THIRD_PARTY, RecipientRole.STATE_BODY}
    assert recipients["service_partners"].basis.kind is BasisKind.CONSENT
    state = recipients["state_bodies"]
    assert state.country == "KZ"  # a listed assumption: p.7.2.2 names the law, not a place
    assumed = {a.path for a in register.assumptions}
    assert "recipients[1].country" in assumed
    for rid in ("service_partners", "app_acquirer", "unnamed_third_parties"):
        assert recipients[rid].country is None, rid
    assert all(r.is_class for r in recipients.values() if r.id != "app_acquirer")
    assert state.basis.citation is not None
    assert "94-V" in state.basis.citation
    assert register.purposes["provide_services"].recipients == ("service_partners",)
    assert register.purposes["legal_disclosures"].recipients == (
        "state_bodies",
        "foreign_law_recipients",
    )


def test_each_recipient_receives_exactly_what_its_purposes_use(register: Register) -> None:
    for recipient in register.recipients.values():
        purposes = register.purposes_of_recipient(recipient.id)
        assert purposes, recipient.id
        needed = {c for p in purposes for c in p.categories}
        assert set(recipient.categories) <= needed, recipient.id
    acquirer = register.recipients["app_acquirer"]
    assert set(acquirer.categories) == set(register.purposes["app_sale_transfer"].categories)


def test_transfers_of_unknown_law_and_country_stay_visible(register: Register) -> None:
    waivers = _waivers(register)
    cross_border = {r.id: r.country for r in register.recipients.values() if r.cross_border}
    # Recipients under «иным применимым … законодательством» are abroad by the modeller's
    # reading (a listed assumption); p.7.2.4 names no place at all (not stated).
    assert cross_border == {"foreign_law_recipients": None}
    assert "recipients[2].abroad" in {a.path for a in register.assumptions}
    foreign_path = register.recipient_path("foreign_law_recipients")
    assert register.recipients["foreign_law_recipients"].cross_border_basis is None
    assert waivers[("DRB007", f"{foreign_path}.cross_border_basis")] == "p.7.2.2"
    assert register.recipients["unnamed_third_parties"].country is None
    foreign = register.recipients["foreign_law_recipients"]
    assert foreign.basis.citation is None
    assert (
        waivers[("DRB010", f"{register.recipient_path('foreign_law_recipients')}.basis.citation")]
        == "p.7.2.2"
    )
    assert SeparateScope.CROSS_BORDER_TRANSFER not in register.consent.separate_scopes


def test_no_cookie_is_invented(register: Register) -> None:
    # Cookies are used (p.2.3) and collected by default on download and use (p.3.2),
    # none is named: stated but not listed.
    assert register.cookies == ()
    assert register.statement("cookies").status.value == "unlisted"
    assert register.disclosures.cookie_policy is not None
    assert register.disclosures.cookie_policy.default.value == "set_by_default"


def test_consent_and_withdrawal(register: Register) -> None:
    consent = register.consent
    assert consent.channels == (ConsentChannel.MOBILE_APP,)
    assert consent.separate_scopes == (SeparateScope.THIRD_PARTY_TRANSFER,)
    assert consent.withdrawal_source == "p.6.1.5"
    assert consent.source is not None and "preamble" in consent.source
    assert consent.withdrawal is not None
    assert "письменного документа" in consent.withdrawal.ru
    assert "жазбаша құжат" in consent.withdrawal.kk
    assert "written document" in consent.withdrawal.en


def test_minors_are_not_processed(register: Register) -> None:
    assert register.minors is not None
    assert register.minors.processed is False
    assert register.minors.age_threshold == 18
    assert register.minors.source is not None
    assert "p.11.1" in register.minors.source


def test_request_channels(register: Register) -> None:
    kinds = [c.kind for c in register.request_channels]
    assert kinds == [
        ChannelKind.EMAIL,
        ChannelKind.POSTAL,
        ChannelKind.PHONE,
        ChannelKind.PERSONAL_CABINET,
    ]
    # p.6.1.5 (a written document «в адрес Компании») and p.6.2.6 (the call centre on the
    # official site) give no address and no number: stated channels, address not stated.
    assert register.request_channels[1].address is None
    assert register.request_channels[2].address is None
    email = register.request_channels[0]
    assert email.address == "info-procredit@prozaimy.kz"
    assert email.note is not None
    assert "p.10.4" in email.note.en
    for channel in register.request_channels:
        assert channel.source, channel.kind
    assert register.regime_overrides == ()


def test_lint_has_no_unwaived_findings_and_no_stale_waivers(register: Register) -> None:
    findings = lint(register)
    # Left open: what the policy does not state and the listed assumptions.
    assert {f.code for f in findings if not f.waived} == {"DRB023", "DRB028"}
    assert {f.code for f in findings if f.waived} == {
        "DRB001",
        "DRB006",
        "DRB007",
        "DRB010",
        "DRB012",
        "DRB013",
        "DRB021",
    }
    assert len([f for f in findings if f.waived]) == len(register.waivers)
    for waiver in register.waivers:
        assert waiver.clause.startswith(("p.", "preamble", "whole policy")), waiver
        assert waiver.reason.strip(), waiver


def test_waived_lines_are_located(loaded: LoadedRegister) -> None:
    assert loaded.line_of("policy.change.silence_means_consent") is not None
    assert loaded.line_of("purposes[12].retention") is not None


def test_kazakh_texts_use_kazakh_letters(register: Register) -> None:
    texts = [p.labels.kk for p in register.purposes.values()]
    texts += [r.names.kk for r in register.recipients.values()]
    texts += [t.labels.kk for t in register.tasks.values()]
    for text in texts:
        assert KAZAKH_LETTERS & set(text.lower()), text

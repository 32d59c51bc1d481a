"""The one retention-clock rule (retention/model/clocks.py) and the basis rules built on it,
against the seed registers: which purposes a subject is in, when each clock starts,
what withdrawal and the decision point do by legal basis."""

from __future__ import annotations

from datetime import date

import pytest

from derbes.deadlines.adapters.kz_calendar import calendar_for
from derbes.decisions.adapters.rules import load_decision_rules
from derbes.decisions.model import Action, ActionKind, DecisionIndex, SubjectState, decide
from derbes.register.adapters.yaml import load_register
from derbes.retention.model.clocks import ClockState, History, engaged, purpose_clock, start_of
from tests.retention_support import ROOT

KASSA24 = load_register(ROOT / "registers" / "kassa24.yaml").register
EXPRESS = load_register(ROOT / "registers" / "express-avans.yaml").register
KREDIT = load_register(ROOT / "registers" / "kredit-seven.yaml").register
QIWI = load_register(ROOT / "registers" / "qiwi-kz.yaml").register
ALTYNCOIN = load_register(ROOT / "registers" / "altyncoin.yaml").register

OPENED, CLOSED, WITHDRAWN = date(2026, 2, 2), date(2026, 8, 3), date(2026, 3, 2)
CONTRACT = frozenset({"contract"})


def test_a_consent_purpose_applies_only_under_a_consent() -> None:
    marketing = EXPRESS.purposes["marketing"]  # Express p.1.1, p.6.1
    assert not engaged(marketing, History())
    assert not engaged(marketing, History(linked=frozenset({"marketing"})))  # a link is no consent
    assert engaged(marketing, History(consent_live=frozenset({"marketing"})))
    assert engaged(marketing, History(consent_ended={"marketing": WITHDRAWN}))


def test_a_contract_purpose_applies_once_a_contract_exists() -> None:
    loan = EXPRESS.purposes["loan_contract"]
    assert not engaged(loan, History())
    assert engaged(loan, History(open_contracts=1, ever=CONTRACT))


def test_a_legal_purpose_applies_by_its_trigger() -> None:
    aml = QIWI.purposes["aml_antifraud"]  # transaction + 5 years (AML Law Art. 11 p.4)
    assert not engaged(aml, History(ever=CONTRACT))
    assert engaged(aml, History(ever=frozenset({"transaction"})))
    appeals = EXPRESS.purposes["appeals"]  # achieved when the appeal is answered
    assert not engaged(appeals, History(ever=CONTRACT))
    assert engaged(appeals, History(ever=frozenset({"request_answered"})))


def test_an_open_contract_keeps_contract_and_legal_purposes_running() -> None:
    aml = QIWI.purposes["aml_antifraud"]
    history = History(open_contracts=1, ever=frozenset({"contract", "transaction"}),
                      events={"transaction": date(2026, 5, 1)})
    assert start_of(aml, history) is None
    closed = History(last_contract_closed=CLOSED, ever=history.ever, events=history.events)
    assert purpose_clock(aml, closed).end_date == date(2031, 5, 1)


def test_a_consent_purpose_cannot_outlive_its_consent() -> None:
    # QIWI p.3.4.2: registration data are kept 5 years after the contract ends; once the
    # consent they rest on is withdrawn (Art. 8 p.2), the 5 years run from the withdrawal.
    registration = QIWI.purposes["registration_minimal_status"]
    live = History(open_contracts=1, ever=CONTRACT,
                   consent_live=frozenset({"registration_minimal_status"}))
    assert purpose_clock(registration, live).state is ClockState.RUNNING
    ended = History(open_contracts=1, ever=CONTRACT,
                    consent_ended={"registration_minimal_status": WITHDRAWN})
    assert purpose_clock(registration, ended).end_date == date(2031, 3, 2)


def test_purpose_achieved_is_derived_from_the_event_the_register_names() -> None:
    # Kredit Seven p.4.5: 30 working days after the purpose is achieved; the loan
    # purpose is achieved when the contract closes.
    loan = KREDIT.purposes["microcredit_contract"]
    history = History(last_contract_closed=CLOSED, ever=CONTRACT)
    clock = purpose_clock(loan, history, calendar_for)
    assert clock.trigger_date == CLOSED
    assert clock.end_date is not None and clock.end_date > CLOSED
    # Recorded explicitly earlier, the earlier day counts.
    early = History(last_contract_closed=CLOSED, ever=CONTRACT,
                    achieved={"microcredit_contract": date(2026, 7, 1)})
    assert start_of(loan, early) == date(2026, 7, 1)


def test_a_purpose_without_a_rule_is_kept_with_no_end_date() -> None:
    purpose = ALTYNCOIN.purposes["provide_services"]  # the policy states no term (DRB001)
    clock = purpose_clock(purpose, History(last_contract_closed=CLOSED, ever=CONTRACT))
    assert clock.state is ClockState.NO_END and clock.end_date is None


# ------------------------------------------------------------- decisions by basis

RULES = load_decision_rules()
KASSA = DecisionIndex.build(KASSA24, RULES)


def _use(purpose: str, *categories: str) -> Action:
    return Action(ActionKind.USE, "s", purpose, None, categories)


@pytest.mark.parametrize(("open_contract", "allowed"), [(True, True), (False, False)])
def test_a_contract_purpose_with_consent_collected_too_lives_on_the_contract(
        open_contract: bool, allowed: bool) -> None:
    # Kassa24 p.2.12: withdrawal is not allowed while an obligation is unfulfilled.
    state = SubjectState("s", withdrawn=frozenset({"payment_services"}),
                         processing_withdrawn=True, open_contract=open_contract)
    d = decide(KASSA, state, _use("payment_services", "contact.phone"))
    assert d.allowed is allowed
    if allowed:
        assert [r.code.value for r in d.reasons] == ["legal_basis"]


def test_transfers_for_the_service_need_no_separate_transfer_consent() -> None:
    # Kassa24 p.2.10: data go to payment systems and beneficiaries to provide the service.
    state = SubjectState("s", open_contract=True)
    for recipient in ("payment_systems", "beneficiaries"):
        d = decide(KASSA, state, Action(ActionKind.TRANSFER, "s",
                                        "transaction_clearing_confirmation", recipient,
                                        ("financial.transactions",)))
        assert d.allowed, (recipient, d.reasons)
        assert "recipient_basis" in [r.code.value for r in d.reasons]
    # The identification exchange rests on consent: it still needs the transfer consent.
    d = decide(KASSA, SubjectState("s", consents={"biometric_identification": "c1"}),
               Action(ActionKind.TRANSFER, "s", "biometric_identification",
                      "npc_identification_exchange", ("biometric.facial_image",)))
    assert not d.allowed and "transfer_not_consented" in [r.code.value for r in d.reasons]

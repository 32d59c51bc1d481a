"""The decision point's rules: every reason, allowed and denied, with its citation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derbes.consent.model.consent import ScopeKind
from derbes.decisions.adapters.rules import load_decision_rules, parse_decision_rules
from derbes.decisions.model import (
    ALL,
    Action,
    ActionKind,
    ConsentFact,
    ConsentTimes,
    Decision,
    DecisionIndex,
    ReasonCode,
    SubjectFacts,
    SubjectState,
    consent_fact,
    decide,
    decide_many,
    state_of,
    unknown_subject,
)
from derbes.errors import ConfigurationError, InputError
from derbes.platform.labels import Lang
from derbes.register.adapters.yaml import load_register

FIXTURE = Path(__file__).parents[1] / "fixtures" / "registers" / "decisions.yaml"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RULES = load_decision_rules()
REGISTER = load_register(FIXTURE).register
INDEX = DecisionIndex.build(REGISTER, RULES)
LAW = RULES.reasons  # fallback citations


def use(purpose: str, *categories: str, subject: str = "s") -> Action:
    return Action(ActionKind.USE, subject, purpose, None, categories)


def transfer(purpose: str, recipient: str, *categories: str,
             kind: ActionKind = ActionKind.TRANSFER) -> Action:
    return Action(kind, "s", purpose, recipient, categories)


def publish(*categories: str) -> Action:
    return Action(ActionKind.PUBLISH, "s", None, None, categories)


def consented(*purposes: str, transfer_to: tuple[str, ...] = (),
              cross_border_to: tuple[str, ...] = (), publication: bool = False,
              **state: object) -> SubjectState:
    consents = {p: f"c-{p}" for p in purposes}
    return SubjectState(
        "s", consents=consents,
        transfer_consents={r: f"t-{r}" for r in transfer_to},
        cross_border_consents={r: f"x-{r}" for r in cross_border_to},
        publication_consent="p-1" if publication else None,
        **state,  # type: ignore[arg-type]
    )


def codes(decision: Decision) -> list[str]:
    return [r.code.value for r in decision.reasons]


# ------------------------------------------------------------------ allowed


def test_consent_allows_with_the_consent_id_and_its_law() -> None:
    d = decide(INDEX, consented("newsletters"), use("newsletters", "contact.email"))
    assert d.allowed
    (reason,) = d.reasons
    assert reason.code is ReasonCode.CONSENT and reason.allowed
    assert reason.ref == "c-newsletters"
    assert reason.citation == LAW[ReasonCode.CONSENT].citation
    assert "newsletters" in reason.message


def test_legal_basis_allows_with_the_registers_citation() -> None:
    d = decide(INDEX, SubjectState("s"), use("aml_identification", "identity.iin"))
    assert d.allowed
    assert codes(d) == ["legal_basis"]
    assert d.reasons[0].citation == "AML Law No. 191-IV of 28 Aug 2009, Art. 5"


def test_a_contract_purpose_marked_consent_required_needs_consent() -> None:
    # payment_service: basis contract, but the register says consent is required.
    denied = decide(INDEX, SubjectState("s"), use("payment_service", "contact.phone"))
    assert codes(denied) == ["consent_absent"]
    allowed = decide(INDEX, consented("payment_service"), use("payment_service", "contact.phone"))
    assert allowed.allowed


def test_transfer_to_a_processor_rests_on_the_purpose_and_the_instruction() -> None:
    d = decide(INDEX, consented("payment_service"),
               transfer("payment_service", "card_processor", "financial.card_token"))
    assert d.allowed
    assert codes(d) == ["consent", "processor"]
    assert d.reasons[1].citation == "Processing agreement"


def test_transfer_on_a_legal_basis_cites_the_recipients_basis() -> None:
    d = decide(INDEX, SubjectState("s"),
               transfer("aml_identification", "afm", "identity.iin"))
    assert d.allowed
    assert codes(d) == ["legal_basis", "recipient_basis"]
    assert d.reasons[1].citation == "AML Law No. 191-IV, Art. 10"


def test_transfer_to_a_third_party_needs_its_own_consent() -> None:
    state = consented("credit_check", transfer_to=("credit_bureau",))
    d = decide(INDEX, state, transfer("credit_check", "credit_bureau", "identity.iin"))
    assert d.allowed
    assert codes(d) == ["consent", "transfer_consent"]
    assert d.reasons[1].ref == "t-credit_bureau"
    everyone = SubjectState("s", consents={"credit_check": "c1"}, transfer_consents={ALL: "t*"})
    assert decide(INDEX, everyone,
                  transfer("credit_check", "credit_bureau", "identity.iin")).allowed


def test_cross_border_with_an_adequate_protection_basis_needs_no_cross_border_consent() -> None:
    state = consented("credit_check", transfer_to=("cloud_eu",))
    for kind in (ActionKind.TRANSFER, ActionKind.CROSS_BORDER):
        d = decide(INDEX, state, transfer("credit_check", "cloud_eu", "identity.iin", kind=kind))
        assert d.allowed
        assert codes(d) == ["consent", "transfer_consent", "cross_border_basis"]
        assert d.reasons[2].citation == "Law 94-V Art. 16 p.1; Convention 108"


def test_cross_border_with_consent() -> None:
    state = consented("credit_check", transfer_to=(ALL,), cross_border_to=("analytics_abroad",))
    d = decide(INDEX, state, transfer("credit_check", "analytics_abroad", "identity.full_name",
                                      kind=ActionKind.CROSS_BORDER))
    assert d.allowed
    assert codes(d) == ["consent", "transfer_consent", "cross_border_consent"]
    assert d.reasons[2].ref == "x-analytics_abroad"
    assert d.reasons[2].citation == LAW[ReasonCode.CROSS_BORDER_CONSENT].citation


def test_publication_with_consent() -> None:
    d = decide(INDEX, consented(publication=True), publish("identity.full_name"))
    assert d.allowed
    assert codes(d) == ["publication_consent"]
    assert d.reasons[0].ref == "p-1"


# ------------------------------------------------------------------ denied


def test_unknown_and_destroyed_subjects_say_only_that() -> None:
    d = decide(INDEX, unknown_subject("x"), use("aml_identification", "identity.iin"))
    assert codes(d) == ["subject_unknown"]
    gone = SubjectState("s", destroyed=True, blocked=True)
    assert codes(decide(INDEX, gone, use("aml_identification", "identity.iin"))) == \
        ["subject_destroyed"]
    assert codes(decide(INDEX, gone, publish("identity.iin"))) == ["subject_destroyed"]


def test_blocked_subject_and_categories() -> None:
    blocked = SubjectState("s", blocked=True)
    d = decide(INDEX, blocked, use("aml_identification", "identity.iin"))
    assert not d.allowed
    assert codes(d) == ["subject_blocked"]
    assert d.reasons[0].citation == LAW[ReasonCode.SUBJECT_BLOCKED].citation
    some = SubjectState("s", blocked_categories=frozenset({"identity.iin"}))
    d = decide(INDEX, some, use("aml_identification", "identity.iin", "identity.full_name"))
    assert codes(d) == ["category_blocked"]
    assert d.reasons[0].ref == "identity.iin"
    assert decide(INDEX, some, use("aml_identification", "identity.full_name")).allowed


def test_destroyed_category() -> None:
    state = SubjectState("s", destroyed_categories=frozenset({"identity.iin"}))
    d = decide(INDEX, state, transfer("aml_identification", "afm", "identity.iin"))
    assert codes(d) == ["category_destroyed"]
    assert d.reasons[0].ref == "identity.iin"


def test_category_not_needed_and_not_for_the_recipient() -> None:
    d = decide(INDEX, consented("newsletters"), use("newsletters", "contact.email",
                                                      "identity.iin"))
    assert codes(d) == ["category_not_needed"]
    assert d.reasons[0].ref == "identity.iin"
    assert "Art. 7" in d.reasons[0].citation
    # afm receives full name and IIN only; the purpose needs the ID document too.
    d = decide(INDEX, SubjectState("s"),
               transfer("aml_identification", "afm", "identity.id_document"))
    assert codes(d) == ["category_not_for_recipient"]


def test_retention_expired() -> None:
    state = SubjectState("s", retention_expired=frozenset({"aml_identification"}))
    d = decide(INDEX, state, use("aml_identification", "identity.iin"))
    assert codes(d) == ["retention_expired"]
    assert d.reasons[0].citation == "AML Law No. 191-IV of 28 Aug 2009, Art. 11 p.4"
    assert decide(INDEX, state, use("payment_service", "contact.phone")).reasons[0].code \
        is ReasonCode.CONSENT_ABSENT


def test_recipient_not_declared_for_the_purpose() -> None:
    d = decide(INDEX, SubjectState("s"), transfer("aml_identification", "police",
                                                  "identity.iin"))
    assert codes(d) == ["recipient_not_declared"]
    assert d.reasons[0].ref == "police"


def test_cross_border_asked_for_a_domestic_recipient() -> None:
    d = decide(INDEX, SubjectState("s"), transfer("aml_identification", "afm", "identity.iin",
                                                  kind=ActionKind.CROSS_BORDER))
    assert codes(d) == ["recipient_not_abroad"]


def test_recipient_abroad_without_cross_border_consent() -> None:
    state = consented("credit_check", transfer_to=(ALL,))
    for kind in (ActionKind.TRANSFER, ActionKind.CROSS_BORDER):  # a transfer abroad is one
        d = decide(INDEX, state, transfer("credit_check", "analytics_abroad",
                                          "identity.full_name", kind=kind))
        assert codes(d) == ["cross_border_not_allowed"]
        assert d.reasons[0].citation == LAW[ReasonCode.CROSS_BORDER_NOT_ALLOWED].citation


def test_transfer_not_consented() -> None:
    d = decide(INDEX, consented("credit_check"),
               transfer("credit_check", "credit_bureau", "identity.iin"))
    assert codes(d) == ["transfer_not_consented"]


def test_publication_not_consented() -> None:
    d = decide(INDEX, consented("newsletters"), publish("contact.email"))
    assert codes(d) == ["publication_not_consented"]


@pytest.mark.parametrize(("field", "code"), [
    ("withdrawn", "consent_withdrawn"),
    ("expired", "consent_expired"),
    ("reconsent", "reconsent_required"),
])
def test_why_consent_is_missing(field: str, code: str) -> None:
    state = SubjectState("s", **{field: frozenset({"newsletters"})})  # type: ignore[arg-type]
    d = decide(INDEX, state, use("newsletters", "contact.email"))
    assert codes(d) == [code]
    assert d.reasons[0].citation == LAW[ReasonCode(code)].citation


def test_minor_without_representative() -> None:
    state = SubjectState("s", minor_without_representative=True)
    d = decide(INDEX, state, use("newsletters", "contact.email"))
    assert codes(d) == ["minor_without_representative"]
    assert "Art. 8" in d.reasons[0].citation
    # A legal obligation does not rest on consent: a minor's AML check goes on.
    assert decide(INDEX, state, use("aml_identification", "identity.iin")).allowed


def test_every_denial_is_listed() -> None:
    state = SubjectState("s", blocked=True, blocked_categories=frozenset({"contact.email"}),
                         withdrawn=frozenset({"newsletters"}))
    d = decide(INDEX, state, use("newsletters", "contact.email", "contact.phone"))
    assert codes(d) == ["subject_blocked", "category_blocked", "category_not_needed",
                        "consent_withdrawn"]
    assert all(not r.allowed and r.citation for r in d.reasons)


def test_every_reason_code_has_its_text_in_three_languages() -> None:
    for lang in Lang:
        index = DecisionIndex.build(REGISTER, RULES, lang)
        d = decide(index, consented("newsletters"), use("newsletters", "contact.email"))
        assert d.reasons[0].message == RULES.reasons[ReasonCode.CONSENT].message.get(lang) \
            .format(purpose="newsletters")
    assert set(RULES.reasons) == set(ReasonCode)


# ------------------------------------------------------------------ input errors


@pytest.mark.parametrize(("action", "field"), [
    (use("no_such_purpose", "contact.email"), "purpose"),
    (Action(ActionKind.USE, "s", None, None, ("contact.email",)), "purpose"),
    (transfer("credit_check", "nobody", "identity.iin"), "recipient"),
    (Action(ActionKind.TRANSFER, "s", "credit_check", None, ("identity.iin",)), "recipient"),
    (use("newsletters", "no.such.category"), "categories"),
    (use("newsletters"), "categories"),
    (publish(), "categories"),
])
def test_input_errors_are_not_denials(action: Action, field: str) -> None:
    with pytest.raises(InputError) as caught:
        decide(INDEX, consented("newsletters"), action)
    assert caught.value.field == field
    with pytest.raises(InputError):
        INDEX.check(action)


def test_decide_many_treats_missing_states_as_unknown() -> None:
    out = decide_many(INDEX, {"s": consented("newsletters")},
                      [use("newsletters", "contact.email"),
                       use("newsletters", "contact.email", subject="ghost")])
    assert [d.allowed for d in out] == [True, False]
    assert codes(out[1]) == ["subject_unknown"]


def test_rules_file_must_cover_every_code() -> None:
    with pytest.raises(ConfigurationError):
        parse_decision_rules("reasons:\n  consent: {allowed: true, citation: x, message: "
                             "{ru: a, kk: b, en: c}}\n")


# ------------------------------------------------------------------ state_of


def test_state_of_reduces_consents_as_of_now() -> None:
    past, future = NOW - timedelta(days=1), NOW + timedelta(days=1)
    facts = SubjectFacts("s", consents=[
        ConsentFact("a", purposes=("newsletters",), given_at=past),
        ConsentFact("b", purposes=("credit_check",), withdrawn_at=past, given_at=past),
        ConsentFact("c", purposes=("payment_service",), valid_until=past, given_at=past),
        ConsentFact("d", purposes=("state_requests",), needs_reconsent_since=past,
                    given_at=past),
        ConsentFact("e", transfer_to=("credit_bureau",), valid_until=future, given_at=past),
        ConsentFact("f", cross_border_to=(ALL,), given_at=past),
        ConsentFact("g", publication=True, given_at=past),
    ])
    state = state_of(facts, NOW)
    assert state.consents == {"newsletters": "a"}
    assert state.withdrawn == {"credit_check"}
    assert state.expired == {"payment_service"}
    assert state.reconsent == {"state_requests"}
    assert state.transfer_consents == {"credit_bureau": "e"}
    assert state.cross_border_consents == {ALL: "f"}
    assert state.publication_consent == "g"
    assert not state.restricted


def test_a_valid_consent_wins_over_a_withdrawn_one_for_the_same_purpose() -> None:
    facts = SubjectFacts("s", consents=[
        ConsentFact("old", purposes=("newsletters",), withdrawn_at=NOW - timedelta(hours=2),
                    given_at=NOW - timedelta(days=9)),
        ConsentFact("new", purposes=("newsletters",), given_at=NOW - timedelta(hours=1)),
    ])
    state = state_of(facts, NOW)
    assert state.consents == {"newsletters": "new"}
    assert state.withdrawn == frozenset()


def test_a_minor_consenting_alone_counts_for_nothing() -> None:
    alone = ConsentFact("a", purposes=("newsletters",))
    by_parent = ConsentFact("b", purposes=("credit_check",), by_representative=True)
    state = state_of(SubjectFacts("s", minor=True, consents=[alone, by_parent]), NOW)
    assert state.consents == {"credit_check": "b"}
    assert state.minor_without_representative
    d = decide(INDEX, state, use("newsletters", "contact.email"))
    assert codes(d) == ["minor_without_representative"]
    assert decide(INDEX, state, use("credit_check", "identity.iin")).allowed


def test_consent_fact_maps_each_scope() -> None:
    def fact(kind: ScopeKind) -> ConsentFact:
        return consent_fact("c", kind, ("newsletters",), ("credit_bureau",),
                            ConsentTimes(given_at=NOW, expired_at=NOW))
    assert fact(ScopeKind.PROCESSING).purposes == ("newsletters",)
    assert fact(ScopeKind.MARKETING).purposes == ("newsletters",)
    assert fact(ScopeKind.THIRD_PARTY_TRANSFER).transfer_to == ("credit_bureau",)
    assert fact(ScopeKind.CROSS_BORDER_TRANSFER).cross_border_to == ("credit_bureau",)
    assert fact(ScopeKind.PUBLICATION).publication
    cookies = fact(ScopeKind.COOKIES)
    assert not (cookies.purposes or cookies.transfer_to or cookies.publication)
    assert cookies.valid_until == NOW  # expired_at ends it


# ------------------------------------------------------------------ properties

PURPOSES = sorted(REGISTER.purposes)
RECIPIENTS = sorted(REGISTER.recipients)
CATEGORIES = sorted(REGISTER.categories)

actions = st.builds(
    Action,
    kind=st.sampled_from(list(ActionKind)),
    subject_id=st.just("s"),
    purpose=st.sampled_from(PURPOSES),
    recipient=st.sampled_from(RECIPIENTS),
    categories=st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=4).map(tuple),
)
states = st.builds(
    SubjectState,
    subject_id=st.just("s"),
    blocked=st.booleans(),
    blocked_categories=st.frozensets(st.sampled_from(CATEGORIES), max_size=3),
    destroyed_categories=st.frozensets(st.sampled_from(CATEGORIES), max_size=3),
    consents=st.dictionaries(st.sampled_from(PURPOSES), st.just("c1")),
    transfer_consents=st.dictionaries(st.sampled_from([*RECIPIENTS, ALL]), st.just("t1")),
    cross_border_consents=st.dictionaries(st.sampled_from([*RECIPIENTS, ALL]), st.just("x1")),
    publication_consent=st.sampled_from([None, "p1"]),
)


@settings(max_examples=400, deadline=None)
@given(state=states, action=actions)
def test_a_blocked_subject_is_never_allowed_anything(state: SubjectState,
                                                     action: Action) -> None:
    blocked = SubjectState(**{**{f: getattr(state, f) for f in (
        "subject_id", "blocked_categories", "destroyed_categories", "consents",
        "transfer_consents", "cross_border_consents", "publication_consent")},
        "blocked": True})
    d = decide(INDEX, blocked, action)
    assert not d.allowed
    assert ReasonCode.SUBJECT_BLOCKED in d.codes


@settings(max_examples=400, deadline=None)
@given(state=states, action=actions)
def test_a_destroyed_or_blocked_category_is_never_allowed(state: SubjectState,
                                                          action: Action) -> None:
    d = decide(INDEX, state, action)
    touched = set(action.categories)
    if touched & (state.destroyed_categories | state.blocked_categories):
        assert not d.allowed
    if touched & state.destroyed_categories:
        assert ReasonCode.CATEGORY_DESTROYED in d.codes


@settings(max_examples=400, deadline=None)
@given(state=states, action=actions)
def test_a_category_the_purpose_does_not_need_is_denied(state: SubjectState,
                                                        action: Action) -> None:
    d = decide(INDEX, state, action)
    if action.kind is ActionKind.PUBLISH:
        return
    needed = set(REGISTER.purposes[action.purpose or ""].categories)
    if not set(action.categories) <= needed:
        assert not d.allowed
        assert ReasonCode.CATEGORY_NOT_NEEDED in d.codes


@settings(max_examples=300, deadline=None)
@given(state=states, action=actions)
def test_allowed_has_only_allowing_reasons_and_denied_only_denying(state: SubjectState,
                                                                   action: Action) -> None:
    d = decide(INDEX, state, action)
    assert d.reasons
    assert all(r.allowed == d.allowed and r.citation for r in d.reasons)


def test_a_contract_purpose_goes_on_after_withdrawal_only_while_a_contract_is_open() -> None:
    # loan-like purpose: basis contract, no consent needed.
    register = load_register(Path(__file__).parents[2] / "registers" / "express-avans.yaml")
    index = DecisionIndex.build(register.register, RULES)
    action = use("loan_contract", "identity.iin")
    assert decide(index, SubjectState("s"), action).allowed  # an applicant, no consent yet
    objected = SubjectState("s", processing_withdrawn=True, open_contract=True)
    assert decide(index, objected, action).allowed
    closed = SubjectState("s", processing_withdrawn=True, open_contract=False)
    d = decide(index, closed, action)
    assert codes(d) == ["no_obligation"]
    assert "Art. 8 p.2" in d.reasons[0].citation
    # Law-based purposes are not stopped by the objection (their retention is).
    assert decide(index, closed, use("aml_cft", "identity.iin")).allowed


def test_state_of_tells_an_objection_from_a_later_consent() -> None:
    day = timedelta(days=1)
    withdrawn = ConsentFact("a", processing=True, purposes=("newsletters",),
                            given_at=NOW - 5 * day, withdrawn_at=NOW - 3 * day)
    assert state_of(SubjectFacts("s", consents=[withdrawn]), NOW).processing_withdrawn
    again = ConsentFact("b", processing=True, purposes=("newsletters",), given_at=NOW - day)
    assert not state_of(SubjectFacts("s", consents=[withdrawn, again]),
                        NOW).processing_withdrawn
    marketing = ConsentFact("m", purposes=("newsletters",), given_at=NOW - 5 * day,
                            withdrawn_at=NOW - day)
    assert not state_of(SubjectFacts("s", consents=[marketing]), NOW).processing_withdrawn
    state = state_of(SubjectFacts("s", open_contract=True, consents=[withdrawn]), NOW)
    assert state.open_contract and not state.restricted

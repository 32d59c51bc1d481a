"""Consent rules (consent/model/consent.py, lifecycle/model.py) against the Express Аванс register."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from derbes.consent.adapters.rules import load_consent_rules
from derbes.consent.model import consent as c
from derbes.consent.model import withdrawal as w
from derbes.consent.model.consent import (
    ConsentChannel,
    Evidence,
    GivenBy,
    Representative,
    Scope,
    ScopeKind,
)
from derbes.consent.model.withdrawal import OutcomeReason, OutcomeStatus
from derbes.deadlines.model.periods import Period
from derbes.errors import ConflictError, InputError, LegalRestrictionError
from derbes.lifecycle import model as lifecycle
from derbes.register.model.register import (
    BasisKind,
    Cookie,
    CookieCategory,
    CookieParty,
    LegalBasis,
    Register,
)
from derbes.retention.model.clocks import History, purpose_clocks
from tests.consent_support import (
    CONTRACT_PURPOSES,
    LEGAL_PURPOSES,
    express,
    marketing,
    processing,
    transfer,
)

RULES = load_consent_rules()
REGISTER = express().register
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TODAY = NOW.date()


def _consent(scope: Scope, **kw: object) -> c.Consent:
    return c.Consent(id=f"c-{scope.kind.value}", act_id="a", subject_id="s", operator_id="op",
                     scope=scope, policy_version="1", policy_hash="h" * 64,
                     channel=ConsentChannel.WEB_CHECKBOX, evidence_refs={},
                     given_by=GivenBy.SUBJECT, given_at=NOW, **kw)  # type: ignore[arg-type]


def _by_purpose(outcomes: tuple[w.WithdrawalOutcome, ...]) -> dict[str | None, w.WithdrawalOutcome]:
    return {o.purpose: o for o in outcomes}


# ------------------------------------------------------------------ the register


def test_the_fixture_lists_match_the_register_bases() -> None:
    kinds = {p.id: p.basis.kind for p in REGISTER.purposes.values()}
    assert {p for p in CONTRACT_PURPOSES} == {k for k, v in kinds.items()
                                              if v is BasisKind.CONTRACT}
    assert set(LEGAL_PURPOSES) == {k for k, v in kinds.items()
                                   if v in (BasisKind.LEGAL_OBLIGATION, BasisKind.STATE_REQUEST)}
    assert c.marketing_purposes(REGISTER) == ("marketing",)


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(("scope", "field"), [
    (processing("no_such_purpose"), "scopes[0].purposes"),
    (transfer("no_such_recipient"), "scopes[0].recipients"),
    (Scope(ScopeKind.CROSS_BORDER_TRANSFER, recipients=("credit_bureaus",)),
     "scopes[0].recipients"),
    (processing(), "scopes[0].purposes"),
    (Scope(ScopeKind.PUBLICATION, purposes=("statistics",)), "scopes[0].purposes"),
    (Scope(ScopeKind.COOKIES, cookie_categories=("analytics",)), "scopes[0].cookie_categories"),
    (Scope(ScopeKind.COOKIES, cookie_categories=("crumbs",)), "scopes[0].cookie_categories"),
])
def test_unknown_or_misplaced_ids_are_refused_naming_the_field(scope: Scope, field: str) -> None:
    with pytest.raises(InputError) as caught:
        c.validate_scopes(REGISTER, [scope], RULES)
    assert caught.value.field == field


def test_unknown_scope_kind_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        c.validate_scopes(REGISTER, [processing("statistics"),
                                     Scope("gossip", ())], RULES)  # type: ignore[arg-type]
    assert caught.value.field == "scopes[1].kind"


def test_consent_for_a_purpose_that_needs_none_is_an_input_error() -> None:
    # loan_contract: basis contract, consent_required false.
    with pytest.raises(InputError) as caught:
        c.validate_scopes(REGISTER, [processing("statistics", "loan_contract")], RULES)
    assert caught.value.field == "scopes[0].purposes"
    assert "loan_contract" in caught.value.message
    assert "needs no consent" in caught.value.message


def test_consent_for_a_transfer_that_needs_none_is_an_input_error() -> None:
    # afm: the AML law requires the reports; no consent involved.
    with pytest.raises(InputError) as caught:
        c.validate_scopes(REGISTER, [transfer("afm")], RULES)
    assert caught.value.field == "scopes[0].recipients"


def test_a_scope_given_twice_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        c.validate_scopes(REGISTER, [processing("statistics"), processing("customer_database")],
                          RULES)
    assert caught.value.field == "scopes[1].kind"


def test_scopes_are_resolved() -> None:
    scopes = c.validate_scopes(REGISTER, [
        processing("statistics", "statistics", "customer_database"),
        marketing(), transfer("*"),
    ], RULES)
    assert scopes[0].purposes == ("statistics", "customer_database")
    assert scopes[1].purposes == ("marketing",)
    assert set(scopes[2].recipients) >= {"credit_bureaus", "pension_centre"}
    assert "afm" not in scopes[2].recipients and "processors" not in scopes[2].recipients


def test_cookie_consent_needs_declared_non_essential_categories() -> None:
    with_cookies = replace(REGISTER, cookies=(
        Cookie("_ga", CookieCategory.ANALYTICS, CookieParty.THIRD, Period.parse("1 year"),
               REGISTER.purposes["statistics"].labels),))
    ok = c.validate_scopes(with_cookies, [Scope(ScopeKind.COOKIES,
                                                cookie_categories=("analytics",))], RULES)
    assert ok[0].cookie_categories == ("analytics",)
    with pytest.raises(InputError):
        c.validate_scopes(with_cookies, [Scope(ScopeKind.COOKIES,
                                               cookie_categories=("strictly_necessary",))], RULES)


# ------------------------------------------------------------------ who, evidence, term


def test_a_minor_alone_is_refused_citing_article_8() -> None:
    with pytest.raises(LegalRestrictionError) as caught:
        c.check_given_by(GivenBy.SUBJECT, None, True, RULES)
    assert "Art. 8" in caught.value.citation
    assert caught.value.field == "given_by"


def test_a_minor_with_a_representative_and_document_is_accepted() -> None:
    rep = Representative(" Ana Testova ", "birth certificate", "I-AB 123", "mother")
    assert c.check_given_by(GivenBy.REPRESENTATIVE, rep, True, RULES) == replace(
        rep, full_name="Ana Testova")


def test_a_representative_needs_a_document() -> None:
    with pytest.raises(InputError) as caught:
        c.check_given_by(GivenBy.REPRESENTATIVE, Representative("A", "passport", " "), True,
                         RULES)
    assert caught.value.field == "representative.document_number"
    with pytest.raises(InputError):
        c.check_given_by(GivenBy.REPRESENTATIVE, None, False, RULES)


def test_an_adult_may_give_it_alone() -> None:
    assert c.check_given_by(GivenBy.SUBJECT, None, False, RULES) is None
    assert c.check_given_by(GivenBy.SUBJECT, None, None, RULES) is None


def test_age_of_majority_is_counted_from_the_birth_date() -> None:
    majority = Period.parse("18 years")
    assert c.is_minor(date(2008, 1, 6), date(2026, 1, 5), majority)
    assert not c.is_minor(date(2008, 1, 5), date(2026, 1, 5), majority)


def test_each_channel_needs_its_evidence() -> None:
    with pytest.raises(InputError) as caught:
        c.check_evidence(ConsentChannel.SMS_OTP, Evidence(otp_code="123456"), RULES)
    assert caught.value.field == "evidence.otp_reference"
    with pytest.raises(InputError) as caught:
        c.check_evidence(ConsentChannel.SIGNED_PAPER, Evidence(ip="10.0.0.1"), RULES)
    assert caught.value.field == "evidence.document_number"
    ok = c.check_evidence(ConsentChannel.THREE_DS, Evidence(three_ds_reference=" 3ds-1 "), RULES)
    assert ok.references() == {"three_ds_reference": "3ds-1"}


def test_evidence_splits_pd_from_references() -> None:
    ev = Evidence(ip="10.0.0.1", user_agent="UA", document_number="N1", otp_reference="r",
                  otp_code="1")
    assert ev.sealed_part() == {"ip": "10.0.0.1", "user_agent": "UA", "document_number": "N1"}
    assert ev.references() == {"otp_reference": "r"}
    assert "10.0.0.1" not in repr(ev)


def test_valid_until_must_follow_the_giving() -> None:
    with pytest.raises(InputError):
        c.check_valid_until(NOW, NOW - timedelta(days=1))
    c.check_valid_until(NOW, NOW + timedelta(days=365))


def test_the_fingerprint_ignores_pd_but_not_the_scopes() -> None:
    base = c.request_fingerprint("s", [processing("statistics")], ConsentChannel.SMS_OTP,
                                 Evidence(ip="1.1.1.1", otp_reference="r"), GivenBy.SUBJECT,
                                 None)
    other_ip = c.request_fingerprint("s", [processing("statistics")], ConsentChannel.SMS_OTP,
                                     Evidence(ip="2.2.2.2", otp_reference="r"),
                                     GivenBy.SUBJECT, None)
    other_scope = c.request_fingerprint("s", [processing("customer_database")],
                                        ConsentChannel.SMS_OTP, Evidence(otp_reference="r"),
                                        GivenBy.SUBJECT, None)
    assert base == other_ip != other_scope


def test_status_follows_term_and_withdrawal() -> None:
    consent = _consent(processing("statistics"), valid_until=NOW + timedelta(days=1))
    assert consent.status_on(NOW) is c.ConsentStatus.ACTIVE
    assert consent.status_on(NOW + timedelta(days=2)) is c.ConsentStatus.EXPIRED
    assert replace(consent, withdrawn_at=NOW).status_on(NOW) is c.ConsentStatus.WITHDRAWN


# ------------------------------------------------------------------ withdrawal

# The subject withdrew consent to statistics and the customer database today; the
# values were also collected for security logging and a state body's request.
WITHDRAWN = {"statistics": TODAY, "customer_database": TODAY}
LINKED = frozenset({"security", "state_cooperation"})
OPEN = History(open_contracts=1, ever=frozenset({"contract"}), consent_ended=WITHDRAWN,
               linked=LINKED)
CLOSED = History(open_contracts=0, last_contract_closed=date(2026, 3, 2),
                 ever=frozenset({"contract"}), consent_ended=WITHDRAWN, linked=LINKED)
STOP_BY = date(2026, 1, 26)  # 15 working days (Art. 8 p.7)


def _terms(history: History, on: date = TODAY, register: Register = REGISTER
           ) -> w.WithdrawalTerms:
    """The terms a withdrawal on ``on`` is answered with: clocks from the one clock rule."""
    clocks = {k.purpose: k for k in purpose_clocks(register.purposes.values(), history)}
    return w.WithdrawalTerms(on, clocks, history.open_contracts, history.last_contract_closed,
                             STOP_BY, "Law 94-V Art. 8 p.7")


def test_processing_withdrawal_with_an_open_contract() -> None:
    given = [_consent(processing("statistics", "customer_database"))]
    out = _by_purpose(w.withdrawal_outcomes(REGISTER, ScopeKind.PROCESSING, given, _terms(OPEN), RULES))
    assert out["statistics"].status is OutcomeStatus.STOPPED
    assert out["statistics"].reason is OutcomeReason.CONSENT_WITHDRAWN
    loan = out["loan_contract"]
    assert (loan.status, loan.reason) == (OutcomeStatus.CONTINUES, OutcomeReason.OBLIGATION)
    assert "Art. 8 p.2" in loan.citation and "microcredit agreement" in loan.citation
    aml = out["aml_cft"]
    assert (aml.status, aml.reason) == (OutcomeStatus.CONTINUES, OutcomeReason.LEGAL_OBLIGATION)
    assert "Law No. 191-IV" in aml.citation
    assert aml.until is None  # the contract is open: the 5 years have not started
    # Consent purposes not in this consent are not answered; nothing else is touched.
    assert "marketing" not in out and "pension_centre_inquiry" not in out
    # Appeals wait for an answered request and the cabinet for an account: the subject
    # is not in those purposes yet.
    not_yet = {"appeals", "cabinet_access"}
    assert (set(CONTRACT_PURPOSES) | set(LEGAL_PURPOSES)) - not_yet <= set(out)
    assert not not_yet & set(out)
    assert w.withdrawal_event(tuple(out.values())) is c.LedgerEvent.WITHDRAWAL_REFUSED_IN_PART


def test_processing_withdrawal_after_the_contract_is_closed() -> None:
    given = [_consent(processing("statistics"))]
    outcomes = w.withdrawal_outcomes(REGISTER, ScopeKind.PROCESSING, given, _terms(CLOSED, date(2026, 3, 3)), RULES)
    out = _by_purpose(outcomes)
    for purpose in set(CONTRACT_PURPOSES) - {"cabinet_access"}:  # no account: not in it
        assert out[purpose].status is OutcomeStatus.STOPPED
        assert out[purpose].reason is OutcomeReason.NO_OBLIGATION
        assert out[purpose].stopped_on == date(2026, 3, 2)  # the day the contract closed
    aml = out["aml_cft"]
    assert aml.status is OutcomeStatus.CONTINUES
    assert aml.until == date(2031, 3, 2)  # contract closed + 5 years (AML Law Art. 11 p.4)
    assert aml.until_citation is not None and "Article 11 paragraph 4" in aml.until_citation
    # No term in the policy for the security logs: continues, date unknown.
    assert out["security"].status is OutcomeStatus.CONTINUES and out["security"].until is None
    # State requests (Art. 9) continue too.
    assert out["state_cooperation"].reason is OutcomeReason.LEGAL_OBLIGATION


def test_legal_purposes_stop_once_their_retention_has_ended() -> None:
    given = [_consent(processing("statistics"))]
    out = _by_purpose(w.withdrawal_outcomes(REGISTER, ScopeKind.PROCESSING, given, _terms(CLOSED, date(2031, 3, 3)), RULES))
    assert out["aml_cft"].status is OutcomeStatus.STOPPED
    assert out["aml_cft"].reason is OutcomeReason.RETENTION_ENDED


def test_each_basis_kind_has_its_outcome() -> None:
    vital = replace(REGISTER.purposes["security"],
                    basis=LegalBasis(BasisKind.VITAL_INTERESTS, "Law 94-V Art. 9"))
    register: Register = replace(REGISTER, purposes={**REGISTER.purposes, "security": vital})
    given = [_consent(processing("statistics"))]
    out = _by_purpose(w.withdrawal_outcomes(register, ScopeKind.PROCESSING, given,
                                            _terms(OPEN, register=register), RULES))
    assert out["statistics"].reason is OutcomeReason.CONSENT_WITHDRAWN  # consent
    assert out["loan_contract"].reason is OutcomeReason.OBLIGATION  # contract
    assert out["aml_cft"].reason is OutcomeReason.LEGAL_OBLIGATION  # legal obligation
    assert out["state_cooperation"].reason is OutcomeReason.LEGAL_OBLIGATION  # state request
    assert out["security"].status is OutcomeStatus.CONTINUES  # vital interests
    assert "Law 94-V Art. 9" in out["security"].citation


def test_marketing_always_stops_even_with_an_open_contract() -> None:
    given = [_consent(marketing("marketing")), _consent(processing("statistics"))]
    outcomes = w.withdrawal_outcomes(REGISTER, ScopeKind.MARKETING, given, _terms(OPEN), RULES)
    assert [(o.purpose, o.status, o.reason) for o in outcomes] == [
        ("marketing", OutcomeStatus.STOPPED, OutcomeReason.MARKETING)]
    assert w.withdrawal_event(outcomes) is c.LedgerEvent.WITHDRAWN


def test_cookies_always_stop() -> None:
    given = [_consent(Scope(ScopeKind.COOKIES, cookie_categories=("analytics", "marketing")))]
    outcomes = w.withdrawal_outcomes(REGISTER, ScopeKind.COOKIES, given, _terms(OPEN), RULES)
    assert [(o.cookie_category, o.status, o.reason) for o in outcomes] == [
        ("analytics", OutcomeStatus.STOPPED, OutcomeReason.COOKIES),
        ("marketing", OutcomeStatus.STOPPED, OutcomeReason.COOKIES)]


def test_one_scope_never_withdraws_another() -> None:
    given = [_consent(marketing("marketing")), _consent(processing("statistics")),
             _consent(transfer("credit_bureaus"))]
    for kind in (ScopeKind.MARKETING, ScopeKind.THIRD_PARTY_TRANSFER):
        out = _by_purpose(w.withdrawal_outcomes(REGISTER, kind, given, _terms(OPEN), RULES))
        assert "statistics" not in out
    out = _by_purpose(w.withdrawal_outcomes(REGISTER, ScopeKind.PROCESSING, given, _terms(OPEN), RULES))
    assert "marketing" not in out


def test_transfer_withdrawal_answers_per_recipient_and_purpose() -> None:
    given = [_consent(transfer("credit_bureaus", "pension_centre"))]
    outcomes = w.withdrawal_outcomes(REGISTER, ScopeKind.THIRD_PARTY_TRANSFER, given, _terms(OPEN), RULES)
    got = {(o.recipient, o.purpose): (o.status, o.reason) for o in outcomes}
    assert got[("credit_bureaus", "credit_bureau_inquiry")] == (
        OutcomeStatus.STOPPED, OutcomeReason.CONSENT_WITHDRAWN)
    # Reporting to credit bureaus is a legal obligation (Law 573-II): it continues.
    assert got[("credit_bureaus", "credit_bureau_reporting")] == (
        OutcomeStatus.CONTINUES, OutcomeReason.LEGAL_OBLIGATION)
    assert got[("pension_centre", "pension_centre_inquiry")][0] is OutcomeStatus.STOPPED


def test_publication_withdrawal_stops_it() -> None:
    outcomes = w.withdrawal_outcomes(REGISTER, ScopeKind.PUBLICATION,
                                     [_consent(Scope(ScopeKind.PUBLICATION))], _terms(OPEN), RULES)
    assert [(o.purpose, o.status) for o in outcomes] == [(None, OutcomeStatus.STOPPED)]


# ------------------------------------------------------------------ lifecycle


def _event(event_id: str, type_: str, at: datetime, contract: str = "L-1"
           ) -> lifecycle.LifecycleEvent:
    return lifecycle.new_event(lifecycle.ReportedEvent(event_id, type_, at, contract), "s",
                               NOW + timedelta(days=999))


def test_contract_open_then_close() -> None:
    opened = lifecycle.apply(None, _event("e1", "contract_opened", NOW))
    assert opened.is_open
    closed = lifecycle.apply(opened, _event("e2", "contract_closed", NOW + timedelta(days=30)))
    assert not closed.is_open and closed.opened_at == NOW


def test_closing_twice_conflicts() -> None:
    opened = lifecycle.apply(None, _event("e1", "contract_opened", NOW))
    closed = lifecycle.apply(opened, _event("e2", "contract_closed", NOW + timedelta(days=1)))
    with pytest.raises(ConflictError):
        lifecycle.apply(closed, _event("e3", "contract_closed", NOW + timedelta(days=2)))
    with pytest.raises(ConflictError):
        lifecycle.apply(opened, _event("e4", "contract_opened", NOW))


def test_a_close_that_arrives_first_is_completed_by_its_open() -> None:
    closed = lifecycle.apply(None, _event("e2", "contract_closed", NOW + timedelta(days=30)))
    assert not closed.is_open and closed.opened_at is None
    both = lifecycle.apply(closed, _event("e1", "contract_opened", NOW))
    assert both.opened_at == NOW and not both.is_open
    with pytest.raises(InputError):
        lifecycle.apply(closed, _event("e1", "contract_opened", NOW + timedelta(days=31)))


def test_event_checks() -> None:
    with pytest.raises(InputError) as caught:
        lifecycle.new_event(lifecycle.ReportedEvent("e", "contract_opened", NOW, None), "s", NOW)
    assert caught.value.field == "contract_id"
    with pytest.raises(InputError) as caught:
        lifecycle.new_event(lifecycle.ReportedEvent("e", "birthday", NOW), "s", NOW)
    assert caught.value.field == "type"
    with pytest.raises(InputError) as caught:
        lifecycle.new_event(lifecycle.ReportedEvent("e", "transaction", NOW + timedelta(hours=1)), "s",
                            NOW)
    assert caught.value.field == "occurred_at"

"""Subject requests, pure: the state machine, the deadline of each type, reasoned destruction."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import product
from pathlib import Path

import pytest

from derbes.deadlines.adapters.kz_calendar import build_kz_calendar
from derbes.deadlines.adapters.regime_yaml import load_regime
from derbes.deadlines.model.calendar import WorkingCalendar
from derbes.errors import ConflictError, InputError
from derbes.register.adapters.yaml import load_register
from derbes.requests import model as rq
from derbes.requests.adapters.rules import load_request_rules
from derbes.requests.model import (
    TRANSITIONS,
    KeepGround,
    RequesterKind,
    RequestState,
    RequestType,
    SubjectRequest,
)
from derbes.retention.model.clocks import History, purpose_clock, purpose_clocks

REGISTERS = Path(__file__).resolve().parents[2] / "registers"
KREDIT = load_register(REGISTERS / "kredit-seven.yaml").register

ALLOWED = {
    (RequestState.RECEIVED, RequestState.VERIFIED),
    (RequestState.RECEIVED, RequestState.REFUSED),
    (RequestState.RECEIVED, RequestState.WITHDRAWN),
    (RequestState.VERIFIED, RequestState.IN_PROGRESS),
    (RequestState.VERIFIED, RequestState.REFUSED),
    (RequestState.VERIFIED, RequestState.WITHDRAWN),
    (RequestState.IN_PROGRESS, RequestState.ANSWERED),
    (RequestState.IN_PROGRESS, RequestState.REFUSED),
    (RequestState.IN_PROGRESS, RequestState.WITHDRAWN),
}


@pytest.mark.parametrize(("current", "target"), list(product(RequestState, RequestState)),
                         ids=lambda s: s.value)
def test_every_pair_of_states_is_allowed_or_a_conflict(current: RequestState,
                                                       target: RequestState) -> None:
    if (current, target) in ALLOWED:
        rq.check_transition(current, target)
    else:
        with pytest.raises(ConflictError):
            rq.check_transition(current, target)


def test_the_table_is_exactly_the_documented_machine() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED
    assert {s for s in RequestState if s.closed} == {RequestState.ANSWERED,
                                                     RequestState.REFUSED,
                                                     RequestState.WITHDRAWN}


def _request(state: RequestState = RequestState.RECEIVED) -> SubjectRequest:
    at = datetime(2026, 3, 20, 10, tzinfo=UTC)
    return SubjectRequest(id="r1", operator_id="kredit-seven", subject_id=None,
                          type=RequestType.ACCESS, state=state, language="ru", received_at=at,
                          due_date=date(2026, 3, 30), deadline_id="access",
                          deadline_citation="x", requester=RequesterKind.SUBJECT)


def test_moving_a_request_sets_closed_at_only_when_closed() -> None:
    at = datetime(2026, 3, 21, tzinfo=UTC)
    verified = _request().moved(RequestState.VERIFIED, at)
    assert verified.state is RequestState.VERIFIED and verified.closed_at is None
    answered = verified.moved(RequestState.IN_PROGRESS, at).moved(RequestState.ANSWERED, at)
    assert answered.closed_at == at
    with pytest.raises(ConflictError, match="closed"):
        answered.moved(RequestState.IN_PROGRESS, at)
    assert _request().overdue_on(date(2026, 3, 31))
    assert not _request().overdue_on(date(2026, 3, 30))
    assert not answered.overdue_on(date(2027, 1, 1))


def test_unknown_type_or_state_is_an_input_error_listing_the_choices() -> None:
    with pytest.raises(InputError, match="access, rectification"):
        rq.parse_type("erase_me")
    with pytest.raises(InputError):
        rq.parse_state(None)


# ------------------------------------------------------------- deadlines


def test_each_type_runs_on_its_deadline_of_the_regime() -> None:
    regime = load_regime()
    rules = load_request_rules(list(regime.deadlines))
    expected = {
        RequestType.ACCESS: "access",
        RequestType.RECTIFICATION: "rectification",
        RequestType.BLOCKING: "blocking",
        RequestType.DESTRUCTION: "erasure_on_request",
        RequestType.CONSENT_WITHDRAWAL: "access",
        RequestType.COMPLAINT: "pretrial_claim",
        RequestType.PRETRIAL_CLAIM: "pretrial_claim",
        RequestType.AUTOMATED_OBJECTION: "automated_objection",  # Law 94-V Art. 19-1 p.3
    }
    assert {t: rules.deadline_of(t) for t in RequestType} == expected
    assert all(rules.types[t].citation for t in RequestType)
    assert rules.types[RequestType.CONSENT_WITHDRAWAL].check


def test_rules_name_unknown_deadlines_and_missing_types() -> None:
    with pytest.raises(InputError, match=r"types\.access\.deadline"):
        rq.rules_from_dict({"types": {"access": {"deadline": "nope", "citation": "c"}},
                            "rules": {}}, ["access"])
    with pytest.raises(InputError, match="no deadline for"):
        rq.rules_from_dict({"types": {"access": {"deadline": "access", "citation": "c"}},
                            "rules": {"verification_citation": "a", "no_data_citation": "b",
                                      "representative_citation": "c",
                                      "destruction_keep_citation": "d"}}, ["access"])


def test_access_received_friday_before_nauryz_is_due_monday_30_march() -> None:
    regime = load_regime()
    calendar = build_kz_calendar(2026)
    # Fri 20 Mar 2026, 15:00 Almaty; 21-25 Mar are days off (Nauryz and the decree).
    received = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)
    assert regime.due_date("access", received, calendar).due == date(2026, 3, 30)
    assert regime.due_date("blocking", received, calendar).due == date(2026, 3, 26)
    # 15 calendar days end on Sat 4 Apr: moved to Mon 6 Apr.
    assert regime.due_date("erasure_on_request", received, calendar).due == date(2026, 4, 6)


# ------------------------------------------------------------- retention


def _terms(history: History) -> rq.SubjectTerms:
    """The Kredit Seven subject's clocks from the one clock rule (``retention/model/clocks.py``)."""
    found = purpose_clocks(KREDIT.purposes.values(), history, _calendar)
    return rq.SubjectTerms({c.purpose: c for c in found}, history.open_contracts)


def _calendar(start: date) -> WorkingCalendar:
    return build_kz_calendar(start.year, start.year + 1)


CLOSED = History(last_contract_closed=date(2025, 6, 30), ever=frozenset({"contract"}),
                 linked=frozenset({"credit_dossier"}))


def test_the_dossier_clock_needs_its_trigger() -> None:
    dossier = KREDIT.purposes["credit_dossier"]
    running = History(open_contracts=1, ever=frozenset({"contract"}))
    assert purpose_clock(dossier, running, _calendar).end_date is None
    assert purpose_clock(dossier, CLOSED, _calendar).end_date == date(2030, 6, 30)


def test_destruction_keeps_the_credit_dossier_and_destroys_the_rest() -> None:
    held = ["identity.iin", "identity.full_name", "biometric.facial_image",
            "device.ip_address", "financial.loan"]
    outcome = rq.destruction_outcome(KREDIT, held, _terms(CLOSED), date(2026, 3, 20))
    assert outcome.destroy == ("biometric.facial_image", "device.ip_address")
    kept = {k.category: k for k in outcome.keep}
    assert set(kept) == {"identity.iin", "identity.full_name", "financial.loan"}
    dossier = next(f for f in kept["financial.loan"].kept_for if f.purpose == "credit_dossier")
    assert dossier.ground is KeepGround.LEGAL_OBLIGATION
    assert dossier.until == date(2030, 6, 30)
    assert "210" in dossier.citation
    assert "credit_dossier" in outcome.keep_purposes
    assert outcome.partial
    # Only purposes the subject is in keep it: credit bureau reporting and state
    # requests wait for their own events, so the dossier alone decides the date.
    assert kept["financial.loan"].until == date(2030, 6, 30)
    body = outcome.as_dict()
    assert body["destroy"] == ["biometric.facial_image", "device.ip_address"]


def test_an_open_contract_keeps_contract_data_and_ended_terms_keep_nothing() -> None:
    open_loan = History(open_contracts=1, ever=frozenset({"contract"}))
    outcome = rq.destruction_outcome(KREDIT, ["financial.transactions"], _terms(open_loan),
                                     date(2026, 3, 20))
    grounds = {f.ground for k in outcome.keep for f in k.kept_for}
    assert KeepGround.OPEN_CONTRACT in grounds
    # Long after every term ended: nothing keeps anything.
    everything_over = History(
        last_contract_closed=date(2000, 1, 1), ever=frozenset({"contract"}),
        achieved={p: date(2000, 1, 1) for p in KREDIT.purposes})
    late = rq.destruction_outcome(KREDIT, ["financial.loan", "identity.iin"],
                                  _terms(everything_over), date(2026, 3, 20))
    assert late.keep == () and late.destroy == ("financial.loan", "identity.iin")
    assert not late.partial

"""The five seed operators' customer journeys, end to end, as their policies promise.

add → consent → contract → decide → access (ru, and kk for QIWI) → withdraw
marketing (stops) → withdraw consent during the contract (the service goes on)
→ close the contract → years later destroyed on the right day with an act →
chains verify. Through the API (TestClient, injected clock) and the real
``derbes`` program, on SQLite and PostgreSQL. Every assertion names the clause
it implements; ``docs/journeys.md`` shows the same table per operator.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.integration.conftest import (  # noqa: F401  # the backend fixtures
    db_url,
    pg_server_url,
    pg_template,
)
from tests.journey_support import START, Journey, Spec

NAME, IIN, PHONE, EMAIL = "Асанова Динара Ерлановна", "880315301002", "+77017654321", \
    "dinara.asanova@example.kz"

KASSA24 = Spec(
    operator="kassa24",
    values={"identity.full_name": NAME, "identity.iin": IIN, "contact.phone": PHONE},
    processing=("payment_services", "service_improvement"),
    marketing=("marketing_messages",), never_consented="biometric_identification",
    main="payment_services", main_reason="obligation", category="contact.phone",
    transaction=True, transfer=("transaction_clearing_confirmation", "payment_systems"),
    cross_border=True,
    clauses={
        "add": "p.2.1 (the PD collected); Law 94-V Art. 7",
        "consent": "p.3.1 (consent by ticking, OTP, 3-D Secure); p.2.2 (newsletters)",
        "contract": "p.3.1 (the public offer accepted is the contract)",
        "decide": "p.2.2 bullets 1, 7 (the service); p.2.10 (payment systems, beneficiaries)",
        "access": "p.6.1.1; Law 94-V Art. 24; p.2.11 (cross-border cloud on consent)",
        "withdraw_marketing": "p.6.1.5; Law 94-V Art. 8 p.7 (stop within 15 working days)",
        "withdraw_processing": "p.2.12 (not while an obligation is unfulfilled); Art. 8 p.2",
        "close": "p.5.3 subp.2 (the legal relationship ends)",
        "destroyed": "p.2.3, p.3.4.3; AML Law 191-IV Art. 11 p.4 (5 years after it ends)",
        "chains": "Law 94-V Art. 22 p.1 sp.5 (consent actions logged); Order 179/НҚ",
    })

EXPRESS = Spec(
    operator="express-avans",
    values={"identity.full_name": NAME, "identity.iin": IIN, "contact.phone": PHONE},
    processing=("credit_bureau_inquiry", "pension_centre_inquiry", "customer_database",
                "statistics"),
    marketing=("marketing",), never_consented="banned_persons_list",
    main="loan_contract", main_reason="obligation", category="contact.phone",
    cross_border=True,
    clauses={
        "add": "p.2.1 (the PD of the Application); Law 94-V Art. 7",
        "consent": "p.6.1 (agreement with the Policy in the Application)",
        "contract": "p.1.1 (the microcredit agreement)",
        "decide": "p.1.1, 1st bullet (concluding and performing the agreement)",
        "access": "p.7.1 (the rights to know); p.3.4 (cross-border transfer)",
        "withdraw_marketing": "p.1.1 (advertising); Law 94-V Art. 8 p.7",
        "withdraw_processing": "p.7.1 (withdrawal once the microcredit obligations are "
                               "fulfilled); Art. 8 p.2",
        "close": "p.7.1 (all obligations under the agreement fulfilled)",
        "destroyed": "p.1.1 (AML, credit dossiers); AML Law 191-IV Art. 11 p.4 (5 years)",
        "chains": "Law 94-V Art. 22 p.1 sp.5; Order 179/НҚ (logging actions with PD)",
    })

KREDIT_SEVEN = Spec(
    operator="kredit-seven",
    values={"identity.full_name": NAME, "identity.iin": IIN, "contact.phone": PHONE},
    processing=("credit_application_assessment", "user_identification", "data_verification",
                "application_status_notices"),
    marketing=("marketing_offers",), never_consented="site_analytics",
    main="microcredit_contract", main_reason="obligation", category="identity.full_name",
    cross_border=False,
    clauses={
        "add": "p.3.2.1–3.2.3 (the PD of the application); Law 94-V Art. 7",
        "consent": "p.3.4 (consent to processing); p.3.11.8 (offers)",
        "contract": "p.3.2.1, p.3.11.7 (the microcredit contract)",
        "decide": "p.3.11.7 (performing the contract)",
        "access": "p.4.3 (the subject's rights); Law 94-V Art. 24",
        "withdraw_marketing": "p.3.11.8; Law 94-V Art. 8 p.7",
        "withdraw_processing": "p.7.2 (not while obligations are unfulfilled); Art. 8 p.2",
        "close": "p.4.5 (the purpose achieved when the microcredit is repaid)",
        "destroyed": "p.4.5; NBRK resolution No. 210 of 26 Nov 2019 (credit dossier, 5 years)",
        "chains": "p.5.5 (logging); Law 94-V Art. 22 p.1 sp.5",
    })

QIWI = Spec(
    operator="qiwi-kz",
    values={"identity.full_name": NAME, "contact.phone": PHONE, "contact.email": EMAIL},
    processing=("registration_minimal_status", "identification_status_upgrade",
                "wallet_top_up", "payment_confirmation", "wallet_event_notifications",
                "user_requests", "client_profile", "chat_bot"),
    marketing=("marketing_messages", "marketing_research"), never_consented="visitor_analytics",
    main="aml_antifraud", main_reason="legal_obligation", category="contact.phone",
    transaction=True, keep_from="withdrawal", letters=("ru", "kk"), cross_border=True,
    main_after_close=True,
    clauses={
        "add": "p.3.4.2 row 1 (registration data); Law 94-V Art. 7",
        "consent": "p.3.1, p.3.4.2 (consent to each purpose)",
        "contract": "p.3.4.2 rows 1–5 (the wallet agreement)",
        "decide": "p.3.4.2 row 9 (AML and anti-fraud, AML Law 191-IV)",
        "access": "p.5.1–5.2 (the rights, in the subject's language); p.3.4.2 (QIWI JSC, RU)",
        "withdraw_marketing": "p.3.4.2 rows 7–8; p.5.2 (withdrawal); Law 94-V Art. 8 p.7",
        "withdraw_processing": "p.5.2 (withdrawal); AML Law 191-IV Art. 11 p.4 (AML goes on)",
        "close": "p.3.4.2 row 9 (destroyed once the contract is terminated + 5 years)",
        "destroyed": "p.3.4.2 rows 1–5 (5 years, AML Law Art. 11 p.4), counted from the "
                     "withdrawal of the consent they rest on (Law 94-V Art. 8 p.2)",
        "chains": "p.6 (protection measures); Law 94-V Art. 22 p.1 sp.5",
    })

ALTYNCOIN = Spec(
    operator="altyncoin",
    values={"identity.full_name": NAME, "identity.iin": IIN, "contact.phone": PHONE},
    processing=("registration_identification", "provide_services", "data_verification"),
    marketing=("feedback_notifications",), never_consented="app_sale_transfer",
    main="provide_services", main_reason="obligation", category="identity.full_name",
    keep_years=None, cross_border=True,
    clauses={
        "add": "p.2.3 (the PD the User gives); Law 94-V Art. 7",
        "consent": "p.6.1 (consent by using the app and ticking)",
        "contract": "p.4.2.3 (the microcredit services)",
        "decide": "p.4.2.3; p.4.1",
        "access": "p.6.1.1; p.7.2.2 (transfers under RK law, including abroad)",
        "withdraw_marketing": "p.4.2.4 (notifications); p.6.1.5; Law 94-V Art. 8 p.7",
        "withdraw_processing": "p.6.1.5 (withdrawal, Art. 8 p.2 exceptions); Art. 8 p.2",
        "close": "p.4.2.3",
        "destroyed": "p.7.3, p.8.1: no term stated — kept with no end date, DRB001 waived "
                     "(nothing is invented)",
        "chains": "p.9 (protection measures); Law 94-V Art. 22 p.1 sp.5",
    })

SPECS = [KASSA24, EXPRESS, KREDIT_SEVEN, QIWI, ALTYNCOIN]

OPENED = START + timedelta(hours=1)
WITHDRAWN = date(2026, 2, 12)
CLOSED = date(2026, 4, 13)


@pytest.fixture
def journey(request: pytest.FixtureRequest, db_url: str,  # noqa: F811
            tmp_path: Path) -> Iterator[Journey]:
    j = Journey(request.param, db_url, tmp_path)
    yield j
    j.close()


def _codes(decision: dict[str, object]) -> list[str]:
    reasons = decision["reasons"]
    assert isinstance(reasons, list)
    return [str(r["code"]) for r in reasons]


def _outcomes(answer: dict[str, object]) -> dict[str, dict[str, object]]:
    outcomes = answer["outcomes"]
    assert isinstance(outcomes, list)
    return {str(o["purpose"]): o for o in outcomes if o["recipient"] is None}


def _keep_until(spec: Spec) -> date | None:
    """The last day the longest statutory term keeps the data, from the policy."""
    if spec.keep_years is None:
        return None
    start = CLOSED if spec.keep_from == "close" else WITHDRAWN
    return start.replace(year=start.year + spec.keep_years)


@pytest.mark.parametrize("journey", SPECS, indirect=True, ids=[s.operator for s in SPECS])
def test_journey(journey: Journey) -> None:
    spec, j = journey.spec, journey
    label = j.register.purposes[spec.never_consented].labels

    # add — values belong to no purpose yet: only what applies to everyone (Art. 7).
    sid = j.add_subject()
    # consent — [clause "consent"]
    act = j.consent(sid)
    assert all(c["status"] == "active" for c in act["consents"])
    # contract — [clause "contract"]
    j.clock.set(OPENED)
    assert j.event(sid, "contract_opened", f"{spec.operator}-open", "C-1")["contract"]["open"]
    if spec.transaction:
        j.clock.set(OPENED + timedelta(days=1))
        j.event(sid, "transaction", f"{spec.operator}-tx", None)

    # decide — [clause "decide"]: the service is allowed.
    j.at(date(2026, 2, 4))
    assert j.decide(sid, spec.main, spec.category)["allowed"]
    if spec.transfer:  # Kassa24 p.2.10: no separate transfer consent for the service
        purpose, recipient = spec.transfer
        moved = j.decide(sid, purpose, "financial.transactions", recipient)
        assert moved["allowed"] and "recipient_basis" in _codes(moved)
    assert not j.decide(sid, spec.never_consented, j.register.purposes[
        spec.never_consented].categories[0])["allowed"]

    # access — [clause "access"]: only purposes the subject is in; cross-border from the
    # register; every word in the letter's language.
    for lang in spec.letters:
        answer, text = j.access(sid, lang)
        ids = {p["id"] for p in answer["purposes"]}
        held = set(spec.values)
        assert spec.main in ids
        # A purpose achieved when the contract was concluded (Express p.1.1: the reports
        # served the Application) and kept 0 days after no longer applies.
        done_at_opening = {p for p in spec.processing
                           if (r := j.register.purposes[p].retention) is not None
                           and r.achieved_when is not None
                           and r.achieved_when.value == "contract_opened"
                           and r.period.value == 0}
        assert {p for p in spec.processing
                if held & set(j.register.purposes[p].categories)} - done_at_opening <= ids
        assert not done_at_opening & ids
        assert spec.never_consented not in ids
        assert label.get(lang)[:40] not in text
        assert bool(answer["cross_border"]) is spec.cross_border
        crossing = {"ru": "могут передаваться получателям за пределами",
                    "kk": "тыс жердегі алушыларға берілуі мүмкін"}[lang]
        assert (crossing in text) is spec.cross_border
        assert "third_parties" not in text and "Аффилиированное" not in text

    # withdraw marketing — [clause "withdraw_marketing"]: it stops, by the statutory term.
    j.at(WITHDRAWN, 9)
    m = j.withdraw(sid, "marketing")
    stopped = _outcomes(m)
    assert m["event"] == "withdrawn"
    for purpose in spec.marketing:
        assert stopped[purpose]["status"] == "stopped"
        assert stopped[purpose]["stop_by"] == "2026-03-05"  # 15 working days (Art. 8 p.7)
    gone = j.decide(sid, spec.marketing[0], j.register.purposes[spec.marketing[0]].categories[0])
    assert not gone["allowed"] and "consent_withdrawn" in _codes(gone)

    # withdraw processing during the contract — [clause "withdraw_processing"]: the
    # service goes on while the obligation is open.
    p = j.withdraw(sid, "processing")
    by = _outcomes(p)
    assert p["event"] == "withdrawal_refused_in_part"
    assert (by[spec.main]["status"], by[spec.main]["reason"]) == ("continues", spec.main_reason)
    assert j.decide(sid, spec.main, spec.category)["allowed"]

    # close — [clause "close"]
    j.at(CLOSED, 9)
    assert not j.event(sid, "contract_closed", f"{spec.operator}-close", "C-1")["contract"]["open"]
    after = j.decide(sid, spec.main, spec.category)
    assert after["allowed"] is spec.main_after_close
    if not spec.main_after_close:
        assert "no_obligation" in _codes(after)

    # years later — [clause "destroyed"]: on the right day, with an act.
    keep = _keep_until(spec)
    if keep is None:
        later = date(2056, 1, 5)
        plan = j.plan(later)
        assert plan["pairs"] == 0 and plan["kept_with_no_end_date"] == len(spec.values)
        assert all(k["state"] == "no_end_date" and "DRB001" in k["finding"]
                   and "waived" in k["finding"] for k in plan["kept"])
        assert j.run(later)["run"] is None
    else:
        # One date per fact: the withdrawal answer asked again names the same last day.
        j.at(CLOSED + timedelta(days=1), 9)
        again = _outcomes(j.withdraw(sid, "processing"))
        assert max(str(o["until"]) for o in again.values() if o["until"]) == keep.isoformat()
        day = keep + timedelta(days=1)
        assert j.plan(keep)["pairs"] == 0
        rehearsal = j.plan(day)
        assert rehearsal["subjects"] == 1 and rehearsal["pairs"] == len(spec.values)
        assert j.run(keep)["run"] is None  # the day before: nothing is due
        done = j.run(day)
        summary = done["summary"]
        assert summary["subjects_shredded"] == 1 and done["act_id"]
        # The rehearsal (`plan --as-of`) gave the figures the run produced.
        assert sum(g["items"] for g in summary["groups"]) == rehearsal["pairs"]
        gone = j.client.get(f"/v1/subjects/{sid}", params={"purpose": spec.main})
        assert gone.status_code == 404  # crypto-shredded: nothing is held any more
        number = j.get("/v1/acts").json()[0]["number"]
        found = j.cli("acts", "show", number, "--operator", spec.operator)
        assert found.returncode == 0, found.stderr
        wrong = j.cli("acts", "show", number, "--operator", "no-such-operator")
        assert wrong.returncode == 3 and "--operator" in wrong.stderr

    # chains verify — [clause "chains"]
    ledger = j.cli("ledger", "verify")
    assert ledger.returncode == 0, ledger.stdout + ledger.stderr
    audit = j.cli("audit", "verify")
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_the_journeys_page_shows_every_clause() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "journeys.md").read_text("utf-8")
    for spec in SPECS:
        for step, clause in spec.clauses.items():
            assert clause in page, (spec.operator, step)

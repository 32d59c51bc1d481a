"""The Express Аванс journey, through the real API and CLI.

An applicant consents by SMS OTP to processing, to transfers to the credit
bureau and the pension centre, and to marketing → the loan is opened →
marketing is withdrawn (stops at once) → processing is withdrawn (refused for
the contract and legal purposes with citations, stopped for the rest) → the
loan is closed → the withdrawal is now accepted for the contract purposes
(legal ones continue until their retention ends). Evidence is exported as
JSON and as a PDF certificate in Kazakh; the ledger verifies; an edit made
with SQL is detected.
"""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from pypdf import PdfReader
from sqlalchemy import text

from derbes.access import service as apikeys
from derbes.api.app import create_app
from derbes.bootstrap import Container
from derbes.platform import migrate
from derbes.platform.clock import FixedClock
from derbes.register.adapters.yaml import load_register
from derbes.register.service import registers
from derbes.settings import Settings
from derbes.vault.adapters.key_files import KEY_FILES
from derbes.vault.service import keys
from tests.consent_support import (
    CONSENT_PURPOSES,
    CONTRACT_PURPOSES,
    EXPRESS,
    FULL_NAME,
    IP,
    LEGAL_PURPOSES,
    PHONE,
    USER_AGENT,
)

DERBES = Path(sys.executable).with_name("derbes")
IIN = "880315301002"  # an adult applicant (born 15 Mar 1988)
KEK = base64.b64encode(b"k" * 32).decode()
START = datetime(2026, 2, 2, 10, 0, tzinfo=UTC)


class Journey:
    def __init__(self, tmp: Path) -> None:
        self.env = {
            "DERBES_DATABASE_URL": f"sqlite:///{tmp / 'derbes.sqlite3'}",
            "DERBES_KEYSTORE_URL": f"sqlite:///{tmp / 'keys.sqlite3'}",
            "DERBES_KEK": KEK,
            "DERBES_KEK_FILE": str(tmp / "no-kek-file"),
        }
        settings = Settings(database_url=self.env["DERBES_DATABASE_URL"],
                            keystore_url=self.env["DERBES_KEYSTORE_URL"],
                            kek=SecretStr(KEK), kek_file=tmp / "no-kek-file", var_dir=tmp)
        migrate.upgrade(settings.database_url)
        keys.migrate_keystore(settings.keystore_url, KEY_FILES)
        self.clock = FixedClock(START)
        self.container = Container(settings=settings, clock=self.clock)
        registers.publish(self.container.uow(), [load_register(EXPRESS)], self.clock)
        token = apikeys.create(self.container.uow(), self.clock, name="express-backend",
                               scopes=["read", "write"], operator_id="express-avans").token
        self.client = TestClient(create_app(self.container),
                                 headers={"Authorization": f"Bearer {token}"})

    def post(self, path: str, body: dict[str, Any], status: int = 200,
             **headers: str) -> dict[str, Any]:
        response = self.client.post(path, json=body, headers=headers)
        assert response.status_code == status, response.text
        data: dict[str, Any] = response.json()
        return data

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
        return subprocess.run([str(DERBES), *args], env={**clean, "COLUMNS": "200", **self.env},
                              capture_output=True, text=True, check=False)


@pytest.fixture
def journey(tmp_path: Path) -> Iterator[Journey]:
    j = Journey(tmp_path)
    yield j
    j.container.engine.dispose()
    j.container.keystore_engine.dispose()


def _outcomes(withdrawal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["purpose"]: o for o in withdrawal["outcomes"] if o["recipient"] is None}


def test_express_avans_journey(journey: Journey) -> None:
    # --- the applicant in the vault -----------------------------------------------
    subject_id = journey.post("/v1/subjects", {
        "operator": "express-avans",
        "values": [{"category": "identity.iin", "value": IIN},
                   {"category": "identity.full_name", "value": FULL_NAME},
                   {"category": "contact.phone", "value": PHONE}],
    }, status=201)["subject_id"]

    # --- consent by SMS OTP ----------------------------------------------------------
    otp = journey.container.otp.issue(subject_id, journey.clock.now())
    consent_body = {
        "subject_id": subject_id, "channel": "sms_otp",
        "scopes": [
            {"kind": "processing", "purposes": list(CONSENT_PURPOSES)},
            {"kind": "third_party_transfer", "recipients": ["credit_bureaus", "pension_centre"]},
            {"kind": "marketing", "purposes": ["marketing"]},
        ],
        "evidence": {"ip": IP, "user_agent": USER_AGENT, "otp_reference": otp.reference,
                     "otp_code": otp.code},
    }
    act = journey.post("/v1/consents", consent_body, status=201,
                       **{"Idempotency-Key": "application-0001"})
    assert [c["scope"]["kind"] for c in act["consents"]] == [
        "processing", "third_party_transfer", "marketing"]
    assert all(c["status"] == "active" and c["channel"] == "sms_otp" for c in act["consents"])
    # The retried request (lost response) returns the same act, nothing new.
    again = journey.post("/v1/consents", consent_body, status=200,
                         **{"Idempotency-Key": "application-0001"})
    assert again["replayed"] and again["act_id"] == act["act_id"]

    # --- the loan is opened --------------------------------------------------------
    journey.clock.advance(timedelta(hours=2))
    opened = journey.post("/v1/events", {
        "event_id": "ea-loan-77-opened", "subject_id": subject_id, "type": "contract_opened",
        "contract_id": "LOAN-77", "occurred_at": journey.clock.now().isoformat()}, status=201)
    assert opened["contract"]["open"] is True

    # --- marketing withdrawn: stops at once ----------------------------------------
    journey.clock.advance(timedelta(days=3))
    m = journey.post("/v1/consents/withdrawals", {"subject_id": subject_id,
                                                  "scope": "marketing"})
    assert m["event"] == "withdrawn"
    assert [(o["purpose"], o["status"], o["reason"]) for o in m["outcomes"]] == [
        ("marketing", "stopped", "marketing")]

    # --- processing withdrawn while the loan is open ---------------------------------
    p = journey.post("/v1/consents/withdrawals", {"subject_id": subject_id,
                                                  "scope": "processing"})
    assert p["event"] == "withdrawal_refused_in_part"
    by = _outcomes(p)
    # (The personal cabinet applies once an account exists: none was opened here.)
    for purpose in set(CONTRACT_PURPOSES) - {"cabinet_access"}:
        assert by[purpose]["status"] == "continues", purpose
        assert by[purpose]["reason"] == "obligation"
        assert "Art. 8 p.2" in by[purpose]["citation"]
    assert "microcredit agreement" in by["loan_contract"]["citation"].lower()
    # The legal purposes the borrower is in (their clocks wait for the loan to end);
    # appeals, state requests and security logs apply only once their own event
    # happens or the values are collected for them: they are not answered.
    in_force = ("credit_dossier_storage", "aml_cft", "credit_bureau_reporting")
    for purpose in LEGAL_PURPOSES:
        if purpose not in in_force:
            assert purpose not in by, purpose
            continue
        assert by[purpose]["status"] == "continues", purpose
        assert by[purpose]["reason"] == "legal_obligation"
    assert "191-IV" in by["aml_cft"]["citation"]
    assert "573-II" in by["credit_bureau_reporting"]["citation"]
    assert by["aml_cft"]["until"] is None  # the 5 years start when the loan ends
    for purpose in CONSENT_PURPOSES:
        assert by[purpose]["status"] == "stopped" and by[purpose]["reason"] == "consent_withdrawn"
    assert "marketing" not in by  # withdrawn on its own, not again here

    listed = journey.client.get(f"/v1/subjects/{subject_id}/consents").json()["consents"]
    assert {c["scope"]["kind"]: c["status"] for c in listed} == {
        "processing": "withdrawn", "third_party_transfer": "active", "marketing": "withdrawn"}

    # --- the loan is closed (once) ---------------------------------------------------
    journey.clock.advance(timedelta(days=60))
    closed_at = journey.clock.now()
    closed = journey.post("/v1/events", {
        "event_id": "ea-loan-77-closed", "subject_id": subject_id, "type": "contract_closed",
        "contract_id": "LOAN-77", "occurred_at": closed_at.isoformat()}, status=201)
    assert closed["contract"]["open"] is False
    twice = journey.client.post("/v1/events", json={
        "event_id": "ea-loan-77-closed-again", "subject_id": subject_id,
        "type": "contract_closed", "contract_id": "LOAN-77",
        "occurred_at": closed_at.isoformat()})
    assert twice.status_code == 409

    # --- processing withdrawn again: now accepted for the contract purposes -------
    journey.clock.advance(timedelta(days=1))
    p2 = journey.post("/v1/consents/withdrawals", {"subject_id": subject_id,
                                                   "scope": "processing"})
    by = _outcomes(p2)
    # (The personal cabinet applies once an account exists: none was opened here.)
    for purpose in set(CONTRACT_PURPOSES) - {"cabinet_access"}:
        assert (by[purpose]["status"], by[purpose]["reason"]) == ("stopped", "no_obligation")
    aml = by["aml_cft"]
    assert aml["status"] == "continues"
    assert aml["until"] == closed_at.date().replace(year=closed_at.year + 5).isoformat()
    assert "Article 11 paragraph 4" in aml["until_citation"]
    assert by["credit_dossier_storage"]["until"] == aml["until"]

    # --- evidence: JSON and a PDF certificate in Kazakh -----------------------------
    exported = journey.client.get(f"/v1/subjects/{subject_id}/consents/evidence")
    assert exported.status_code == 200
    data = exported.json()
    processing_consent = next(c for c in data["consents"] if c["scope"] == "processing")
    assert processing_consent["evidence"]["ip"] == IP
    assert processing_consent["evidence"]["otp_reference"] == otp.reference
    assert processing_consent["status"] == "withdrawn"
    assert [e["event"] for e in data["ledger"]["entries"]] == [
        "given", "given", "given", "withdrawn", "withdrawal_refused_in_part",
        "withdrawal_refused_in_part"]
    assert all(e["authentic"] for e in data["ledger"]["entries"])

    pdf = journey.client.get(f"/v1/subjects/{subject_id}/consents/evidence",
                             params={"format": "pdf", "lang": "kk"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    words = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Келісім" in words and "кері қайтарып алынды" in words

    # --- the CLI sees the same ledger ------------------------------------------------
    shown = journey.cli("consent", "show", "--subject", subject_id, "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert '"third_party_transfer"' in shown.stdout
    verified = journey.cli("ledger", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "consent ledger intact: 6 entries" in verified.stdout

    # --- tampering with a ledger row is detected -------------------------------------
    with journey.container.engine.begin() as connection:
        connection.execute(text(
            "UPDATE consent_ledger SET payload = REPLACE(payload, 'marketing', 'nothing') "
            "WHERE seq = 4"))
    tampered = journey.cli("ledger", "verify")
    assert tampered.returncode == 1
    assert "seq 4: edited" in tampered.stdout
    evidence_after = journey.client.get(f"/v1/subjects/{subject_id}/consents/evidence").json()
    assert [e["authentic"] for e in evidence_after["ledger"]["entries"]] == [
        True, True, True, False, True, True]

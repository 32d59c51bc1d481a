"""Guessing through the API (TestClient): one-time codes, API keys; keys with a term;
identity verification from a document only with the ``verify`` scope."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from derbes.access import service as apikeys
from derbes.access.adapters.limits_yaml import load_identity_limits
from derbes.api.app import create_app
from derbes.bootstrap import Container
from derbes.delivery.ports import Couriers
from derbes.platform.clock import FixedClock
from derbes.platform.tables import audit_log, request_transitions
from derbes.register.service import registers
from derbes.settings import Settings
from derbes.testing.delivery import RecordingMailer, RecordingSms
from derbes.vault.adapters.key_files import KEY_FILES
from derbes.vault.service import keys
from tests.vault_support import minimal_register

LIMITS = load_identity_limits()
OTP = LIMITS.otp


@dataclass
class Api:
    app: object
    client: TestClient
    container: Container
    clock: FixedClock
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def file(self) -> str:
        filed = self.client.post("/v1/requests", headers=self.headers("writer"), json={
            "operator": "example-pay", "type": "access",
            "identifiers": {"phone": "+77015550101"}})
        assert filed.status_code == 201, filed.text
        return str(filed.json()["id"])

    def from_address(self, address: str) -> TestClient:
        return TestClient(self.app, client=(address, 40000))  # type: ignore[arg-type]


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'derbes.sqlite3'}",
        keystore_url=f"sqlite:///{tmp_path / 'keys.sqlite3'}",
        kek_file=tmp_path / "kek.key", var_dir=tmp_path,
        anchor_file=tmp_path / "anchors" / "derbes-anchors.jsonl",
    )
    clock = FixedClock()
    container = Container(settings=settings, clock=clock)
    # The subject's phone: the SMS the codes go out by, as the subject reads them.
    container.couriers = Couriers(RecordingSms(), RecordingMailer())
    keys.initialise(var_dir=tmp_path, kek_file=settings.kek_file,
                    keystore_url=settings.keystore_url, database_url=settings.database_url,
                    open_keystore=lambda: container.keystore, files=KEY_FILES)
    registers.publish(container.uow(), [minimal_register()], clock)
    scopes = {"writer": ["write"], "reader": ["read"], "verifier": ["verify"],
              "admin": ["admin"]}
    tokens = {name: apikeys.create(container.uow(), clock, name=name, scopes=s).token
              for name, s in scopes.items()}
    app = create_app(container)
    with TestClient(app) as client:
        yield Api(app, client, container, clock, tokens)
    container.engine.dispose()
    container.keystore_engine.dispose()


def test_3000_wrong_codes_over_http_then_the_right_one_is_refused(api: Api) -> None:
    rid = api.file()
    sent = api.client.post(f"/v1/requests/{rid}/otp", headers=api.headers("writer"))
    assert sent.status_code == 200, sent.text
    reference = sent.json()["otp_reference"]
    code = api.container.couriers.sms.last_code()
    assert code is not None
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    statuses: dict[int, int] = {}
    first_429 = None
    for n in range(1, 3001):
        answer = api.client.post(f"/v1/requests/{rid}/verify", headers=api.headers("writer"),
                                 json={"method": "sms_otp", "otp_reference": reference,
                                       "otp_code": wrong})
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
        if answer.status_code == 429 and first_429 is None:
            first_429 = n, answer
    assert statuses == {422: OTP.lockout_after_failures - 1,
                        429: 3000 - OTP.lockout_after_failures + 1}
    assert first_429 is not None and first_429[0] == OTP.lockout_after_failures
    refused = first_429[1]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["Retry-After"] == str(int(OTP.lockout.total_seconds()))
    body = refused.json()
    assert body["status"] == 429 and body["retry_after"] == 3600
    assert body["locked_until"] == (api.clock.now() + OTP.lockout).isoformat()
    right = api.client.post(f"/v1/requests/{rid}/verify", headers=api.headers("writer"),
                            json={"method": "sms_otp", "otp_reference": reference,
                                  "otp_code": code})
    assert right.status_code == 429
    shown = api.client.get(f"/v1/requests/{rid}", headers=api.headers("reader"))
    assert shown.json()["state"] == "received"
    assert code not in right.text and wrong not in right.text


def test_codes_per_request_and_hour_answer_429(api: Api) -> None:
    rid = api.file()
    for _ in range(OTP.codes_per_window):
        assert api.client.post(f"/v1/requests/{rid}/otp",
                               headers=api.headers("writer")).status_code == 200
    over = api.client.post(f"/v1/requests/{rid}/otp", headers=api.headers("writer"))
    assert over.status_code == 429
    assert int(over.headers["Retry-After"]) == int(OTP.window.total_seconds())


def test_500_bad_keys_from_one_client_are_throttled_and_others_are_not(api: Api) -> None:
    keys_limits = LIMITS.api_keys
    attacker = api.from_address("203.0.113.50")
    statuses = []
    for n in range(500):
        bad = f"dbk_{n:016x}_{'A' * 43}"
        statuses.append(attacker.get("/v1/audit/verify",
                                     headers={"Authorization": f"Bearer {bad}"}).status_code)
    assert statuses[:keys_limits.failures_per_window - 1] == \
        [401] * (keys_limits.failures_per_window - 1)
    assert set(statuses[keys_limits.failures_per_window - 1:]) == {429}
    # Even the right key is refused from there while the lock-out lasts (no oracle)…
    locked = attacker.get("/v1/audit/verify", headers=api.headers("admin"))
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) == int(keys_limits.lockout.total_seconds())
    # …while another client is served, and the attacker again once it ends.
    assert api.from_address("203.0.113.51").get(
        "/v1/audit/verify", headers=api.headers("admin")).status_code == 200
    api.clock.advance(keys_limits.lockout)
    assert attacker.get("/v1/audit/verify", headers=api.headers("admin")).status_code == 200
    with api.container.engine.connect() as connection:
        stored = " ".join(str(v) for v in connection.execute(
            select(audit_log.c.details).where(audit_log.c.action == "apikey.auth")).scalars())
    assert '"event":"locked"' in stored and "203.0.113.50" not in stored


def test_a_key_with_a_term_stops_working_when_it_ends(api: Api) -> None:
    token = apikeys.create(api.container.uow(), api.clock, name="temp", scopes=["admin"],
                           expires="1d").token
    assert api.client.get("/v1/audit/verify",
                          headers={"X-API-Key": token}).status_code == 200
    api.clock.advance(timedelta(days=1))
    gone = api.client.get("/v1/audit/verify", headers={"X-API-Key": token})
    assert gone.status_code == 401 and "expired" in gone.json()["detail"]


def test_a_document_check_needs_the_verify_scope_and_records_who_what_why(api: Api) -> None:
    rid = api.file()
    body = {"method": "staff_document", "document_ref": "ID card 043912345",
            "reason": "the requester showed the card at the Almaty office"}
    by_writer = api.client.post(f"/v1/requests/{rid}/verify", headers=api.headers("writer"),
                                json=body)
    assert by_writer.status_code == 403 and "'verify' scope" in by_writer.json()["detail"]
    no_reason = api.client.post(f"/v1/requests/{rid}/verify",
                                headers=api.headers("verifier"),
                                json={**body, "reason": " "})
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    done = api.client.post(f"/v1/requests/{rid}/verify", headers=api.headers("verifier"),
                           json=body)
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "verified"
    key_id = api.tokens["verifier"].split("_")[1]
    with api.container.engine.connect() as connection:
        reason = connection.execute(select(request_transitions.c.reason).where(
            request_transitions.c.request_id == rid,
            request_transitions.c.to_state == "verified")).scalar_one()
        details = [json.loads(d) for d in connection.execute(
            select(audit_log.c.details).where(audit_log.c.request_id == rid)).scalars()]
    assert reason == body["reason"]
    (verified,) = [d for d in details if d.get("to") == "verified"]
    assert verified["verified_by"] == f"api key {key_id} (verifier)"
    assert verified["document"].endswith("2345") and "043912345" not in verified["document"]
    assert verified["reason"] == body["reason"]
    # An admin key may do it too.
    second = api.file()
    assert api.client.post(f"/v1/requests/{second}/verify", headers=api.headers("admin"),
                           json=body).status_code == 200

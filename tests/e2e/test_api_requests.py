"""``/v1/requests`` through FastAPI's TestClient: API keys, OTP verification, answers, letters."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from derbes.access import service as apikeys
from derbes.api.app import create_app
from derbes.bootstrap import Container
from derbes.delivery.ports import Couriers
from derbes.platform.clock import FixedClock
from derbes.register.adapters.yaml import load_register
from derbes.register.service import registers
from derbes.testing.delivery import RecordingMailer, RecordingSms
from derbes.vault.adapters.key_files import KEY_FILES
from derbes.vault.service import keys
from tests.operator_db import DATASET, generator
from tests.requests_support import FRIDAY, PHOTO_TRAFFIC, World, busy_client, kredit, pdf_text


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]
    container: Container
    world: World

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    from derbes.settings import Settings

    datasets = tmp_path / "datasets"
    datasets.mkdir()
    shutil.copy(DATASET, datasets / DATASET.name)
    op_url = f"sqlite:///{tmp_path / 'core.sqlite3'}"
    generator().generate(op_url, 20, seed=3, batch_size=10)
    monkeypatch.setenv("KREDIT_SEVEN_CORE_URL", op_url)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'derbes.sqlite3'}",
        keystore_url=f"sqlite:///{tmp_path / 'keys.sqlite3'}",
        kek_file=tmp_path / "kek.key", var_dir=tmp_path, datasets_dir=datasets,
    )
    clock = FixedClock(FRIDAY)
    container = Container(settings=settings, clock=clock)
    # The subject's phone: the SMS the codes go out by, as the subject reads them.
    container.couriers = Couriers(RecordingSms(), RecordingMailer())
    keys.initialise(var_dir=tmp_path, kek_file=settings.kek_file,
                    keystore_url=settings.keystore_url, database_url=settings.database_url,
                    open_keystore=lambda: container.keystore, files=KEY_FILES)
    registers.publish(container.uow(), [kredit()], clock)
    world = World(container.uow, container.keystore, op_url, clock)
    scopes = {"reader": ["read"], "writer": ["write"], "clerk": ["read", "write"],
              "admin": ["admin"]}
    tokens = {name: apikeys.create(container.uow(), clock, name=name, scopes=s).token
              for name, s in scopes.items()}
    # A key bound to another operator: that operator must be published.
    registers.publish(container.uow(), [load_register(
        Path(__file__).parents[2] / "registers" / "kassa24.yaml")], clock)
    tokens["other-op"] = apikeys.create(container.uow(), clock, name="other-op",
                                        scopes=["read", "write"], operator_id="kassa24").token
    with TestClient(create_app(container)) as client:
        yield Api(client, tokens, container, world)
    container.engine.dispose()
    container.keystore_engine.dispose()


def test_file_verify_by_otp_answer_and_letter(api: Api) -> None:
    client = busy_client(api.world.op_url or "")
    api.world.add_customer(client)
    filed = api.client.post("/v1/requests", headers=api.headers("writer"), json={
        "operator": "kredit-seven", "type": "access", "language": "kk",
        "identifiers": {"iin": client.iin}})
    assert filed.status_code == 201, filed.text
    body = filed.json()
    rid = body["id"]
    assert body["due_date"] == "2026-03-30" and body["state"] == "received"
    assert client.iin not in filed.text
    assert filed.headers["Location"].endswith(rid)

    early = api.client.post(f"/v1/requests/{rid}/answer", headers=api.headers("admin"))
    assert early.status_code == 409 and "not verified" in early.json()["detail"]

    sent = api.client.post(f"/v1/requests/{rid}/otp", headers=api.headers("writer"))
    assert sent.status_code == 200, sent.text
    reference = sent.json()["otp_reference"]
    code = api.container.couriers.sms.last_code()
    assert code is not None
    wrong = api.client.post(f"/v1/requests/{rid}/verify", headers=api.headers("writer"),
                            json={"method": "sms_otp", "otp_reference": reference,
                                  "otp_code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 422
    ok = api.client.post(f"/v1/requests/{rid}/verify", headers=api.headers("writer"),
                         json={"method": "sms_otp", "otp_reference": reference,
                               "otp_code": code})
    assert ok.status_code == 200 and ok.json()["state"] == "verified"

    # Answering an access request discloses PD: write alone is not enough.
    denied = api.client.post(f"/v1/requests/{rid}/answer", headers=api.headers("writer"))
    assert denied.status_code == 403
    answered = api.client.post(f"/v1/requests/{rid}/answer", headers=api.headers("clerk"))
    assert answered.status_code == 200, answered.text
    answer = answered.json()["answer"]
    assert answer["held"] and {s["store"] for s in answer["stores"]} == {"kredit-seven-core"}
    assert any(v["value"] == PHOTO_TRAFFIC for c in answer["categories"] for v in c["values"])

    shown = api.client.get(f"/v1/requests/{rid}", headers=api.headers("reader"))
    assert shown.json()["state"] == "answered" and client.iin not in shown.text
    other = api.client.get(f"/v1/requests/{rid}", headers=api.headers("other-op"))
    assert other.status_code == 404

    pdf = api.client.get(f"/v1/requests/{rid}/letter", headers=api.headers("reader"))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "дербес деректеріңіз" in pdf_text(pdf.content)
    html = api.client.get(f"/v1/requests/{rid}/letter",
                          params={"format": "html", "lang": "ru"},
                          headers=api.headers("reader"))
    assert "Ваши персональные данные" in html.text


def test_list_overdue_and_due_tomorrow(api: Api) -> None:
    for type_ in ("access", "blocking"):
        made = api.client.post("/v1/requests", headers=api.headers("writer"), json={
            "operator": "kredit-seven", "type": type_, "identifiers": {"phone": "+77011234567"}})
        assert made.status_code == 201, made.text
    unknown = api.client.post("/v1/requests", headers=api.headers("writer"), json={
        "operator": "kredit-seven", "type": "erase_everything",
        "identifiers": {"phone": "+77011234567"}})
    assert unknown.status_code == 422 and "unknown request type" in unknown.json()["detail"]
    listed = api.client.get("/v1/requests", params={"state": "received"},
                            headers=api.headers("reader")).json()
    assert len(listed["requests"]) == 2
    late = api.client.get("/v1/requests", params={"overdue": "true", "as_of": "2026-03-31"},
                          headers=api.headers("reader")).json()
    assert {r["type"] for r in late["requests"]} == {"access", "blocking"}
    tomorrow = api.client.get("/v1/requests", params={"due": "tomorrow",
                                                      "as_of": "2026-03-25"},
                              headers=api.headers("reader")).json()
    assert [r["type"] for r in tomorrow["requests"]] == ["blocking"]
    nobody = api.client.get("/v1/requests", headers={"Authorization": "Bearer dbk_x_y"})
    assert nobody.status_code == 401


def test_a_bad_dataset_mapping_is_a_problem_listing_every_fault(api: Api) -> None:
    """A dataset that maps a column to a category the register does not know stops the
    answer with a 422 problem whose ``problems`` name each fault and its path."""
    datasets = api.container.settings.datasets_dir
    text = (datasets / DATASET.name).read_text(encoding="utf-8")
    assert "category: identity.full_name" in text
    (datasets / DATASET.name).write_text(
        text.replace("category: identity.full_name", "category: identity.no_such_thing", 1),
        encoding="utf-8")
    filed = api.client.post("/v1/requests", headers=api.headers("writer"), json={
        "operator": "kredit-seven", "type": "access", "identifiers": {"phone": "+77011234567"}})
    rid = filed.json()["id"]
    verified = api.client.post(f"/v1/requests/{rid}/verify", headers=api.headers("admin"), json={
        "method": "staff_document", "document_ref": "ID card 043912345",
        "reason": "the clerk saw the card"})
    assert verified.status_code == 200, verified.text
    refused = api.client.post(f"/v1/requests/{rid}/answer", headers=api.headers("clerk"))
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    faults = [p for p in problem["problems"] if "identity.no_such_thing" in p["message"]]
    assert len(faults) == 1
    assert faults[0]["path"].endswith(".category") and faults[0]["path"].startswith("tables[")
    assert faults[0]["file"] is not None and faults[0]["line"] is not None
    assert problem["field"] == problem["problems"][0]["path"]

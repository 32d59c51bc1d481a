"""``/v1/decisions``, ``/v1/transfers`` and the subject's transfer view over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derbes.access import service as apikeys
from derbes.api.app import create_app
from derbes.bootstrap import Container
from derbes.consent.model.consent import Scope, ScopeKind
from derbes.consent.service import consent as consent_service
from derbes.decisions.model import Decision, Reason, ReasonCode
from derbes.decisions.model.compact import expand
from derbes.platform.clock import FixedClock
from derbes.register.adapters.yaml import load_register
from derbes.register.service import registers
from derbes.settings import Settings
from derbes.testing.context import make_context
from derbes.vault.adapters.key_files import KEY_FILES
from derbes.vault.service import keys
from tests.vault_support import IIN, IIN_B

FIXTURE = Path(__file__).parents[1] / "fixtures" / "registers" / "decisions.yaml"
OPERATOR = "decide-pay"


@dataclass
class Api:
    client: TestClient
    container: Container
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def subject(self, iin: str) -> str:
        body = {"operator": OPERATOR, "values": [
            {"category": "identity.full_name", "value": "Test Subject"},
            {"category": "identity.iin", "value": iin, "purposes": ["aml_identification"]},
        ]}
        response = self.client.post("/v1/subjects", json=body, headers=self.headers("writer"))
        assert response.status_code == 201, response.text
        subject_id: str = response.json()["subject_id"]
        return subject_id

    def consent(self, subject_id: str, *scopes: Scope) -> list[str]:
        result = consent_service.give_consent(
            make_context(self.container.uow(), self.container.keystore, self.container.clock, "test"),
            None, consent_service.ConsentRequest(subject_id=subject_id, scopes=list(scopes),
                                           channel="web_checkbox"))
        return [c.id for c in result.consents]


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'derbes.sqlite3'}",
        keystore_url=f"sqlite:///{tmp_path / 'keys.sqlite3'}",
        kek_file=tmp_path / "kek.key",
        var_dir=tmp_path,
        decision_cache_seconds=0,
    )
    clock = FixedClock()
    container = Container(settings=settings, clock=clock)
    keys.initialise(var_dir=tmp_path, kek_file=settings.kek_file,
                    keystore_url=settings.keystore_url, database_url=settings.database_url,
                    open_keystore=lambda: container.keystore, files=KEY_FILES)
    registers.publish(container.uow(), [load_register(FIXTURE)], clock)
    tokens = {name: apikeys.create(container.uow(), clock, name=name, scopes=s).token
              for name, s in {"reader": ["read"], "writer": ["write"]}.items()}
    tokens["bound"] = apikeys.create(container.uow(), clock, name="bound", scopes=["read"],
                                     operator_id=OPERATOR).token
    with TestClient(create_app(container)) as client:
        yield Api(client, container, tokens)
    container.engine.dispose()
    container.keystore_engine.dispose()


def test_batch_decisions(api: Api) -> None:
    a, b = api.subject(IIN), api.subject(IIN_B)
    (consent_id,) = api.consent(a, Scope(ScopeKind.PROCESSING, purposes=("credit_check",)))
    body = {"operator": OPERATOR, "actions": [
        {"subject_id": a, "action": "use", "purpose": "credit_check",
         "categories": ["identity.iin"]},
        {"subject_id": b, "action": "use", "purpose": "credit_check",
         "categories": ["identity.iin"]},
        {"subject_id": b, "action": "transfer", "purpose": "aml_identification",
         "recipient": "afm", "categories": ["identity.iin"]},
        {"subject_id": a, "action": "cross_border", "purpose": "credit_check",
         "recipient": "analytics_abroad", "categories": ["identity.full_name"]},
        {"subject_id": a, "action": "publish", "categories": ["identity.full_name"]},
    ]}
    response = api.client.post("/v1/decisions", json=body, headers=api.headers("reader"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    decisions = response.json()["decisions"]
    assert [d["allowed"] for d in decisions] == [True, False, True, False, False]
    first = decisions[0]["reasons"][0]
    assert first == {"code": "consent", "allowed": True, "ref": consent_id,
                     "message": first["message"], "citation": first["citation"]}
    assert "Art. 8" in first["citation"]
    assert [r["code"] for r in decisions[1]["reasons"]] == ["consent_absent"]
    assert [r["code"] for r in decisions[3]["reasons"]] == ["transfer_not_consented",
                                                            "cross_border_not_allowed"]
    # Kazakh messages, and an operator taken from a bound key.
    kk = api.client.post("/v1/decisions", json={**body, "operator": None, "lang": "kk"},
                         headers=api.headers("bound"))
    assert kk.status_code == 200, kk.text
    assert "келісім" in kk.json()["decisions"][1]["reasons"][0]["message"]


def test_unknown_purpose_is_a_422_problem_naming_the_action(api: Api) -> None:
    a = api.subject(IIN)
    body = {"operator": OPERATOR, "actions": [
        {"subject_id": a, "action": "use", "purpose": "credit_check",
         "categories": ["identity.iin"]},
        {"subject_id": a, "action": "use", "purpose": "astrology",
         "categories": ["identity.iin"]},
    ]}
    response = api.client.post("/v1/decisions", json=body, headers=api.headers("reader"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["field"] == "actions[1].purpose"
    assert "astrology" in problem["detail"]
    bad = api.client.post("/v1/decisions", json={"operator": OPERATOR, "actions": [
        {"subject_id": a, "action": "sell", "categories": ["identity.iin"]}]},
        headers=api.headers("reader"))
    assert bad.status_code == 422
    assert bad.json()["field"].startswith("body.actions.0.action")
    anonymous = api.client.post("/v1/decisions", json=body)
    assert anonymous.status_code == 401


def test_transfer_refused_then_recorded_and_the_subjects_view(api: Api) -> None:
    a = api.subject(IIN)
    api.consent(a, Scope(ScopeKind.PROCESSING, purposes=("credit_check",)))
    body = {"operator": OPERATOR, "recipient": "credit_bureau", "purpose": "credit_check",
            "categories": ["identity.iin"], "subject_ids": [a]}
    refused = api.client.post("/v1/transfers", json=body, headers=api.headers("writer"))
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["type"].endswith("/decision-denied")
    assert problem["citation"]
    assert [(r["subject_id"], r["code"]) for r in problem["reasons"]] == \
        [(a, "transfer_not_consented")]

    api.consent(a, Scope(ScopeKind.THIRD_PARTY_TRANSFER, recipients=("credit_bureau",)))
    made = api.client.post("/v1/transfers", json=body, headers=api.headers("writer"))
    assert made.status_code == 201, made.text
    record = made.json()
    assert record["basis_kind"] == "consent"
    assert len(record["subjects"][0]["consent_ids"]) == 2
    assert api.client.post("/v1/transfers", json=body,
                           headers=api.headers("reader")).status_code == 403

    view = api.client.get(f"/v1/subjects/{a}/transfers", headers=api.headers("reader"))
    assert view.status_code == 200, view.text
    (seen,) = view.json()["transfers"]
    assert seen["id"] == record["id"]
    assert seen["recipient_name"] == "Кредитное бюро"
    assert seen["consent_ids"] == record["subjects"][0]["consent_ids"]
    missing = api.client.get("/v1/subjects/nobody/transfers", headers=api.headers("reader"))
    assert missing.status_code == 404


def test_transfer_without_consent_needs_the_motivated_request(api: Api) -> None:
    a = api.subject(IIN)
    body = {"operator": OPERATOR, "recipient": "police", "purpose": "state_requests",
            "categories": ["identity.iin"], "subject_ids": [a]}
    for missing in ("state_body", "request_number", "request_date", "law_citation"):
        full = {**body, "state_body": "Police of Almaty", "request_number": "7/1",
                "request_date": "2026-01-04", "law_citation": "CCP Art. 122"}
        del full[missing]
        response = api.client.post("/v1/transfers", json=full, headers=api.headers("writer"))
        assert response.status_code == 422, missing
        assert response.json()["field"] == missing
    full = {**body, "state_body": "Police of Almaty", "request_number": "7/1",
            "request_date": "2026-01-04", "law_citation": "CCP Art. 122"}
    made = api.client.post("/v1/transfers", json=full, headers=api.headers("writer"))
    assert made.status_code == 201, made.text
    assert made.json()["basis_kind"] == "state_request"
    (seen,) = api.client.get(f"/v1/subjects/{a}/transfers",
                             headers=api.headers("reader")).json()["transfers"]
    assert (seen["state_body"], seen["request_number"], seen["request_date"]) == (
        "Police of Almaty", "7/1", "2026-01-04")
    assert seen["consent_ids"] == []


def test_openapi_documents_the_batch(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    operation = schema["paths"]["/v1/decisions"]["post"]
    assert "DecisionsIn" in str(operation["requestBody"])
    assert "DecisionsOut" in str(operation["responses"]["200"])


# ------------------------------------------------------------------ the compact form

PURPOSES = ["payment_service", "aml_identification", "newsletters", "credit_check",
            "account_service", "state_requests"]
RECIPIENTS = ["card_processor", "afm", "credit_bureau", "cloud_eu", "analytics_abroad",
              "police"]
CATEGORIES = ["contact.phone", "financial.credit_history", "contact.email",
              "financial.card_token", "identity.id_document", "identity.iin",
              "identity.full_name", "financial.transactions"]


def _full_decisions(body: dict[str, Any]) -> list[Decision]:
    return [Decision(d["allowed"], tuple(
        Reason(ReasonCode(r["code"]), r["allowed"], r["message"], r["citation"], r["ref"])
        for r in d["reasons"])) for d in body["decisions"]]


@st.composite
def _actions(draw: st.DrawFn, subjects: list[str]) -> list[list[Any]]:
    kinds = st.sampled_from(["use", "transfer", "cross_border", "publish"])
    row = st.tuples(st.sampled_from(subjects), kinds, st.none() | st.sampled_from(PURPOSES),
                    st.none() | st.sampled_from(RECIPIENTS),
                    st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=3))
    return [list(r) for r in draw(st.lists(row, min_size=1, max_size=25))]


def test_compact_form_gives_exactly_the_decisions_of_the_full_form(api: Api) -> None:
    a, b = api.subject(IIN), api.subject(IIN_B)
    api.consent(a, Scope(ScopeKind.PROCESSING, purposes=("credit_check", "newsletters")),
                Scope(ScopeKind.THIRD_PARTY_TRANSFER, recipients=("credit_bureau",)))
    subjects = [a, b, "00000000-0000-4000-8000-000000000000"]

    @settings(max_examples=15, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(_actions(subjects), st.sampled_from(["en", "ru", "kk"]))
    def check(rows: list[list[Any]], lang: str) -> None:
        full = api.client.post("/v1/decisions", headers=api.headers("reader"), json={
            "operator": OPERATOR, "lang": lang, "actions": [dict(zip(
                ("subject_id", "action", "purpose", "recipient", "categories"), r,
                strict=True)) for r in rows]})
        small = api.client.post("/v1/decisions/compact", headers=api.headers("reader"),
                                json={"operator": OPERATOR, "lang": lang, "actions": rows})
        assert small.status_code == full.status_code, (full.text, small.text)
        if full.status_code == 200:
            assert small.headers["content-type"] == "application/json"
            assert expand(small.json()) == _full_decisions(full.json())
        else:
            assert small.headers["content-type"] == "application/problem+json"
            assert small.json()["field"] == full.json()["field"]

    check()


@pytest.mark.parametrize(("actions", "field"), [
    ([["s", "sell", "credit_check", None, ["identity.iin"]]], "body.actions.0.action"),
    ([["s", "use", "credit_check", None, []]], "body.actions.0.categories"),
    ([["s", "use", "credit_check", None]], "body.actions.0.categories"),
    ([["", "use", "credit_check", None, ["identity.iin"]]], "body.actions.0.subject_id"),
    ([["s", "use", "x" * 101, None, ["identity.iin"]]], "body.actions.0.purpose"),
    ([["s", "use", "credit_check", 7, ["identity.iin"]]], "body.actions.0.recipient"),
    ([["s", "use", "credit_check", None, ["identity.iin"]],
      ["s", "use", "astrology", None, ["identity.iin"]]], "actions[1].purpose"),
    ([], "body.actions"),
    ("all of them", "body.actions"),
])
def test_bad_compact_input_is_a_422_problem_naming_the_field(
        api: Api, actions: Any, field: str) -> None:
    response = api.client.post("/v1/decisions/compact", headers=api.headers("reader"),
                               json={"operator": OPERATOR, "actions": actions})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field


def test_compact_body_that_is_not_json_is_a_problem_and_needs_a_key(api: Api) -> None:
    for raw, content_type, field in ((b"{not json", "application/json", "body"),
                                     (b'{"actions": []}', "text/plain", "content-type"),
                                     (b'{"actions": [], "extra": 1}', "application/json",
                                      "body.actions")):
        response = api.client.post("/v1/decisions/compact", content=raw, headers={
            **api.headers("reader"), "Content-Type": content_type})
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field
    anonymous = api.client.post("/v1/decisions/compact", json={"actions": []})
    assert anonymous.status_code == 401


def test_compact_form_is_documented_with_an_example(api: Api) -> None:
    operation = api.client.get("/openapi.json").json()["paths"]["/v1/decisions/compact"]["post"]
    body = operation["requestBody"]["content"]["application/json"]
    assert body["example"]["actions"][0][1] == "use"
    assert body["schema"]["properties"]["actions"]["maxItems"] == 10_000
    answer = operation["responses"]["200"]["content"]["application/json"]
    assert answer["example"]["decisions"][0][1][0][2] == 0
    assert "$ref" in answer["schema"] or "properties" in answer["schema"]

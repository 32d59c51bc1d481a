"""``POST /v1/identifiers/check`` through FastAPI's TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from derbes.api.app import create_app
from derbes.bootstrap import bootstrap
from derbes.platform.clock import FixedClock


@pytest.fixture
def client() -> Iterator[TestClient]:
    clock = FixedClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    with TestClient(create_app(bootstrap(clock=clock))) as test_client:
        yield test_client


def test_valid_iin(client: TestClient) -> None:
    response = client.post("/v1/identifiers/check", json={"value": "900101300126"})
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True
    assert body["kind"] == "iin"
    assert body["facts"] == {
        "birth_date": "1990-01-01", "sex": "male", "sex_label": "male", "century": 20,
        "age": 36, "minor": False,
    }


def test_minor_by_iin_on_the_injected_clock(client: TestClient) -> None:
    response = client.post("/v1/identifiers/check",
                           json={"value": "100101500012", "kind": "iin", "lang": "kk"})
    body = response.json()
    assert body["facts"]["age"] == 16
    assert body["facts"]["minor"] is True
    assert body["facts"]["sex_label"] == "ер"


def test_invalid_value_is_a_verdict_not_an_error(client: TestClient) -> None:
    response = client.post("/v1/identifiers/check", json={"value": "130940014693"})
    assert response.status_code == 200
    body = response.json()
    assert body == {"valid": False, "kind": "bin", "value": None, "masked": None, "facts": {},
                    "reason": "BIN control digit (12th) does not match"}


def test_card_number_never_comes_back_in_full(client: TestClient) -> None:
    response = client.post("/v1/identifiers/check", json={"value": "5555 5555 5555 4444"})
    assert response.status_code == 200
    assert "5555555555554444" not in response.text
    assert response.json()["facts"]["brand"] == "mastercard"


def test_iban_and_phone(client: TestClient) -> None:
    iban = client.post("/v1/identifiers/check", json={"value": "kz86 125k zt50 0410 0100"})
    assert iban.json()["value"] == "KZ86125KZT5004100100"
    phone = client.post("/v1/identifiers/check", json={"value": "+7 495 123 45 67"})
    assert phone.json()["valid"] is False
    assert phone.json()["facts"] == {"region": "RU"}


def test_undetectable_value_is_a_problem_document(client: TestClient) -> None:
    response = client.post("/v1/identifiers/check", json={"value": "hello there"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["field"] == "value"
    assert "hello there" not in response.text


def test_unknown_kind_is_rejected_without_echoing_the_value(client: TestClient) -> None:
    response = client.post("/v1/identifiers/check",
                           json={"value": "900101300126", "kind": "snils"})
    assert response.status_code == 422
    assert "900101300126" not in response.text


def test_the_check_is_post_only(client: TestClient) -> None:
    assert client.get("/v1/identifiers/check", params={"value": "900101300126"}).status_code == 405

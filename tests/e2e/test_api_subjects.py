"""``/v1/subjects`` through FastAPI's TestClient, with API keys of different scopes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from derbes.access import service as apikeys
from derbes.api.app import create_app
from derbes.bootstrap import Container
from derbes.platform.clock import FixedClock
from derbes.register.adapters.yaml import load_register
from derbes.register.service import registers
from derbes.settings import Settings
from derbes.vault.adapters.key_files import KEY_FILES
from derbes.vault.service import keys
from tests.vault_support import (
    EMAIL,
    FULL_NAME,
    IIN,
    PHONE,
    PHONE_LOCAL,
    minimal_register,
)


class Api:
    def __init__(self, client: TestClient, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'derbes.sqlite3'}",
        keystore_url=f"sqlite:///{tmp_path / 'keys.sqlite3'}",
        kek_file=tmp_path / "kek.key",
        var_dir=tmp_path,
    )
    clock = FixedClock()
    container = Container(settings=settings, clock=clock)
    keys.initialise(var_dir=tmp_path, kek_file=settings.kek_file,
                    keystore_url=settings.keystore_url, database_url=settings.database_url,
                    open_keystore=lambda: container.keystore, files=KEY_FILES)
    registers.publish(container.uow(), [minimal_register()], clock)
    scopes = {"reader": ["read"], "writer": ["write"], "destroyer": ["destroy"],
              "admin": ["admin"]}
    tokens = {name: apikeys.create(container.uow(), clock, name=name, scopes=s).token
              for name, s in scopes.items()}
    # A key bound to another operator: that operator must be published.
    registers.publish(container.uow(), [load_register(
        Path(__file__).parents[2] / "registers" / "kassa24.yaml")], clock)
    tokens["other-op"] = apikeys.create(container.uow(), clock, name="other-op",
                                        scopes=["read", "write"], operator_id="kassa24").token
    with TestClient(create_app(container)) as client:
        yield Api(client, tokens)
    container.engine.dispose()
    container.keystore_engine.dispose()


def _body() -> dict[str, object]:
    return {
        "operator": "example-pay",
        "values": [
            {"category": "identity.full_name", "value": FULL_NAME},
            {"category": "identity.iin", "value": IIN, "purposes": ["aml_identification"],
             "source": "state_database", "method": "gbdfl"},
            {"category": "contact.phone", "value": PHONE_LOCAL},
            {"category": "contact.email", "value": EMAIL},
        ],
        "identifiers": {"customer_id": "W-1"},
    }


def _create(api: Api) -> str:
    response = api.client.post("/v1/subjects", json=_body(), headers=api.headers("writer"))
    assert response.status_code == 201, response.text
    subject_id: str = response.json()["subject_id"]
    assert response.headers["Location"].endswith(subject_id)
    return subject_id


def test_create_read_lookup_patch_block_destroy(api: Api) -> None:
    sid = _create(api)

    read = api.client.get(f"/v1/subjects/{sid}", params={"purpose": "payment_service"},
                          headers={**api.headers("reader"), "X-Request-ID": "req-42"})
    assert read.status_code == 200, read.text
    assert read.headers["X-Request-ID"] == "req-42"
    values = {v["category"]: v["value"] for v in read.json()["values"]}
    assert values == {"identity.full_name": FULL_NAME, "contact.phone": PHONE}

    sar = api.client.get(f"/v1/subjects/{sid}", params={"purpose": "subject_access_request"},
                         headers=api.headers("reader")).json()
    iin = next(v for v in sar["values"] if v["category"] == "identity.iin")
    assert iin["value"] == IIN and iin["provenance"]["source"] == "state_database"

    found = api.client.post("/v1/subjects/lookup", headers=api.headers("reader"),
                            json={"kind": "iin", "value": IIN, "purpose": "aml_identification"})
    assert found.json() == {"matches": [{"subject_id": sid, "operator_id": "example-pay"}]}

    patched = api.client.patch(
        f"/v1/subjects/{sid}", headers=api.headers("writer"),
        json={"add": [{"category": "contact.phone", "value": "+77012223344"}]})
    assert patched.json() == {"subject_id": sid, "changed": ["contact.phone"]}

    blocked = api.client.post(f"/v1/subjects/{sid}/block", headers=api.headers("writer"),
                              json={"categories": ["contact.email"], "reason": "dispute"})
    assert [b["category"] for b in blocked.json()["blocks"]] == ["contact.email"]
    news = api.client.get(f"/v1/subjects/{sid}", params={"purpose": "newsletters"},
                          headers=api.headers("reader")).json()
    assert news["values"] == [] and news["withheld"] == ["contact.email"]

    gone = api.client.delete(f"/v1/subjects/{sid}", params={"reason": "request 7"},
                             headers=api.headers("destroyer"))
    assert gone.status_code == 200, gone.text
    assert gone.json()["key_destroyed"] is True and gone.json()["values_deleted"] == 5
    after = api.client.get(f"/v1/subjects/{sid}", params={"purpose": "payment_service"},
                           headers=api.headers("reader"))
    assert after.status_code == 404


def test_read_without_purpose_is_a_422_on_field_purpose(api: Api) -> None:
    sid = _create(api)
    response = api.client.get(f"/v1/subjects/{sid}", headers=api.headers("reader"))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"] == "purpose"
    lookup = api.client.post("/v1/subjects/lookup", headers=api.headers("reader"),
                             json={"kind": "iin", "value": IIN})
    assert lookup.status_code == 422 and lookup.json()["field"] == "purpose"


@pytest.mark.parametrize(
    ("who", "method", "path_suffix", "needed"),
    [
        ("reader", "post", "", "write"),
        ("writer", "get", "?purpose=payment_service", "read"),
        ("writer", "delete", "?reason=x", "destroy"),
        ("reader", "delete", "?reason=x", "destroy"),
        ("destroyer", "patch", "", "write"),
    ],
)
def test_wrong_scope_is_a_403_problem(api: Api, who: str, method: str, path_suffix: str,
                                      needed: str) -> None:
    sid = _create(api)
    path = "/v1/subjects" if method == "post" else f"/v1/subjects/{sid}{path_suffix}"
    kwargs: dict[str, object] = {"headers": api.headers(who)}
    if method in ("post", "patch"):
        kwargs["json"] = _body() if method == "post" else {"add": []}
    response = getattr(api.client, method)(path, **kwargs)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert needed in response.json()["detail"]


def test_no_key_is_401_and_admin_may_do_everything(api: Api) -> None:
    assert api.client.post("/v1/subjects", json=_body()).status_code == 401
    sid = api.client.post("/v1/subjects", json=_body(), headers=api.headers("admin")).json()[
        "subject_id"]
    assert api.client.delete(f"/v1/subjects/{sid}", params={"reason": "r"},
                             headers=api.headers("admin")).status_code == 200


def test_minimisation_refusal_is_a_409_with_citation_and_no_pd(api: Api) -> None:
    body = _body()
    body["values"] = [{"category": "identity.birth_date", "value": "1990-01-01"}]
    response = api.client.post("/v1/subjects", json=body, headers=api.headers("writer"))
    assert response.status_code == 409
    problem = response.json()
    assert "Law 94-V Art. 7" in problem["citation"]
    assert "1990-01-01" not in response.text
    bad_iin = _body()
    bad_iin["values"] = [{"category": "identity.iin", "value": IIN[:-1] + "7"}]
    response = api.client.post("/v1/subjects", json=bad_iin, headers=api.headers("writer"))
    assert response.status_code == 422
    assert IIN[:-1] not in response.text


def test_key_bound_to_another_operator_sees_nothing(api: Api) -> None:
    sid = _create(api)
    response = api.client.get(f"/v1/subjects/{sid}", params={"purpose": "payment_service"},
                              headers=api.headers("other-op"))
    assert response.status_code == 404
    create = api.client.post("/v1/subjects", json=_body(), headers=api.headers("other-op"))
    assert create.status_code == 403

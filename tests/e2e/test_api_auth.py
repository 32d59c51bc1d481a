"""API keys end to end: ``derbes apikey create``, then calls to the API with the key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from derbes.api.app import create_app
from derbes.bootstrap import Container
from tests.e2e.test_cli_audit import _derbes, settings_for


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One initialised installation; each test makes its own keys."""
    root = tmp_path_factory.mktemp("site")
    init = _derbes("init", cwd=root)
    assert init.returncode == 0, init.stderr
    return root


@pytest.fixture
def client(site: Path) -> Iterator[TestClient]:
    container = Container(settings=settings_for(site))
    with TestClient(create_app(container)) as test_client:
        yield test_client
    container.engine.dispose()


def _create(site: Path, *scopes: str) -> str:
    args = [a for s in scopes for a in ("--scope", s)]
    result = _derbes("apikey", "create", "--name", "scoring service", *args, cwd=site)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert token.startswith("dbk_")
    assert token not in result.stderr
    return token


def test_a_key_with_the_scope_gets_200(site: Path, client: TestClient) -> None:
    token = _create(site, "admin")
    response = client.get("/v1/audit/verify", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True, "entries": 0, "head_seq": 0,
                               "head_hash": "0" * 64, "breaks": [], "anchor": None,
                               "forged_anchor_lines": 0, "candidate_incidents": []}
    by_header = client.get("/v1/audit/verify", headers={"X-API-Key": token})
    assert by_header.status_code == 200


def test_a_key_without_the_scope_gets_403_naming_it(site: Path, client: TestClient) -> None:
    token = _create(site, "read", "write")
    response = client.get("/v1/audit/verify", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert "'admin' scope" in body["detail"]
    assert token not in response.text


def test_no_key_gets_401(client: TestClient) -> None:
    response = client.get("/v1/audit/verify")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Not authenticated"


def test_a_wrong_key_gets_401_without_echoing_it(site: Path, client: TestClient) -> None:
    token = _create(site, "admin")
    wrong = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = client.get("/v1/audit/verify", headers={"Authorization": f"Bearer {wrong}"})
    assert response.status_code == 401
    assert wrong not in response.text


def test_a_revoked_key_gets_401_at_once(site: Path, client: TestClient) -> None:
    token = _create(site, "admin")
    key_id = token.split("_")[1]
    assert client.get("/v1/audit/verify", headers={"X-API-Key": token}).status_code == 200
    listed = _derbes("apikey", "list", cwd=site)
    assert key_id in listed.stdout and "active" in listed.stdout
    revoked = _derbes("apikey", "revoke", key_id, cwd=site)
    assert revoked.returncode == 0, revoked.stderr
    response = client.get("/v1/audit/verify", headers={"X-API-Key": token})
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_create_refuses_an_unknown_scope(site: Path) -> None:
    result = _derbes("apikey", "create", "--name", "x", "--scope", "root", cwd=site)
    assert result.returncode == 1
    assert "unknown scope" in result.stderr
    assert "dbk_" not in result.stdout

"""What the router answers by itself (no such path, a method a path does not take) is
RFC 9457 problem+json like every other error, and keeps its ``Allow`` header."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from derbes.api.app import create_app
from derbes.bootstrap import Container
from tests.e2e.test_cli_audit import _derbes, settings_for


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    init = _derbes("init", cwd=root)
    assert init.returncode == 0, init.stderr
    return root


@pytest.fixture(scope="module")
def client(site: Path) -> Iterator[TestClient]:
    container = Container(settings=settings_for(site))
    with TestClient(create_app(container)) as test_client:
        yield test_client
    container.engine.dispose()


@pytest.mark.parametrize("path", ["/nope", "/v1/no-such-thing", "/notice/..%2f..%2fetc%2fpasswd"])
def test_an_unknown_path_is_a_404_problem(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert body["title"] == "Not Found"
    assert body["type"] == "https://derbes.kz/problems/not-found"
    assert "/docs" in body["detail"]


def test_a_method_the_path_does_not_take_is_a_405_problem_with_allow(client: TestClient
                                                                      ) -> None:
    response = client.delete("/v1/registers")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["allow"] == "GET"
    body = response.json()
    assert body["status"] == 405
    assert body["type"] == "https://derbes.kz/problems/method-not-allowed"
    assert body["detail"] == "DELETE is not accepted here: use GET"
    assert body["instance"] == "/v1/registers"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An installation that reads at most 64 KiB of a request body."""
    root = tmp_path_factory.mktemp("small")
    assert _derbes("init", cwd=root).returncode == 0
    settings = settings_for(root).model_copy(update={"max_request_bytes": 64 * 1024})
    container = Container(settings=settings)
    with TestClient(create_app(container)) as test_client:
        yield test_client
    container.engine.dispose()


def _huge_subject() -> bytes:
    return json.dumps({"operator_id": "x", "values": {"n": "a" * 100_000}}).encode()


def test_a_body_declared_over_the_limit_is_refused_with_413(small: TestClient) -> None:
    response = small.post("/v1/subjects", content=_huge_subject(),
                          headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["field"] == "body"
    assert "DERBES_MAX_REQUEST_BYTES" in body["detail"]


def test_a_streamed_body_over_the_limit_is_cut_off_with_413(small: TestClient) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        data = _huge_subject()
        for start in range(0, len(data), 8192):
            yield data[start:start + 8192]

    response = small.post("/v1/subjects", content=chunks(),
                          headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_a_body_under_the_limit_reaches_the_route(small: TestClient) -> None:
    response = small.post("/v1/subjects", content=b"{}",
                          headers={"content-type": "application/json"})
    assert response.status_code == 401  # the route ran: it wants a key


def test_deeply_nested_json_is_a_problem_not_a_crash(client: TestClient, site: Path) -> None:
    made = _derbes("apikey", "create", "--name", "probe", "--scope", "write", cwd=site)
    assert made.returncode == 0, made.stderr
    response = client.post("/v1/subjects", content=b"[" * 100_000 + b"]" * 100_000,
                           headers={"content-type": "application/json",
                                    "Authorization": f"Bearer {made.stdout.strip()}"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "There was an error parsing the body"

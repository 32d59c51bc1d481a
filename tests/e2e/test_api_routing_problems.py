"""What the router answers by itself (no such path, a method a path does not take) is
RFC 9457 problem+json like every other error, and keeps its ``Allow`` header."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from derbes.api.app import create_app
from derbes.bootstrap import Container
from tests.e2e.test_cli_audit import _derbes, settings_for


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("site")
    init = _derbes("init", cwd=root)
    assert init.returncode == 0, init.stderr
    container = Container(settings=settings_for(root))
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

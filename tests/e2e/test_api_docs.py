"""``/docs`` and ``/redoc`` over HTTP: every file from derbes, a strict policy, no way up the tree.

The browser tests (tests/e2e/browser) render the pages; these check what the server
answers, and what it answers when the files were never installed.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from derbes.api import docs, problems
from tests.api_world import World, make_world
from tests.browser_support import unavailable

REFERENCE = re.compile(r'(?:src|href)="([^"]*)"')
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)



@pytest.fixture(autouse=True)
def _installed() -> None:
    if not all((docs.VENDOR_DIR / name).is_file() for name in docs.NEEDED):
        unavailable("the browser files in src/derbes/api/static/vendor (run `make assets`)")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = make_world(tmp_path)
    yield built
    built.close()


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_page_loads_only_files_derbes_serves(world: World, path: str) -> None:
    client = TestClient(world.app)

    page = client.get(path)

    assert page.status_code == 200
    assert page.text.lstrip().startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in page.text
    references = REFERENCE.findall(page.text)
    assert references, page.text
    for reference in references:
        assert reference.startswith(docs.VENDOR_URL + "/"), reference
        asset = client.get(reference)
        assert asset.status_code == 200, reference
        assert asset.content
    assert "googleapis" not in page.text and "jsdelivr" not in page.text


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_policy_allows_this_origin_only_and_inline_scripts_by_hash(world: World,
                                                                       path: str) -> None:
    page = TestClient(world.app).get(path)

    policy = dict(part.strip().split(" ", 1) for part in
                  page.headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["connect-src"] == "'self'"
    assert "unsafe-inline" not in policy["script-src"]
    assert "unsafe-eval" not in policy["script-src"]
    for script in INLINE_SCRIPT.findall(page.text):
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"]


def test_the_licences_are_served_beside_the_files(world: World) -> None:
    client = TestClient(world.app)

    for name in ["swagger-ui/LICENSE", "swagger-ui/NOTICE", "redoc/LICENSE",
                 "swagger-ui/swagger-ui-bundle.js.LICENSE.txt",
                 "redoc/redoc.standalone.js.LICENSE.txt"]:
        answer = client.get(f"{docs.VENDOR_URL}/{name}")
        assert answer.status_code == 200, name
        assert "copyright" in answer.text.lower() or "licen" in answer.text.lower()


@pytest.mark.parametrize("path", [
    "/vendor/%2e%2e/docs.py",
    "/vendor/swagger-ui/%2e%2e/%2e%2e/docs.py",
    "/vendor/..%2fdocs.py",
    "/vendor/%2fetc%2fpasswd",
    "/vendor/swagger-ui/",
    "/vendor/nothing.js",
])
def test_nothing_outside_the_copied_files_is_served(world: World, path: str) -> None:
    answer = TestClient(world.app).get(path)

    assert answer.status_code == 404
    assert "import" not in answer.text


def test_the_pages_stay_out_of_the_api_document(world: World) -> None:
    paths = TestClient(world.app).get("/openapi.json").json()["paths"]

    assert not {"/docs", "/redoc"} & set(paths)
    assert not any(p.startswith(docs.VENDOR_URL) for p in paths)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_without_the_files_the_page_says_what_to_run(tmp_path: Path, path: str) -> None:
    app = FastAPI(docs_url=None, redoc_url=None)
    problems.install(app)
    docs.install(app, vendor=tmp_path / "never-installed")

    answer = TestClient(app, raise_server_exceptions=False).get(path)

    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["field"] == "assets"
    assert "make assets" in body["detail"]
    assert str(tmp_path) not in body["detail"]

"""The API runs a request again when the database was busy and nothing was committed."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel

from derbes.api import problems
from derbes.api.retry import ATTEMPTS, BUSY_MARK, RetryBusy
from derbes.errors import DatabaseBusyError
from derbes.platform.db import note_commit


class Body(BaseModel):
    text: str


def _app(busy_times: int, *, commit_first: bool = False) -> tuple[FastAPI, list[str]]:
    seen: list[str] = []
    app = FastAPI()
    problems.install(app)
    app.add_middleware(RetryBusy, pause=0.0)

    @app.post("/write")
    def write(body: Body) -> dict[str, str]:  # a sync endpoint: it runs in a worker thread
        seen.append(body.text)
        if commit_first:
            note_commit()
        if len(seen) <= busy_times:
            raise DatabaseBusyError("the database is locked by another writer", retry_after=2)
        return {"stored": body.text}

    @app.get("/stream")
    async def stream(request: Request) -> dict[str, int]:
        return {"length": len(await request.body())}

    return app, seen


def test_busy_then_free_is_answered_as_if_nothing_happened() -> None:
    app, seen = _app(busy_times=2)
    response = TestClient(app).post("/write", json={"text": "сәлем"})
    assert response.status_code == 200
    assert response.json() == {"stored": "сәлем"}
    assert seen == ["сәлем"] * 3  # the same body, read again for each attempt
    assert BUSY_MARK.decode() not in response.headers


def test_busy_every_time_is_a_503_problem_with_retry_after() -> None:
    app, seen = _app(busy_times=100)
    response = TestClient(app).post("/write", json={"text": "x"})
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["Retry-After"] == "2"
    assert BUSY_MARK.decode() not in response.headers
    assert response.json()["title"] == "Database busy"
    assert len(seen) == ATTEMPTS


def test_a_request_that_committed_something_is_never_run_twice() -> None:
    app, seen = _app(busy_times=1, commit_first=True)
    response = TestClient(app).post("/write", json={"text": "x"})
    assert response.status_code == 503
    assert len(seen) == 1


@pytest.mark.parametrize("size", [0, 10, 100_000])
def test_other_requests_pass_through_unchanged(size: int) -> None:
    app, _ = _app(busy_times=0)
    response = TestClient(app).request("GET", "/stream", content=b"a" * size)
    assert response.status_code == 200 and response.json() == {"length": size}

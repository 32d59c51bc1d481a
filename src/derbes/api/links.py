"""OpenAPI links: how the id one answer returns feeds the next call.

A client (or a stateful test generator) reading the OpenAPI document learns that
the ``subject_id`` of ``POST /v1/subjects`` is what ``GET /v1/subjects/{subject_id}``,
``POST /v1/consents`` and the others take, that a filed request's ``id`` is what
its verification, answer and letter take, and so on. Kept in one table here and
added to the generated document, so the routes stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI


@dataclass(frozen=True)
class Link:
    source: tuple[str, str]  # (method, path) of the operation whose answer is used
    status: str
    target: tuple[str, str]  # (method, path) of the operation it feeds
    parameters: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None  # merged into the generated request body

    @property
    def name(self) -> str:
        method, path = self.target
        words = [w.strip("{}") for w in path.split("/") if w and w != "v1"]
        return "".join(w.title().replace("_", "").replace("-", "") for w in [method, *words])


SUBJECT = {"subject_id": "$response.body#/subject_id"}
_SUBJECT_PATHS = [
    ("get", "/v1/subjects/{subject_id}"),
    ("patch", "/v1/subjects/{subject_id}"),
    ("delete", "/v1/subjects/{subject_id}"),
    ("post", "/v1/subjects/{subject_id}/block"),
    ("post", "/v1/subjects/{subject_id}/unblock"),
    ("get", "/v1/subjects/{subject_id}/consents"),
    ("get", "/v1/subjects/{subject_id}/consents/evidence"),
    ("get", "/v1/subjects/{subject_id}/transfers"),
]
_SUBJECT_BODIES = [
    ("post", "/v1/consents"),
    ("post", "/v1/consents/withdrawals"),
    ("post", "/v1/events"),
    ("post", "/v1/egov/consent-requests"),
    ("post", "/v1/requests"),
]
_REQUEST_PATHS = [
    ("get", "/v1/requests/{request_id}"),
    ("post", "/v1/requests/{request_id}/otp"),
    ("post", "/v1/requests/{request_id}/verify"),
    ("post", "/v1/requests/{request_id}/answer"),
    ("post", "/v1/requests/{request_id}/refuse"),
    ("post", "/v1/requests/{request_id}/withdraw"),
    ("get", "/v1/requests/{request_id}/letter"),
]


def _links() -> list[Link]:
    created = ("post", "/v1/subjects")
    out = [Link(created, "201", t, parameters=SUBJECT) for t in _SUBJECT_PATHS]
    out += [Link(created, "201", t, body=SUBJECT) for t in _SUBJECT_BODIES]
    # A consent act names its subject: withdraw it, read the subject's consents.
    act_subject = "$response.body#/consents/0/subject_id"
    out.append(Link(("post", "/v1/consents"), "201", ("post", "/v1/consents/withdrawals"),
                    body={"subject_id": act_subject}))
    out.append(Link(("post", "/v1/consents"), "201",
                    ("get", "/v1/subjects/{subject_id}/consents"),
                    parameters={"subject_id": act_subject}))
    filed = ("post", "/v1/requests")
    out += [Link(filed, "201", t, parameters={"request_id": "$response.body#/id"})
            for t in _REQUEST_PATHS]
    out.append(Link(("get", "/v1/acts"), "200", ("get", "/v1/acts/{act_id}"),
                    parameters={"act_id": "$response.body#/0/id"}))
    out.append(Link(("get", "/v1/registers"), "200", ("get", "/v1/registers/{operator_id}"),
                    parameters={"operator_id": "$response.body#/0/operator_id"}))
    return out


def add_links(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the generated document with the links added."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        paths: dict[str, Any] = schema.get("paths", {})
        for link in _links():
            source = paths.get(link.source[1], {}).get(link.source[0])
            target = paths.get(link.target[1], {}).get(link.target[0])
            if source is None or target is None or "operationId" not in target:
                continue  # a route that is not served: no link to it
            entry: dict[str, Any] = {"operationId": target["operationId"]}
            if link.parameters:
                entry["parameters"] = dict(link.parameters)
            if link.body is not None:
                entry["requestBody"] = dict(link.body)
            response = source.setdefault("responses", {}).setdefault(
                link.status, {"description": "Success"})
            response.setdefault("links", {})[link.name] = entry
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

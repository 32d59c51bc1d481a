"""Bad input at every field of every operation: never a server error, and a 422 that names
the field for text and dates.

Every operation of the OpenAPI document has a valid request here (real subject and
request ids); the test takes each of its fields (path, query, and every leaf of the
JSON body, nested ones included) and sends it again with that one field replaced:

* text that is no text: a lone surrogate (``"a\\ud800b"``), NUL;
* dates outside 1900–2200, year 1 and year 9999 (for date and date-time fields);
* huge and non-finite numbers, in every field (numbers where text is expected, too).

A server error is never allowed. Bad text and bad dates must be a 422 problem whose
``field`` names the field. An operation added to the API without a request here
fails the test, so no new route escapes it. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.api_world import World, banner_choice, make_world
from tests.integration.conftest import db_url, pg_server_url, pg_template  # noqa: F401
from tests.load_support import CONSENT_PURPOSES, adult_iin, subject_body

OPERATOR = "express-avans"
BANNER = "qiwi-kz"  # the seed whose register lists cookies
TEXT = ["a\ud800b", "\udfff", "a\x00b", "\x00"]
DAYS = ["0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01"]
MOMENTS = ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00",
           "1899-12-31T23:59:59+00:00", "2201-01-01T00:00:00+00:00"]
NUMBERS: list[Any] = [-(10**30), 2**63, 10**400, 1e308, float("inf"), float("nan")]
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
INCIDENT = {"operator": OPERATOR, "detected_at": "2026-01-05T08:00:00+00:00",
            "source": "staff_report", "summary": "probe", "severity": "medium",
            "categories": ["identity.iin"], "systems": ["crm"], "subject_count": 1,
            "subject_ids": [], "measures_taken": "probe", "planned_measures": "probe"}
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T")


@dataclass
class Call:
    method: str
    path: str  # the template, as in the OpenAPI document
    params: dict[str, str] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    sign: bool = False  # the eGov callback: the body is signed by the (fake) eGov service


def _calls(world: World, subject: str, request_id: str, iin: str, egov_id: str,
           incident: str) -> list[Call]:
    s, r, i = {"subject_id": subject}, {"request_id": request_id}, {"incident_id": incident}
    scopes = [{"kind": "processing", "purposes": list(CONSENT_PURPOSES)}]
    value = {"category": "identity.full_name", "value": "Тестов Сәкен", "source": "subject",
             "purposes": [], "method": "api", "collected_at": "2026-01-05T09:00:00+00:00"}
    return [
        Call("POST", "/v1/identifiers/check", body={"kind": "iin", "value": iin}),
        Call("GET", "/v1/registers"),
        Call("GET", "/banner/{operator}.js", {"operator": BANNER}),
        Call("GET", "/banner/{operator}/demo", {"operator": BANNER}, {"lang": "kk"}),
        Call("POST", "/banner/{operator}/choices", {"operator": BANNER},
             body=banner_choice(world.client(), BANNER, action="choose",
                               categories=["analytics"])),
        Call("GET", "/v1/registers/{operator_id}", {"operator_id": OPERATOR}),
        Call("GET", "/notice/{operator}", {"operator": OPERATOR},
             {"lang": "kk", "format": "md"}),
        Call("GET", "/v1/audit/verify", query={"expect": "1:" + "0" * 64}),
        Call("GET", "/v1/ledger/verify", query={"expect": "1:" + "0" * 64}),
        Call("POST", "/v1/subjects", body={**subject_body(900), "values": [
            {"category": "identity.iin", "value": adult_iin(900)}, value]}),
        Call("POST", "/v1/subjects/lookup", body={"kind": "iin", "value": iin,
                                                  "purpose": "loan_contract",
                                                  "operator": OPERATOR}),
        Call("GET", "/v1/subjects/{subject_id}", s,
             {"purpose": "loan_contract", "category": "identity.iin"}),
        Call("PATCH", "/v1/subjects/{subject_id}", s, body={"replace": [value], "add": []}),
        Call("DELETE", "/v1/subjects/{subject_id}", s,
             {"reason": "probe", "category": "identity.full_name"}),
        Call("POST", "/v1/subjects/{subject_id}/block", s,
             body={"categories": ["contact.phone"], "reason": "probe"}),
        Call("POST", "/v1/subjects/{subject_id}/unblock", s,
             body={"categories": ["contact.phone"], "reason": "probe"}),
        Call("POST", "/v1/decisions", body={"operator": OPERATOR, "lang": "kk", "actions": [
            {"subject_id": subject, "action": "transfer", "purpose": "loan_contract",
             "recipient": "credit_bureaus", "categories": ["identity.iin"]}]}),
        Call("POST", "/v1/decisions/compact", body={"operator": OPERATOR, "lang": "kk",
                                                    "actions": [
            [subject, "transfer", "loan_contract", "credit_bureaus", ["identity.iin"]]]}),
        Call("POST", "/v1/transfers", body={
            "operator": OPERATOR, "recipient": "credit_bureaus", "purpose": "loan_contract",
            "categories": ["identity.iin"], "subject_ids": [subject],
            "state_body": "probe", "request_number": "1", "request_date": "2026-01-05",
            "law_citation": "probe", "lang": "kk"}),
        Call("GET", "/v1/subjects/{subject_id}/transfers", s, {"lang": "kk", "limit": 10}),
        Call("POST", "/v1/consents", body={
            "subject_id": subject, "scopes": scopes, "channel": "web_checkbox",
            "evidence": {"ip": "203.0.113.7", "user_agent": "probe"},
            "valid_until": "2027-01-05T09:00:00+00:00", "idempotency_key": "probe"}),
        Call("POST", "/v1/consents/withdrawals", body={"subject_id": subject,
                                                      "scope": "marketing"}),
        Call("GET", "/v1/subjects/{subject_id}/consents", s),
        Call("GET", "/v1/subjects/{subject_id}/consents/evidence", s,
             {"format": "json", "lang": "kk"}),
        Call("POST", "/v1/events", body={
            "event_id": "probe-1", "subject_id": subject, "type": "contract_opened",
            "contract_id": "L-1", "occurred_at": "2026-01-05T08:00:00+00:00",
            "data": {"amount": 1000}}),
        Call("POST", "/v1/egov/consent-requests", body={
            "subject_id": subject, "scopes": scopes,
            "valid_until": "2027-01-05T09:00:00+00:00"}),
        Call("POST", "/v1/egov/callback", body={
            "request_id": egov_id, "decision": "approved",
            "decided_at": "2026-01-05T09:00:00+00:00"}, sign=True),
        Call("POST", "/v1/requests", body={
            "operator": OPERATOR, "type": "access", "language": "kk",
            "identifiers": {"iin": iin}, "requester": "subject",
            "payload": {"categories": ["contact.phone"]},
            "received_at": "2026-01-05T08:00:00+00:00"}),
        Call("GET", "/v1/requests", query={"state": "received", "operator": OPERATOR,
                                           "as_of": "2026-01-05"}),
        Call("POST", "/v1/requests/{request_id}/otp", r),
        Call("POST", "/v1/requests/{request_id}/verify", r,
             body={"method": "staff_document", "document_ref": "ID 0001"}),
        Call("POST", "/v1/requests/{request_id}/answer", r, body={"response": "probe"}),
        Call("POST", "/v1/requests/{request_id}/refuse", r, body={"reasons": ["probe"]}),
        Call("POST", "/v1/requests/{request_id}/withdraw", r, body={"reason": "probe"}),
        Call("GET", "/v1/requests/{request_id}", r),
        Call("GET", "/v1/requests/{request_id}/letter", r, {"format": "html", "lang": "kk"}),
        Call("GET", "/v1/acts", query={"operator": OPERATOR, "year": 2026, "limit": 10}),
        Call("GET", "/v1/acts/{act_id}", {"act_id": "АУ-2026/0001"},
             {"format": "json", "lang": "kk", "operator": OPERATOR}),
        Call("GET", "/v1/retention/plan", query={"operator": OPERATOR,
                                                 "as_of": "2026-01-05", "months": 12}),
        Call("POST", "/v1/retention/runs", body={"operator": OPERATOR,
                                                 "as_of": "2026-01-05", "batch_size": 10}),
        Call("GET", "/v1/retention/runs", query={"operator": OPERATOR, "limit": 10}),
        Call("GET", "/health"),
        Call("POST", "/staff/session", body={"login": "probe@example.kz",
                                             "password": "not-the-password", "totp": "123456"}),
        Call("GET", "/staff/session"),
        Call("DELETE", "/staff/session"),
        Call("GET", "/staff/operators/{operator_id}/access", {"operator_id": OPERATOR},
             {"format": "json", "lang": "kk"}),
        Call("POST", "/staff/operators/{operator_id}/grants", {"operator_id": OPERATOR},
             body={"person": "probe@example.kz", "role": "dpo"}),
        Call("POST", "/staff/people/{person}/revoke", {"person": "probe@example.kz"},
             body={"operator": OPERATOR, "role": "dpo"}),
        Call("GET", "/v1/incidents", query={"operator": OPERATOR, "state": "open",
                                            "limit": 10}),
        Call("POST", "/v1/incidents", body=INCIDENT),
        Call("GET", "/v1/incidents/{incident_id}", i),
        Call("PATCH", "/v1/incidents/{incident_id}", i, body={
            "summary": "probe", "severity": "high", "categories": ["identity.iin"],
            "systems": ["crm"], "subject_count": 3, "subject_ids": [subject],
            "measures_taken": "probe", "planned_measures": "probe"}),
        Call("GET", "/v1/incidents/{incident_id}/notice", i, {"format": "json", "lang": "kk"}),
        Call("POST", "/v1/incidents/{incident_id}/transitions", i,
             body={"move": "contain", "reason": "probe", "lessons": "probe"}),
        Call("POST", "/v1/incidents/{incident_id}/lists", i),
        Call("GET", "/v1/incidents/{incident_id}/lists", i),
        Call("GET", "/v1/incidents/{incident_id}/lists/{export_id}",
             {**i, "export_id": "0" * 32}),
        Call("POST", "/v1/incidents/{incident_id}/subject-notifications", i,
             body={"subject_ids": [subject], "channel": "sms", "language": "kk"}),
        Call("GET", "/v1/incidents/{incident_id}/subject-notifications", i),
        # A raw file body, not JSON: the probe varies its query (the file's name).
        Call("POST", "/v1/incidents/{incident_id}/evidence", i, {"name": "log.txt"}),
        Call("GET", "/v1/incidents/{incident_id}/evidence", i),
        Call("GET", "/v1/incidents/{incident_id}/evidence/{evidence_id}",
             {**i, "evidence_id": "0" * 32}),
        Call("GET", "/v1/compliance/{operator}/responsible", {"operator": OPERATOR}),
        Call("PUT", "/v1/compliance/{operator}/responsible", {"operator": OPERATOR}, body={
            "name": "Probe", "position": "DPO", "appointed_on": "2025-01-01",
            "email": "dpo@example.kz", "phone": "+7 727 000 00 00", "document": "probe"}),
        # HTML without the walk of the chains: each probe is a pack, kept cheap.
        Call("GET", "/v1/compliance/{operator}/pack", {"operator": OPERATOR},
             {"from": "2026-01-01", "to": "2026-01-05", "lang": "kk", "format": "html",
              "verify": "false"}),
    ]


def _leaves(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*at, index))
    else:
        yield at, value


def _replaced(value: Any, at: tuple[Any, ...], new: Any) -> Any:
    out = copy.deepcopy(value)
    target = out
    for step in at[:-1]:
        target = target[step]
    target[at[-1]] = new
    return out


def _bad_values(current: Any) -> list[tuple[str, Any]]:
    """(kind, value) replacements for a field now holding ``current``."""
    out: list[tuple[str, Any]] = []
    if isinstance(current, str):
        out += [("text", t) for t in TEXT]
        if _DAY.match(current):
            out += [("date", d) for d in DAYS]
        elif _MOMENT.match(current):
            out += [("date", m) for m in MOMENTS]
    out += [("number", n) for n in NUMBERS]
    return out


@dataclass
class Tally:
    tried: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def _send(world: World, client: Any, call: Call, params: dict[str, str],
          query: dict[str, Any], body: Any) -> Any:
    path = call.path
    for name, value in params.items():
        path = path.replace("{" + name + "}", _quote(str(value)))
    headers: dict[str, str] = {}
    content = None
    if body is not None:
        content = json.dumps(body).encode()  # ASCII: \\ud800 and \\u0000 stay escapes
        headers["Content-Type"] = "application/json"
        if call.sign:
            headers["X-Egov-Signature"] = world.container.egov._sign(content)
    if query:
        path += "?" + "&".join(f"{_quote(k)}={_quote(str(v))}" for k, v in query.items())
    return client.request(call.method, path, content=content, headers=headers)


def _quote(text: str) -> str:
    # A URL carries bytes: a lone surrogate goes as the bytes UTF-8 would give it
    # (ED A0 80), which is no valid UTF-8; the server reads them as U+FFFD.
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _probe(world: World, client: Any, call: Call, tally: Tally) -> None:
    places: list[tuple[str, tuple[Any, ...], Any]] = []
    places += [("path", (name,), value) for name, value in call.params.items()]
    places += [("query", (name,), value) for name, value in call.query.items()]
    if call.body is not None:
        places += [("body", at, value) for at, value in _leaves(call.body)]
    for where, at, current in places:
        for kind, bad in _bad_values(current):
            params, query, body = call.params, call.query, call.body
            if where == "path":
                params = {**params, at[0]: str(bad) if not isinstance(bad, str) else bad}
            elif where == "query":
                query = {**query, at[0]: bad}
            else:
                body = _replaced(body, at, bad)
            response = _send(world, client, call, params, query, body)
            tally.tried[kind] += 1
            tally.statuses[response.status_code] += 1
            name = ".".join(str(a) for a in (where, *at))
            label = f"{call.method} {call.path} {name}={bad!r}"
            if response.status_code >= 500:
                tally.failures.append(f"{label}: {response.status_code} {response.text[:200]}")
                continue
            # In a URL a surrogate arrives as invalid UTF-8 (read as U+FFFD): any 4xx will do.
            in_url_surrogate = where != "body" and kind == "text" and "\x00" not in bad
            if kind in ("text", "date") and not in_url_surrogate:
                problem = response.json() if response.status_code == 422 else {}
                # The field as the API names it: "body.x.y" (validation) or "x" (services).
                if response.status_code != 422 or str(at[-1]) not in str(problem.get("field")):
                    tally.failures.append(f"{label}: {response.status_code} field="
                                          f"{problem.get('field')!r}, not {name!r}")


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:  # noqa: F811
    made = make_world(tmp_path, db_url)
    yield made
    made.close()


def test_no_bad_input_is_a_server_error_and_text_and_dates_name_their_field(
        world: World) -> None:
    client = world.client()
    iin = adult_iin(1)
    created = client.post("/v1/subjects", json=subject_body(1))
    assert created.status_code == 201, created.text
    subject = created.json()["subject_id"]
    filed = client.post("/v1/requests", json={
        "operator": OPERATOR, "type": "access", "language": "kk", "identifiers": {"iin": iin}})
    assert filed.status_code == 201, filed.text
    asked = client.post("/v1/egov/consent-requests", json={
        "subject_id": subject, "scopes": [{"kind": "processing",
                                           "purposes": list(CONSENT_PURPOSES)}]})
    assert asked.status_code == 201, asked.text
    opened = client.post("/v1/incidents", json=INCIDENT)
    assert opened.status_code == 201, opened.text
    calls = _calls(world, subject, filed.json()["id"], iin, asked.json()["request_id"],
                   opened.json()["id"])

    documented = {(m.upper(), p) for p, ops in world.app.openapi()["paths"].items()
                  for m in ops}
    assert documented == {(c.method, c.path) for c in calls}, "an operation without a probe"

    tally = Tally()
    for call in calls:
        _probe(world, client, call, tally)
    assert tally.failures == [], "\n".join(tally.failures[:30])
    assert sum(tally.tried.values()) > 1000
    assert not any(status >= 500 for status in tally.statuses)
    print(f"bad inputs tried: {dict(tally.tried)}; answers: {dict(tally.statuses)}")

"""The banner's public routes through the API, attacked: bad bodies, wrong operators,
tampered evidence, a choice id reused with other answers. Clear 4xx problems, nothing
stored twice or lost, refusals audited."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from derbes.platform.tables import audit_log, consent_ledger
from tests.api_world import World, banner_choice, make_world

OPERATOR = "qiwi-kz"
CHOICES = f"/banner/{OPERATOR}/choices"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = make_world(tmp_path_factory.mktemp("banner-api"))
    yield made
    made.close()


def _count(world: World, table: Any, **where: str) -> int:
    with world.container.engine.connect() as connection:
        rows = connection.execute(select(table)).all()
    return len([r for r in rows if all(getattr(r, k) == v for k, v in where.items())])


def _problem(answer: Any, status: int, field: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["field"] == field


def test_script_and_demo_are_served(world: World) -> None:
    client = world.client()
    script = client.get(f"/banner/{OPERATOR}.js")
    assert script.headers["content-type"].startswith("application/javascript")
    assert "Барлығынан бас тарту" in script.text
    demo = client.get(f"/banner/{OPERATOR}/demo", params={"lang": "kk"})
    assert demo.status_code == 200 and '<html lang="kk">' in demo.text
    assert f'src="/banner/{OPERATOR}.js"' in demo.text


@pytest.mark.parametrize(("body", "field"), [
    (b"not json", "body"),
    (b"[1, 2]", "body"),
    (b'"text"', "body"),
    (b"{" + b" " * 9000 + b"}", "body"),
    (b"{}", "operator"),
])
def test_a_body_that_is_no_choice_is_refused(world: World, body: bytes, field: str) -> None:
    before = _count(world, consent_ledger)
    _problem(world.client().post(CHOICES, content=body), 422, field)
    assert _count(world, consent_ledger) == before


def test_operator_ids_are_checked(world: World) -> None:
    client = world.client()
    _problem(client.get("/banner/QIWI!.js"), 422, "operator")
    assert client.get("/banner/no-such-operator.js").status_code == 404
    assert client.get("/banner/no-such-operator/demo").status_code == 404
    _problem(client.get(f"/banner/{OPERATOR}/demo", params={"lang": "de"}), 422, "lang")
    genuine = banner_choice(client, OPERATOR)
    refused = _count(world, audit_log, action="banner_choice_refused")
    _problem(client.post("/banner/no-such-operator/choices", json=genuine), 422, "operator")
    # The banner of one operator posted to another's address: its operator does not match.
    _problem(client.post("/banner/kassa24/choices", json=genuine), 422, "operator")
    assert _count(world, audit_log, action="banner_choice_refused") == refused + 2


def test_tampered_evidence_is_refused(world: World) -> None:
    client = world.client()
    before = _count(world, consent_ledger)
    genuine = banner_choice(client, OPERATOR)
    for changes, field in (
            ({"text_hash": genuine["text_hash"][::-1]}, "text_hash"),
            ({"banner_version": genuine["banner_version"][:-1] + "0"}, "banner_version"),
            ({"lang": "kk"}, "text_hash"),  # the English text hash claimed for Kazakh
            ({"categories": ["analytics"]}, "categories"),  # reject_all allowing one
            ({"action": "gpc"}, "gpc"),  # a GPC answer without the signal
            ({"gpc": True, "action": "choose", "categories": ["marketing"]}, "categories")):
        _problem(client.post(CHOICES, json={**genuine, **changes}), 422, field)
    assert _count(world, consent_ledger) == before


def test_a_choice_id_reused_with_other_answers_keeps_the_first(world: World) -> None:
    client = world.client()
    genuine = banner_choice(client, OPERATOR)
    assert client.post(CHOICES, json=genuine).status_code == 201
    other = {**genuine, "action": "accept_all",
             "categories": ["functional", "analytics", "marketing"]}
    _problem(client.post(CHOICES, json=other), 409, "choice_id")
    assert client.post(CHOICES, content=json.dumps(genuine)).json()["replayed"] is True
    kept = _count(world, consent_ledger, consent_id=genuine["choice_id"])
    assert kept == 1
    # Another visitor may use the same choice id: the key is (visitor, choice id).
    again = client.post(CHOICES, json={**genuine, "visitor_id": str(uuid.uuid4())})
    assert again.status_code == 201
    assert _count(world, consent_ledger, consent_id=genuine["choice_id"]) == 2

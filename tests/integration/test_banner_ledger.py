"""Banner choices in the consent ledger, over HTTP, on SQLite and PostgreSQL: recorded
once per (visitor, choice id), with their evidence, and the ledger still verifies
(links and the replay of every projection)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from derbes.banner.service import choices
from derbes.consent.model.consent import LedgerEvent
from derbes.consent.service import consent as consent_svc
from derbes.integrity.service.verify import verify_projections
from derbes.platform.tables import audit_log, consent_ledger, consents
from tests import cabinet_support
from tests.api_world import World, banner_choice, banner_data, make_world

OPERATOR = "qiwi-kz"


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    made = make_world(tmp_path, db_url)
    try:
        yield made
    finally:
        made.close()


def _banner(world: World) -> dict[str, Any]:
    return banner_choice(world.client(), OPERATOR)


def _choice(genuine: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """Another choice of the same banner (new ids unless given)."""
    return {**genuine, "choice_id": str(uuid.uuid4()), "visitor_id": str(uuid.uuid4()),
            **changes}


def _hashes(world: World) -> dict[str, str]:
    return dict(banner_data(world.client(), OPERATOR)["hashes"])


def _rows(world: World, table: Any) -> list[Any]:
    with world.container.engine.connect() as connection:
        return list(connection.execute(select(table)).all())


def _ledger_verifies(world: World) -> None:
    chain = consent_svc.verify(world.container.uow(), world.container.ledger_key)
    assert chain.ok, chain.breaks
    report = verify_projections(world.container.uow(), world.container.audit_key)
    assert report.ok, report.mismatches


def test_choices_are_in_the_ledger_once_and_it_verifies(world: World) -> None:
    data = _banner(world)
    hashes = _hashes(world)
    client = world.client()
    reject = _choice(data)
    accept = _choice(data, action="accept_all", lang="kk", text_hash=hashes["kk"],
                     categories=["functional", "analytics", "marketing"],
                     visitor_id=reject["visitor_id"])
    first = client.post(f"/banner/{OPERATOR}/choices", content=_json(reject),
                        headers={"Content-Type": "text/plain"})
    assert first.status_code == 201, first.text
    again = client.post(f"/banner/{OPERATOR}/choices", json=reject)
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["seq"] == first.json()["seq"]
    assert client.post(f"/banner/{OPERATOR}/choices", json=accept).status_code == 201
    entries = [r for r in _rows(world, consent_ledger)
               if r.event == LedgerEvent.COOKIE_CHOICE.value]
    assert [(e.consent_id, e.subject_id) for e in entries] == [
        (reject["choice_id"], reject["visitor_id"]), (accept["choice_id"], accept["visitor_id"])]
    assert _rows(world, consents) == []  # evidence only: no consents row
    _ledger_verifies(world)
    with world.container.uow() as uow:
        mine = uow.consent_ledger.for_subject(reject["visitor_id"])
    evidence = mine[1].payload["evidence"]
    assert evidence["allowed"] == ["functional", "analytics", "marketing"]
    assert evidence["banner_version"] == data["banner_version"]
    assert evidence["text_hash"] == hashes["kk"]


def _json(body: dict[str, Any]) -> str:
    return json.dumps(body)


def test_the_same_choice_sent_at_once_is_recorded_once(world: World) -> None:
    data = _banner(world)
    body = _choice(data)

    def send(_: int) -> int:
        return world.client().post(f"/banner/{OPERATOR}/choices", json=body).status_code

    with ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(send, range(4)))
    assert codes == [200, 200, 200, 201]
    assert len([r for r in _rows(world, consent_ledger)
                if r.consent_id == body["choice_id"]]) == 1
    _ledger_verifies(world)


@pytest.mark.parametrize(("changes", "field"), [
    ({"operator": "kassa24"}, "operator"),
    ({"categories": ["tracking"], "action": "choose"}, "categories"),
    ({"banner_version": "1" * 64}, "banner_version"),
    ({"text_hash": "2" * 64}, "text_hash"),
])
def test_a_forged_choice_is_refused_audited_and_not_stored(
        world: World, changes: dict[str, Any], field: str) -> None:
    data = _banner(world)
    before = len(_rows(world, consent_ledger))
    answer = world.client().post(f"/banner/{OPERATOR}/choices", json=_choice(data, **changes))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["field"] == field
    assert len(_rows(world, consent_ledger)) == before
    refused = [r for r in _rows(world, audit_log) if r.action == "banner_choice_refused"]
    assert len(refused) == 1 and field in refused[0].details
    _ledger_verifies(world)


def test_a_visitors_answers_linked_to_a_subject_once(world: World) -> None:
    """The cabinet's sign-in links the browser's banner answers to the subject: one entry
    of the subject, once per choice, audited; the ledger and every projection verify."""
    who = cabinet_support.borrower(world, 9401, loan=False)
    client = world.client()
    visitor = str(uuid.uuid4())
    mine = banner_choice(client, cabinet_support.OPERATOR, visitor_id=visitor)
    assert client.post(f"/banner/{cabinet_support.OPERATOR}/choices", json=mine
                       ).status_code == 201
    ctx = world.container.context(f"subject:{who.subject_id}", "link-test")
    link = [cabinet_support.OPERATOR, visitor, who.subject_id, "session-1"]
    assert choices.link_visitor(ctx, *link) == 1  # type: ignore[arg-type]
    assert choices.link_visitor(ctx, *link) == 0  # type: ignore[arg-type]
    assert choices.link_visitor(ctx, cabinet_support.OPERATOR, "not-a-visitor",
                                who.subject_id, "session-1") == 0
    with world.container.uow() as uow:
        linked = [e for e in uow.consent_ledger.entries()
                  if e.event == LedgerEvent.COOKIE_CHOICE_LINKED.value]
    assert [(e.subject_id, e.payload["choices"]) for e in linked] == \
        [(who.subject_id, [mine["choice_id"]])]
    with world.container.uow() as uow:
        audited = [e for e in uow.audit.entries() if e.action == choices.LINKED_ACTION]
    assert [(list(e.subject_ids), e.details["choices"]) for e in audited] == \
        [([who.subject_id], 1)]
    _ledger_verifies(world)

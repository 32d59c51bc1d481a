"""The retention sweep over the operator's own database (Kredit Seven core), on SQLite and
PostgreSQL: the dataset strategies go with the vault's crypto-shredding; a store that is
down leaves the run unfinished, and running again finishes it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from derbes.errors import StoreUnavailableError
from derbes.lifecycle import service as lifecycle
from derbes.platform.db import make_engine, parse_url
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.register.model.register import RetentionTrigger
from derbes.retention.service import sweep as svc
from derbes.testing.context import make_context
from derbes.vault.adapters import keystore_migrate
from derbes.vault.adapters.kek import LocalKek
from derbes.vault.adapters.keystore import SqlKeyStore
from tests.integration.conftest import _create_database, _drop_database
from tests.operator_db import generator
from tests.requests_support import OPERATOR, Client, World, count_rows, kredit

STORE = "kredit-seven-core"


@pytest.fixture
def op_url(db_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if db_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'kredit-seven-core.sqlite3'}"
        generator().generate(url, 30, seed=5, batch_size=16)
        yield url
        return
    server: str = request.getfixturevalue("pg_server_url")
    name = f"derbes_op_{secrets.token_hex(5)}"
    url = _create_database(server, name)
    try:
        generator().generate(url, 30, seed=5, batch_size=16)
        yield url
    finally:
        _drop_database(server, name)


@pytest.fixture
def world(db_url: str, op_url: str, tmp_path: Path) -> Iterator[World]:
    key_url = f"sqlite:///{tmp_path / 'keys.sqlite3'}"
    keystore_migrate.upgrade(key_url)
    key_engine = make_engine(key_url)
    engine = make_engine(db_url)
    keys = SqlKeyStore(key_engine, LocalKek.generate())
    w = World(lambda: SqlUnitOfWork(engine, audit_key=keys.audit_key), keys, op_url)
    try:
        yield w
    finally:
        engine.dispose()
        key_engine.dispose()


def _clients(op_url: str, n: int) -> list[Client]:
    """Clients with applications and contacts (rows in several tables)."""
    engine = create_engine(parse_url(op_url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT c.id, c.iin, c.last_name, c.first_name, c.phone FROM clients c "
                "WHERE EXISTS (SELECT 1 FROM applications a WHERE a.client_id = c.id) "
                "AND EXISTS (SELECT 1 FROM contacts k WHERE k.client_id = c.id) "
                "ORDER BY c.id LIMIT :n"), {"n": n}).all()
    finally:
        engine.dispose()
    assert len(rows) == n
    return [Client(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4])) for r in rows]


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


def _after_purpose() -> list[str]:
    return [p.id for p in kredit().register.purposes.values()
            if p.retention is not None
            and p.retention.trigger is RetentionTrigger.PURPOSE_ACHIEVED]


def _held(world: World, subject_id: str) -> set[str]:
    with world.uow() as uow:
        return {v.category for v in uow.vault.values(subject_id)}


def _unfinished(world: World) -> bool:
    with world.uow() as uow:
        return uow.retention.unfinished_run(OPERATOR) is not None


def test_retention_run_erases_in_the_operator_database(world: World) -> None:
    assert world.op_url is not None
    ended, still_open = _clients(world.op_url, 2)
    ended_id = world.add_customer(ended)
    open_id = world.add_customer(still_open)
    # Every purpose achieved and the contract closed in June 2025: the credit dossier
    # (5 years after the contract) is the last to end, on 1 June 2030.
    world.close_loan(ended_id, date(2025, 6, 1))
    world.achieve(ended_id, date(2025, 6, 1), _after_purpose())
    lifecycle.record_event(make_context(world.uow(), clock=world.clock, actor="lifecycle"),
                           f"open-{open_id}", open_id, "contract_opened", _at(date(2025, 6, 1)),
                           "MK-2")
    world.achieve(open_id, date(2025, 6, 1), _after_purpose())
    before_ended = count_rows(world.op_url, ended.id)
    before_open = count_rows(world.op_url, still_open.id)
    assert before_ended["clients"] == 1 and before_ended["contacts"] > 0

    day = date(2031, 1, 15)
    world.clock.set(_at(day))

    # The store is down: nothing is destroyed anywhere, the run stays unfinished.
    world.down = True
    with pytest.raises(StoreUnavailableError):
        svc.run(make_context(world.uow(), world.keys, world.clock, "retention-sweep"),
                OPERATOR, day, stores=world.stores)
    assert _unfinished(world)
    assert _held(world, ended_id)  # the vault batch was rolled back
    assert count_rows(world.op_url, ended.id) == before_ended

    # Back up: the run resumes and finishes, nothing twice.
    world.down = False
    report = svc.run(make_context(world.uow(), world.keys, world.clock, "retention-sweep"),
                     OPERATOR, day, stores=world.stores)
    assert report.resumed and report.summary is not None and report.run is not None
    assert not _unfinished(world)
    assert report.summary.subjects_shredded == 1
    (erased,) = report.summary.stores
    assert erased.store == STORE and erased.rows_deleted > 0
    assert report.summary.as_dict()["stores"][0]["store"] == STORE
    assert {g.purpose for g in report.summary.groups}  # the act's groups are untouched
    assert report.act_id is not None
    assert count_rows(world.op_url, ended.id) == {"clients": 0, "contacts": 0,
                                                  "applications": 0}
    assert _held(world, ended_id) == set()

    # The customer with an open contract keeps everything, in the vault and the store.
    assert count_rows(world.op_url, still_open.id) == before_open
    assert _held(world, open_id)

    # Nothing left to do: a new run is not even started.
    again = svc.run(make_context(world.uow(), world.keys, world.clock, "retention-sweep"),
                    OPERATOR, day, stores=world.stores)
    assert again.run is None
    assert count_rows(world.op_url, still_open.id) == before_open


def test_without_stores_the_run_sweeps_only_the_vault(world: World) -> None:
    assert world.op_url is not None
    (ended,) = _clients(world.op_url, 1)
    ended_id = world.add_customer(ended)
    world.close_loan(ended_id, date(2025, 6, 1))
    world.achieve(ended_id, date(2025, 6, 1), _after_purpose())
    before = count_rows(world.op_url, ended.id)
    day = date(2031, 1, 15)
    world.clock.set(_at(day))
    report = svc.run(make_context(world.uow(), world.keys, world.clock, "retention-sweep"),
                     OPERATOR, day)
    assert report.summary is not None and report.summary.stores == ()
    assert _held(world, ended_id) == set()
    assert count_rows(world.op_url, ended.id) == before


def test_a_destruction_that_could_not_finish_opens_a_candidate_incident(world: World) -> None:
    from derbes.context import Context
    from derbes.incidents import service as incidents
    from derbes.incidents.model import State, Transition, Trigger

    assert world.op_url is not None
    (ended,) = _clients(world.op_url, 1)
    ended_id = world.add_customer(ended)
    world.close_loan(ended_id, date(2025, 6, 1))
    world.achieve(ended_id, date(2025, 6, 1), _after_purpose())
    day = date(2031, 1, 15)
    world.clock.set(_at(day))
    world.down = True
    with pytest.raises(StoreUnavailableError):
        svc.run(make_context(world.uow(), world.keys, world.clock, "retention-sweep"),
                OPERATOR, day, stores=world.stores)

    def ctx() -> Context:
        return make_context(world.uow(), world.keys, world.clock, "cli:security")

    opened = incidents.detect(ctx(), OPERATOR)
    unfinished = [i for i in opened if i.trigger is Trigger.DESTRUCTION_UNFINISHED]
    assert len(unfinished) == 1 and unfinished[0].state is State.CANDIDATE
    assert STORE in unfinished[0].summary
    assert incidents.detect(ctx(), OPERATOR) == []
    dismissed = incidents.move(ctx(), unfinished[0].id, Transition.DISMISS,
                               reason="The store was down for maintenance; the run resumed")
    assert dismissed.state is State.DISMISSED
    with world.uow() as uow:
        actions = [e.action for e in uow.audit.entries()]
    assert "incident.dismiss" in actions

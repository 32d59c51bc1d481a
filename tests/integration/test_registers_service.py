from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from derbes.api.app import create_app
from derbes.bootstrap import Container
from derbes.errors import NotFoundError
from derbes.platform.clock import FixedClock
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.register.adapters.yaml import load_register, parse_register
from derbes.register.service import registers
from derbes.settings import Settings

FIXTURE = Path(__file__).parents[1] / "fixtures" / "registers" / "minimal.yaml"


def test_publish_is_idempotent_and_in_force_is_the_latest(engine: Engine, clock: FixedClock) -> None:
    loaded = load_register(FIXTURE)
    first = registers.publish(SqlUnitOfWork(engine), [loaded], clock)
    assert first[0].new
    clock.advance(timedelta(hours=1))
    again = registers.publish(SqlUnitOfWork(engine), [loaded], clock)
    assert not again[0].new
    assert again[0].stored.id == first[0].stored.id

    changed = loaded.source.replace('version: "1.0"', 'version: "1.1"')
    clock.advance(timedelta(hours=1))
    registers.publish(SqlUnitOfWork(engine), [parse_register(changed, "v1.1")], clock)
    current = registers.in_force(SqlUnitOfWork(engine), "example-pay")
    assert current.register.policy.version == "1.1"
    assert [r.policy_version for r in registers.published(SqlUnitOfWork(engine))] == ["1.1"]


def test_unknown_operator_is_not_found(engine: Engine) -> None:
    with pytest.raises(NotFoundError):
        registers.in_force(SqlUnitOfWork(engine), "nobody")


def test_registers_api(db_url: str, clock: FixedClock) -> None:
    container = Container(settings=Settings(database_url=db_url), clock=clock)
    try:
        _check_registers_api(container, clock)
    finally:
        container.engine.dispose()


def _check_registers_api(container: Container, clock: FixedClock) -> None:
    registers.publish(container.uow(), [load_register(FIXTURE)], clock)
    client = TestClient(create_app(container))
    listing = client.get("/v1/registers")
    assert listing.status_code == 200
    assert [r["operator_id"] for r in listing.json()] == ["example-pay"]
    body = client.get("/v1/registers/example-pay").json()
    assert body["operator"]["bin"] == "130940014692"
    assert body["purposes"]["aml_identification"]["retention"]["period"] == "5 years"
    missing = client.get("/v1/registers/nobody")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["field"] == "operator"

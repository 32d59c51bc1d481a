"""Delivery records on SQLite and PostgreSQL: queued, failed with back-off, retried,
sent, given up; recipients and codes never in a clear column."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.platform.tables import deliveries
from tests.delivery_support import run_scenario


def test_send_retry_give_up_on_the_database(engine: Engine,
                                            caplog: pytest.LogCaptureFixture) -> None:
    def rows() -> str:
        with engine.connect() as connection:
            return repr([tuple(r) for r in connection.execute(select(deliveries))])

    run_scenario(lambda: SqlUnitOfWork(engine, audit_key=b"delivery tests audit key 32 byte"),
                 caplog, rows)

"""One contract for every register repository: the fake, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from derbes.register.adapters.store import SqlRegisterRepository, source_sha256
from derbes.uow import UnitOfWork

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SOURCE_V1 = "operator:\n  id: example-pay\npolicy_version: '1'\n# Ұйым — ТОО «Пример»\n"
SOURCE_V2 = SOURCE_V1.replace("'1'", "'2'")

UowFactory = Callable[[], UnitOfWork]


def test_add_stores_the_text_with_its_fingerprint(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        stored = uow.registers.add("example-pay", "1", SOURCE_V1, T0)
        uow.commit()

    assert stored.sha256 == source_sha256(SOURCE_V1)
    assert len(stored.sha256) == 64
    with uow_factory() as uow:
        latest = uow.registers.latest("example-pay")
    assert latest == stored
    assert latest is not None
    assert latest.source_text == SOURCE_V1  # Kazakh letters survive the round trip
    assert latest.loaded_at == T0
    assert latest.loaded_at.tzinfo is not None


def test_adding_the_same_text_again_returns_the_stored_row(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        first = uow.registers.add("example-pay", "1", SOURCE_V1, T0)
        again = uow.registers.add("example-pay", "1", SOURCE_V1, T0 + timedelta(days=1))
        uow.commit()

    assert again == first
    assert again.loaded_at == T0
    with uow_factory() as uow:
        assert len(uow.registers.list()) == 1


def test_republishing_an_older_text_makes_it_the_one_in_force(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.registers.add("example-pay", "1", SOURCE_V1, T0)
        uow.registers.add("example-pay", "2", SOURCE_V2, T0 + timedelta(days=1))
        reverted = uow.registers.add("example-pay", "1", SOURCE_V1, T0 + timedelta(days=2))
        uow.commit()

    with uow_factory() as uow:
        latest = uow.registers.latest("example-pay")
        assert latest == reverted
        assert latest is not None
        assert latest.policy_version == "1"
        assert len(uow.registers.list()) == 3


def test_same_text_for_two_operators_is_two_rows(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        a = uow.registers.add("alpha", "1", SOURCE_V1, T0)
        b = uow.registers.add("beta", "1", SOURCE_V1, T0)
        uow.commit()

    assert a.id != b.id
    assert a.sha256 == b.sha256


def test_latest_is_the_version_loaded_last(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.registers.add("example-pay", "1", SOURCE_V1, T0)
        uow.registers.add("example-pay", "2", SOURCE_V2, T0 + timedelta(hours=1))
        uow.registers.add("other", "9", "other: true\n", T0 + timedelta(hours=2))
        uow.commit()

    with uow_factory() as uow:
        latest = uow.registers.latest("example-pay")
        missing = uow.registers.latest("nobody")
    assert latest is not None
    assert latest.policy_version == "2"
    assert missing is None


def test_list_orders_by_operator_then_load_time(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.registers.add("beta", "2", SOURCE_V2, T0 + timedelta(hours=1))
        uow.registers.add("beta", "1", SOURCE_V1, T0)
        uow.registers.add("alpha", "1", SOURCE_V1, T0 + timedelta(hours=5))
        uow.commit()

    with uow_factory() as uow:
        listed = [(r.operator_id, r.policy_version) for r in uow.registers.list()]
    assert listed == [("alpha", "1"), ("beta", "1"), ("beta", "2")]


def test_times_come_back_in_utc_whatever_zone_went_in(uow_factory: UowFactory) -> None:
    almaty = timezone(timedelta(hours=5))
    with uow_factory() as uow:
        uow.registers.add("example-pay", "1", SOURCE_V1, datetime(2026, 1, 5, 14, 0, tzinfo=almaty))
        uow.commit()

    with uow_factory() as uow:
        latest = uow.registers.latest("example-pay")
    assert latest is not None
    assert latest.loaded_at == T0
    assert latest.loaded_at.utcoffset() == timedelta(0)


def test_naive_load_time_is_refused(uow_factory: UowFactory) -> None:
    with uow_factory() as uow, pytest.raises(ValueError, match="timezone-aware"):
        uow.registers.add("example-pay", "1", SOURCE_V1, datetime(2026, 1, 5, 9, 0))


EXPRESS = Path(__file__).resolve().parents[2] / "registers" / "express-avans.yaml"


def test_in_force_is_the_latest_version_parsed(uow_factory: UowFactory) -> None:
    text = EXPRESS.read_text(encoding="utf-8")
    with uow_factory() as uow:
        assert uow.registers.in_force("express-avans") is None
        first = uow.registers.add("express-avans", "1", text, T0)
        assert uow.registers.in_force("express-avans") == uow.registers.parsed(first)
        second = uow.registers.add("express-avans", "2", text + "\n# v2\n", T0 + timedelta(1))
        found = uow.registers.in_force("express-avans")
        uow.commit()
    assert found is not None and found.sha256 == second.sha256 != first.sha256


def test_in_force_reads_the_text_only_to_parse_a_new_version(engine: Engine) -> None:
    """The register in force is read by every console page and decision: once a version
    is parsed, reading it again fetches its fingerprint, not its hundred kilobytes."""
    text = EXPRESS.read_text(encoding="utf-8") + f"\n# {engine.dialect.name}\n"
    statements: list[str] = []

    def seen(_c: object, _cur: object, statement: str, *_rest: object) -> None:
        statements.append(statement)

    with engine.begin() as connection:
        repo = SqlRegisterRepository(connection)
        repo.add("express-avans", "1", text, T0)
        event.listen(engine, "before_cursor_execute", seen)
        try:
            first = repo.in_force("express-avans")  # parsed now if no earlier test did
            statements.clear()
            again = repo.in_force("express-avans")
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    assert first is not None and again is first
    assert statements and not any("source_yaml" in s for s in statements)

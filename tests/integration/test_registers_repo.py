"""One contract for every register repository: the fake, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from derbes.register.adapters.store import source_sha256
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

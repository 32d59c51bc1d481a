"""Crash points: inert unless a test names one; a typo in a name is caught at once."""

from __future__ import annotations

import pytest

from derbes.platform import faults


def test_without_the_variable_a_crash_point_does_nothing(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    monkeypatch.delenv(faults.CRASH_ENV, raising=False)
    for name in sorted(faults.POINTS):
        faults.crash_point(name)


def test_another_point_named_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(faults.CRASH_ENV, "retention.run.finished")
    faults.crash_point("retention.run.started")


def test_a_point_named_for_a_later_hit_lets_the_earlier_ones_pass(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(faults.CRASH_ENV, "keys.epoch.batch_committed:1000000")
    for _ in range(3):
        faults.crash_point("keys.epoch.batch_committed")


def test_an_unknown_point_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown crash point"):
        faults.crash_point("retention.batch.commited")

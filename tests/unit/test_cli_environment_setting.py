"""``environment_setting`` reads a setting as :class:`Settings` does, without pydantic."""

from __future__ import annotations

from pathlib import Path

import pytest

from derbes.cli.common import environment_setting
from derbes.settings import Settings


@pytest.mark.parametrize("key", ["DERBES_REGIME_FILE", "derbes_regime_file",
                                 "Derbes_Regime_File"])
def test_it_agrees_with_settings_whatever_the_case(monkeypatch: pytest.MonkeyPatch,
                                                   key: str) -> None:
    monkeypatch.setenv(key, "/srv/derbes/regime.yaml")
    assert Settings().regime_file == Path("/srv/derbes/regime.yaml")
    assert environment_setting("regime_file") == "/srv/derbes/regime.yaml"


def test_unset_is_none_as_in_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("DERBES_REGIME_FILE", "derbes_regime_file"):
        monkeypatch.delenv(key, raising=False)
    assert Settings().regime_file is None
    assert environment_setting("regime_file") is None


def test_another_prefix_is_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DERBES_REGIME_FILE", raising=False)
    monkeypatch.setenv("REGIME_FILE", "/elsewhere.yaml")
    assert environment_setting("regime_file") is None

"""Read the regime table (``data/regime.yaml`` or a DPO's corrected copy)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from derbes.deadlines.model.regime import Regime, RegimeError, regime_from_dict
from derbes.errors import ConfigurationError
from derbes.platform import yaml_text
from derbes.platform.shipped import shipped_text

SHIPPED_REGIME = "regime.yaml"


def load_regime(path: Path | None = None) -> Regime:
    """The default regime; ``path`` (``DERBES_REGIME_FILE``) replaces the shipped table.

    The shipped table is parsed once per process (it is package data); a DPO's
    file is read on every call, so a correction takes effect without a restart.
    """
    if path is None:
        return _shipped_regime()
    return _parse_regime_file(path)


@cache
def _shipped_regime() -> Regime:
    text = shipped_text(SHIPPED_REGIME)
    return _parse(text, SHIPPED_REGIME)


def _parse_regime_file(path: Path) -> Regime:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read regime table {path}: {exc.strerror or exc}") from exc
    return _parse(text, str(path))


def _parse(text: str, where: str) -> Regime:
    try:
        data: Any = yaml_text.load(text)
    except (yaml.YAMLError, ValueError) as exc:  # PyYAML raises ValueError on 2026-02-30
        raise RegimeError(f"{where}: not valid YAML: {exc}") from exc
    try:
        return regime_from_dict(data)
    except RegimeError as exc:
        raise RegimeError(f"{where}: {exc.message}", field=exc.field) from exc

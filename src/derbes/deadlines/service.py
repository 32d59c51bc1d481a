"""Use cases for deadlines: the regime in force, the working calendar, due dates.

API, CLI and web call these; the rules live in ``deadlines/model/regime.py`` and
``deadlines/model/calendar.py``, the data in ``data/regime.yaml`` and the calendar
override tables.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from derbes.deadlines.adapters.kz_calendar import build_kz_calendar, calendar_for
from derbes.deadlines.adapters.regime_yaml import load_regime
from derbes.deadlines.model.calendar import DueDate, WorkingCalendar
from derbes.deadlines.model.periods import Period
from derbes.deadlines.model.regime import Regime, RegimeOverride, apply_overrides
from derbes.errors import ConfigurationError
from derbes.settings import Settings


def register_overrides(register: Path) -> list[RegimeOverride]:
    """The ``regime_overrides`` of a processing register file.

    The register loader is looked up at run time so that this module does not
    depend on the register's internal shape: ``load_register(path)`` may return
    the register itself or a wrapper with a ``register`` attribute.
    """
    try:
        module = importlib.import_module("derbes.register.adapters.yaml")
    except ImportError as exc:  # pragma: no cover - the loader ships with derbes
        raise ConfigurationError("the register loader is not available") from exc
    load = getattr(module, "load_register", None)
    if not callable(load):  # pragma: no cover
        raise ConfigurationError("the register loader has no load_register()")
    loaded: Any = load(register)
    model: Any = getattr(loaded, "register", loaded)
    raw: Sequence[Any] = getattr(model, "regime_overrides", None) or ()
    out: list[RegimeOverride] = []
    for item in raw:
        term = item.term if isinstance(item.term, Period) else Period.parse(str(item.term))
        out.append(RegimeOverride(str(item.deadline), term, str(item.citation)))
    return out


def effective_regime(settings: Settings, register: Path | None = None) -> Regime:
    """The default regime (or the DPO's corrected copy), made stricter by a register."""
    regime = load_regime(settings.regime_file)
    if register is None:
        return regime
    return apply_overrides(regime, register_overrides(register))


def working_calendar(
    settings: Settings, first_year: int, last_year: int | None = None
) -> WorkingCalendar:
    return build_kz_calendar(first_year, last_year, extra_overrides=settings.calendar_overrides)


def due(
    deadline_id: str,
    received_at: datetime,
    settings: Settings,
    register: Path | None = None,
) -> DueDate:
    """When ``deadline_id`` ends for something received at ``received_at`` (aware)."""
    return due_under(effective_regime(settings, register), deadline_id, received_at, settings)


def due_under(
    regime: Regime, deadline_id: str, received_at: datetime, settings: Settings
) -> DueDate:
    """``due`` under an already loaded regime."""
    _ = regime[deadline_id]  # an unknown id fails before the calendar is built
    calendar = calendar_for(received_at, extra_overrides=settings.calendar_overrides)
    return regime.due_date(deadline_id, received_at, calendar)

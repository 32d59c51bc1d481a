"""Fixtures shared by every test layer. Database fixtures live in tests/integration."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from derbes.platform.clock import FixedClock

# Machines differ in speed; tests never assert timings (deadline=None). CI runs
# derandomized so a red build is reproducible.
settings.register_profile("derbes", deadline=None, derandomize=bool(os.environ.get("CI")))
settings.load_profile("derbes")


@pytest.fixture
def clock() -> FixedClock:
    """A clock stopped at 2026-01-05 09:00 UTC (a Monday); move it with ``advance``."""
    return FixedClock()

"""The register in force: one lookup for every slice, parsed once per version, a bounded cache."""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime

import pytest

from derbes.errors import NotFoundError
from derbes.platform.clock import FixedClock
from derbes.register.adapters.yaml import LoadedRegister
from derbes.register.ports import StoredRegister
from derbes.register.service import in_force, registers
from derbes.testing.uow import FakeUnitOfWork
from tests.consent_support import EXPRESS, express

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _version(n: int, operator: str = "express-avans") -> StoredRegister:
    return StoredRegister(n, operator, "1", f"{n:064x}", EXPRESS.read_text(encoding="utf-8"), T)


def test_a_version_is_parsed_once_and_the_cache_keeps_the_latest_few(
        monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    real = in_force.parse_register

    def counting(text: str, name: str) -> LoadedRegister:
        parsed.append(name)
        return real(text, name)

    monkeypatch.setattr(in_force, "parse_register", counting)
    monkeypatch.setattr(in_force, "_PARSED", OrderedDict())
    monkeypatch.setattr(in_force, "CACHED_VERSIONS", 2)
    first = in_force.parsed(_version(1))
    assert in_force.parsed(_version(1)) is first and len(parsed) == 1
    in_force.parsed(_version(2))
    in_force.parsed(_version(3))
    assert len(in_force._PARSED) == 2  # the least recently used version went
    in_force.parsed(_version(1))
    assert len(parsed) == 4
    # The same text of another operator is that operator's own entry.
    in_force.parsed(_version(3, "another-operator"))
    assert len(parsed) == 5 and len(in_force._PARSED) == 2


def test_the_version_in_force_is_the_one_published_last() -> None:
    uow = FakeUnitOfWork()
    registers.publish(uow, [express()], FixedClock(T))
    with uow:
        found = in_force.in_force_in(uow, "express-avans")
        assert found.sha256 == express().sha256
        assert in_force.find_in_force(uow, "nobody") is None
        with pytest.raises(NotFoundError):
            in_force.in_force_in(uow, "nobody")
    assert registers.in_force(uow, "express-avans").register.operator.id == "express-avans"

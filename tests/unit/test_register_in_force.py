"""The register in force: one lookup for every slice, parsed once per version, a bounded cache."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from derbes.errors import NotFoundError
from derbes.platform.clock import FixedClock
from derbes.register.adapters import versions
from derbes.register.adapters import yaml as register_yaml
from derbes.register.model.loaded import LoadedRegister
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
    real = register_yaml.parse_register

    def counting(text: str, name: str = "<register>") -> LoadedRegister:
        parsed.append(name)
        return real(text, name)

    monkeypatch.setattr(register_yaml, "parse_register", counting)
    cache = versions._Bounded[tuple[str, str], LoadedRegister](2)
    monkeypatch.setattr(versions, "_PARSED", cache)
    first = versions.parsed(_version(1))
    assert versions.parsed(_version(1)) is first and len(parsed) == 1
    versions.parsed(_version(2))
    versions.parsed(_version(3))
    assert len(cache) == 2  # the least recently used version went
    versions.parsed(_version(1))
    assert len(parsed) == 4
    # The same text of another operator is that operator's own entry.
    versions.parsed(_version(3, "another-operator"))
    assert len(parsed) == 5 and len(cache) == 2


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

"""Bootstrap reads every rule table once, and the regime table honours DERBES_REGIME_FILE."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from derbes.bootstrap import bootstrap
from derbes.context import OperatorScope
from derbes.settings import Settings


def test_the_regime_in_force_is_the_dpos_file(tmp_path: Path) -> None:
    shipped = resources.files("derbes.data").joinpath("regime.yaml").read_text(encoding="utf-8")
    assert "    value: 18 years\n" in shipped
    edited = tmp_path / "regime.yaml"
    edited.write_text(shipped.replace("    value: 18 years\n", "    value: 21 years\n", 1),
                      encoding="utf-8")
    container = bootstrap(Settings(var_dir=tmp_path / "var", regime_file=edited))
    assert str(container.rules.regime.rule("age_of_majority").value) == "21 years"
    shipped_container = bootstrap(Settings(var_dir=tmp_path / "var2"))
    assert str(shipped_container.rules.regime.rule("age_of_majority").value) == "18 years"


def test_rules_are_built_once_and_shared_by_every_context(tmp_path: Path) -> None:
    container = bootstrap(Settings(var_dir=tmp_path / "var"))
    assert container.rules is container.rules
    first = container.context("cli:dpo")
    second = container.context("api:crm", "req-1", OperatorScope.only("qiwi-kz"),
                               read_only=True)
    assert first.rules is second.rules
    assert first.scope.is_every and second.scope == OperatorScope.only("qiwi-kz")
    assert (second.actor, second.request_id) == ("api:crm", "req-1")
    assert first.uow is not second.uow

"""Bootstrap reads every rule table once, and the regime table honours DERBES_REGIME_FILE."""

from __future__ import annotations

import ast
import inspect
import threading
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import get_type_hints

import pytest

from derbes import context as context_module
from derbes.api.app import create_app
from derbes.bootstrap import bootstrap, load_rules
from derbes.context import OperatorScope, Rules
from derbes.errors import DerbesError
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


def test_a_table_is_read_when_first_used_and_once(tmp_path: Path) -> None:
    container = bootstrap(Settings(var_dir=tmp_path / "var"))
    rules = container.rules
    assert not set(Rules.TABLES) & set(vars(rules))  # nothing read yet
    regime = rules.regime
    assert set(Rules.TABLES) & set(vars(rules)) == {"regime"}
    assert rules.regime is regime
    # The request rules are checked against the regime already read.
    assert set(rules.requests.types) and rules.regime is regime


def test_every_table_loads_as_the_type_it_is_declared_with() -> None:
    rules = load_rules().load_all()
    hints = get_type_hints(Rules, _names_for_the_type_checker(context_module))
    for name in Rules.TABLES:
        declared = hints[name]
        table = getattr(rules, name)
        if isinstance(declared, type) and not getattr(declared, "_is_protocol", False):
            assert isinstance(table, declared), name


def _names_for_the_type_checker(module: ModuleType) -> dict[str, object]:
    """The module's names with those it imports only ``if TYPE_CHECKING``."""
    names = dict(vars(module))
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            exec(compile(ast.Module(node.body, []), "<TYPE_CHECKING>", "exec"), names)
    return names


def test_threads_that_ask_for_a_table_at_once_get_one_table() -> None:
    rules = load_rules()
    start = threading.Barrier(8)
    seen: list[object] = []

    def ask() -> None:
        start.wait()
        seen.append(rules.consent)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8 and all(table is seen[0] for table in seen)


def test_rules_are_read_only_and_name_only_their_tables() -> None:
    rules = load_rules()
    with pytest.raises(AttributeError):
        rules.regime = rules.regime
    with pytest.raises(AttributeError):
        rules.nonsense  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="missing"):
        Rules({"regime": lambda _rules: None})


def test_a_table_given_in_place_of_another_keeps_the_rest(tmp_path: Path) -> None:
    shipped = load_rules()
    regime = shipped.regime
    changed = shipped.replaced(vault="the vault table")
    assert changed.vault == "the vault table"  # type: ignore[comparison-overlap]
    assert changed.regime.rule("age_of_majority") == regime.rule("age_of_majority")


def test_a_server_does_not_start_on_a_broken_regime_file(tmp_path: Path) -> None:
    broken = tmp_path / "regime.yaml"
    broken.write_text("rules: [this is not a regime\n", encoding="utf-8")
    container = bootstrap(Settings(var_dir=tmp_path / "var", regime_file=broken))
    with pytest.raises(DerbesError):
        create_app(container)

"""Fuzzing the register loader: any input loads or is refused with located problems.

Whatever text a DPO (or an editor plug-in) hands to ``parse_register``, the
only exception allowed out is :class:`RegisterError`, with at least one problem
that says something. A crash (KeyError, ValueError, RecursionError…) would
turn a typo into a traceback.
"""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derbes.errors import RegisterError
from derbes.register.adapters.yaml import parse_register
from derbes.register.model.loaded import LoadedRegister

FIXTURE = Path(__file__).parents[1] / "fixtures" / "registers" / "minimal.yaml"
MINIMAL_TEXT = FIXTURE.read_text(encoding="utf-8")
MINIMAL: dict[str, Any] = yaml.safe_load(MINIMAL_TEXT)

# Key names of the register format, so generated mappings sometimes look like one.
KEYS = sorted(
    {
        "schema_version", "operator", "policy", "purposes", "tasks", "recipients", "cookies",
        "request_channels", "consent", "minors", "regime_overrides", "limits", "waivers",
        "data_categories", "subject_categories", "id", "labels", "ru", "kk", "en", "kind",
        "citation", "period", "trigger", "retention", "categories", "basis", "country",
        "lifetime", "term", "deadline", "code", "path", "clause", "reason", "processed",
    }
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
    | st.sampled_from(["KZ", "US", "5 years", "30 working days", "consent", "DRB001", "1 day"])
)

structures = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)


def _outcome(text: str) -> LoadedRegister | None:
    """Load ``text``; a refusal must carry problems with messages."""
    try:
        return parse_register(text, "fuzz.yaml")
    except RegisterError as exc:
        assert exc.problems, "RegisterError without problems"
        assert all(p.message.strip() for p in exc.problems), exc.problems
        return None


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key/index path inside ``node`` (not the root itself)."""
    out: list[tuple[Any, ...]] = []
    items: list[tuple[Any, Any]] = []
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    for key, value in items:
        out.append((*prefix, key))
        out.extend(_paths(value, (*prefix, key)))
    return out


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


ALL_PATHS = _paths(MINIMAL)
SCALAR_PATHS = [p for p in ALL_PATHS if not isinstance(_parent(MINIMAL, p)[p[-1]], dict | list)]


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_the_fixture_loads() -> None:
    assert _outcome(MINIMAL_TEXT) is not None


@given(st.text(max_size=300))
@settings(max_examples=300)
def test_arbitrary_text(text: str) -> None:
    _outcome(text)


@given(st.text(alphabet=":-[]{}&*!|>'\"#?,\n 0123456789abkzru.", max_size=120))
@settings(max_examples=300)
def test_yaml_punctuation(text: str) -> None:
    _outcome(text)


@given(structures)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_arbitrary_yaml_structures(data: Any) -> None:
    _outcome(_dump(data))


@given(st.dictionaries(st.sampled_from(KEYS), structures, max_size=8))
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_register_shaped_mappings(data: dict[str, Any]) -> None:
    _outcome(_dump(data))


@given(st.sampled_from(ALL_PATHS))
def test_minimal_with_a_key_deleted(path: tuple[Any, ...]) -> None:
    data = copy.deepcopy(MINIMAL)
    del _parent(data, path)[path[-1]]
    _outcome(_dump(data))


@given(st.sampled_from(SCALAR_PATHS), structures)
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_minimal_with_a_scalar_replaced(path: tuple[Any, ...], value: Any) -> None:
    data = copy.deepcopy(MINIMAL)
    _parent(data, path)[path[-1]] = value
    _outcome(_dump(data))


@given(st.sampled_from(ALL_PATHS), st.sampled_from(ALL_PATHS))
def test_minimal_with_a_subtree_moved(target: tuple[Any, ...], source: tuple[Any, ...]) -> None:
    data = copy.deepcopy(MINIMAL)
    _parent(data, target)[target[-1]] = copy.deepcopy(_parent(MINIMAL, source)[source[-1]])
    _outcome(_dump(data))


@pytest.mark.parametrize(
    "text",
    [
        "a: 2026-02-30",  # matches the timestamp pattern, is no date
        "policy: {date: 2026-13-01}",
        "a: !!bool maybe",
        "a: !!int abc",
        "a: !!float x",
        "a: &x [*x]",  # an alias inside itself
        "[" * 3000 + "]" * 3000,  # deeper than the recursion limit
        "a: !!python/object:os.system {}",
        "--- 1\n--- 2\n",
        "\x00",
        "",
    ],
)
def test_known_troublemakers_are_refused(text: str) -> None:
    with pytest.raises(RegisterError) as info:
        parse_register(text, "bad.yaml")
    assert all(p.message for p in info.value.problems)
    assert info.value.problems[0].file == "bad.yaml"


def test_impossible_policy_date_in_the_fixture_is_refused() -> None:
    text = MINIMAL_TEXT.replace("date: 2026-01-15", "date: 2026-02-30")
    assert text != MINIMAL_TEXT
    assert _outcome(text) is None

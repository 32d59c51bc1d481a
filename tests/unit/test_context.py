"""The context every use case works in: operator scope as an explicit value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from derbes.context import OperatorScope
from derbes.errors import InputError, NotFoundError

ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12)


def test_every_operator_is_a_value_of_its_own() -> None:
    every = OperatorScope.every()
    assert every.is_every
    assert every.admits("qiwi-kz") and every.admits("kassa24")
    assert not OperatorScope.only("qiwi-kz").is_every


def test_an_operator_scope_names_an_operator() -> None:
    with pytest.raises(InputError) as caught:
        OperatorScope.only("")
    assert caught.value.field == "operator"


@given(ids, ids)
def test_one_operator_admits_itself_only(mine: str, other: str) -> None:
    scope = OperatorScope.only(mine)
    assert scope.admits(mine)
    assert scope.admits(other) is (mine == other)


@given(ids, ids)
def test_another_operators_thing_is_refused_as_not_found(mine: str, other: str) -> None:
    scope = OperatorScope.only(mine)
    if mine == other:
        scope.check(other, "subject")
        assert scope.narrowed(other) == scope
    else:
        with pytest.raises(NotFoundError) as caught:
            scope.check(other, "subject")
        assert str(caught.value.message if hasattr(caught.value, "message") else caught.value
                   ).endswith("not found")
        with pytest.raises(NotFoundError):
            scope.narrowed(other)


def test_every_operator_narrows_to_the_one_asked_for() -> None:
    assert OperatorScope.every().narrowed(None).is_every
    assert OperatorScope.every().narrowed("kassa24") == OperatorScope.only("kassa24")

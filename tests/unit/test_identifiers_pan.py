"""Card numbers: brands, Luhn, masking, every single-digit error, arbitrary text."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from derbes.errors import IdentifierError
from derbes.identifiers.model import Kind, pan


def oracle_luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(digits[::-1]):
        d = int(c) * (2 if i % 2 else 1)
        total += d // 10 + d % 10
    return total % 10 == 0


@pytest.mark.parametrize(
    ("value", "brand"),
    [
        ("4111111111111111", "visa"),
        ("4111 1111 1111 1111", "visa"),
        ("4111-1111-1111-1111", "visa"),
        ("4111111111111111110", "visa"),  # 19 digits
        ("5555555555554444", "mastercard"),
        ("2223003122003222", "mastercard"),  # 2-series
        ("2720990000000007", "mastercard"),
        ("2200000000000004", "mir"),
        ("378282246310005", "amex"),
        ("6200000000000005", "unionpay"),
        ("620000000000000005", "unionpay"),
        ("6759649826438453", "maestro"),
        ("5018000000000009", "maestro"),
        ("501800000009", "maestro"),  # 12 digits
        ("3530111333300000", "jcb"),
        ("36227206271667", "diners"),
        ("6011111111111117", "discover"),
    ],
)
def test_known_good(value: str, brand: str) -> None:
    digits = value.replace(" ", "").replace("-", "")
    verdict = pan.check(value)
    assert verdict.valid, verdict.reason
    assert verdict.kind is Kind.PAN
    assert verdict.facts["brand"] == brand
    assert verdict.facts["bin6"] == digits[:6]
    assert verdict.facts["last4"] == digits[-4:]
    assert verdict.facts["length"] == len(digits)
    assert verdict.value == verdict.masked == digits[:6] + "*" * (len(digits) - 10) + digits[-4:]
    assert digits not in str(verdict.as_dict())
    assert digits not in repr(verdict)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("4111111111111112", "Luhn"),
        ("41111111111", "12 to 19 digits"),
        ("41111111111111111111", "12 to 19 digits"),
        ("4111 1111 1111 111a", "digits only"),
        ("", "empty"),
    ],
)
def test_known_bad(value: str, reason: str) -> None:
    verdict = pan.check(value)
    assert not verdict.valid
    assert verdict.value is None
    assert verdict.masked is None
    assert verdict.reason is not None
    assert reason in verdict.reason
    with pytest.raises(IdentifierError, match=reason) as info:
        pan.parse(value)
    assert value.replace(" ", "") not in str(info.value) or not value


def test_brand_edges() -> None:
    assert pan.brand_of("2199999999999999") is pan.Brand.UNKNOWN
    assert pan.brand_of("2205000000000000") is pan.Brand.UNKNOWN
    assert pan.brand_of("2221000000000000") is pan.Brand.MASTERCARD
    assert pan.brand_of("2721000000000000") is pan.Brand.UNKNOWN
    assert pan.brand_of("9999999999999999") is pan.Brand.UNKNOWN


lengths = st.integers(pan.MIN_LENGTH, pan.MAX_LENGTH)


@st.composite
def valid_pans(draw: st.DrawFn) -> str:
    length = draw(lengths)
    body = draw(st.text(alphabet="0123456789", min_size=length - 1, max_size=length - 1))
    return body + pan.luhn_check_digit(body)


@given(valid_pans())
def test_generated_pans_validate_and_never_show_in_full(value: str) -> None:
    assert oracle_luhn(value)
    verdict = pan.check(value)
    assert verdict.valid
    assert value not in str(verdict.as_dict())


@given(value=valid_pans(), data=st.data())
def test_luhn_catches_every_single_digit_error(value: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(value) - 1))
    digit = data.draw(st.sampled_from("0123456789".replace(value[position], "")))
    changed = value[:position] + digit + value[position + 1:]
    assert not pan.check(changed).valid


@given(st.text(alphabet="0123456789", min_size=1, max_size=25))
def test_luhn_agrees_with_the_oracle(digits: str) -> None:
    assert pan.luhn_valid(digits) == oracle_luhn(digits)


@given(st.text())
def test_parse_raises_only_identifier_error(text: str) -> None:
    with contextlib.suppress(IdentifierError):
        pan.parse(text)
    assert pan.check(text).kind is Kind.PAN

"""IIN: table of known values, generated IINs, single-digit changes, arbitrary text."""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from derbes.deadlines.adapters.regime_yaml import load_regime
from derbes.errors import IdentifierError, InputError
from derbes.identifiers import service as identifiers
from derbes.identifiers.adapters.phone import PHONES
from derbes.identifiers.model import Kind, Verdict, iin
from derbes.identifiers.model._checksum import FIRST_WEIGHTS, _remainder, control_digit
from derbes.identifiers.service import majority_age

# An oracle written apart from the code under test: weights 1..11, then 3..11,1,2.



def check_id(value: str, kind: Any = None, **kw: Any) -> Verdict:
    """The identifier check with the Kazakhstan numbering plan."""
    return identifiers.check(value, kind, phones=PHONES, **kw)

def oracle_control(first11: str) -> int | None:
    digits = [int(c) for c in first11]
    first = sum((i + 1) * d for i, d in enumerate(digits)) % 11
    if first != 10:
        return first
    second = sum(((i + 2) % 11 + 1) * d for i, d in enumerate(digits)) % 11
    return None if second == 10 else second


CENTURY_DIGIT = {(1800, "male"): "1", (1800, "female"): "2", (1900, "male"): "3",
                 (1900, "female"): "4", (2000, "male"): "5", (2000, "female"): "6"}


def build(born: date, sex: str, serial: int) -> str | None:
    head = born.strftime("%y%m%d") + CENTURY_DIGIT[(born.year // 100 * 100, sex)] + f"{serial:04d}"
    control = oracle_control(head)
    return None if control is None else head + str(control)


@pytest.mark.parametrize(
    ("value", "birth_date", "sex", "century"),
    [
        ("900101300126", "1990-01-01", "male", 20),
        ("851231405677", "1985-12-31", "female", 20),
        ("000229600014", "2000-02-29", "female", 21),  # a leap day
        ("120930500122", "2012-09-30", "male", 21),
        ("900101300811", "1990-01-01", "male", 20),  # first pass gives 10: second pass
        ("9001 0130 0126", "1990-01-01", "male", 20),  # separators are ignored
        (" 900101-300126 ", "1990-01-01", "male", 20),
    ],
)
def test_known_good(value: str, birth_date: str, sex: str, century: int) -> None:
    verdict = iin.check(value)
    assert verdict.valid, verdict.reason
    assert verdict.kind is Kind.IIN
    assert verdict.value == "".join(value.split()).replace("-", "")
    assert verdict.facts["birth_date"] == birth_date
    assert verdict.facts["sex"] == sex
    assert verdict.facts["century"] == century
    assert verdict.reason is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "empty"),
        ("90010130012", "12 digits"),
        ("9001013001266", "12 digits"),
        ("90010130012x", "digits only"),
        ("900101300127", "control digit"),
        ("900101000125", "digit 7"),
        ("900101700125", "digit 7"),
        ("050229500017", "not a real date"),  # 2005 is not a leap year
        ("901301300124", "not a real date"),
        ("900100300125", "not a real date"),
        ("900101300800", "cannot exist"),  # both passes give 10
        ("９００１０１３００１２６", "digits only"),  # full-width digits
    ],
)
def test_known_bad(value: str, reason: str) -> None:
    verdict = iin.check(value)
    assert not verdict.valid
    assert verdict.value is None
    assert verdict.reason is not None
    assert reason in verdict.reason
    with pytest.raises(IdentifierError, match=reason):
        iin.parse(value)


def test_errors_never_quote_the_number() -> None:
    for value in ("900101300127", "050229500017", "900101700125"):
        with pytest.raises(IdentifierError) as info:
            iin.parse(value)
        assert value not in str(info.value)
        assert value[:6] not in str(info.value)


def test_repr_and_str_hide_the_number() -> None:
    parsed = iin.parse("900101300126")
    assert "900101300126" not in repr(parsed)
    assert str(parsed) == "********0126"
    verdict = iin.check("900101300126")
    assert "900101300126" not in repr(verdict)


def test_a_birth_date_after_today_is_invalid_when_today_is_known() -> None:
    assert iin.check("120930500122", on=date(2012, 9, 30)).valid
    late = iin.check("120930500122", on=date(2012, 9, 29))
    assert not late.valid
    assert late.reason is not None
    assert "future" in late.reason


# The age of majority of the shipped regime table (Civil Code Art. 17 p.1).
MAJORITY = majority_age(load_regime())


@pytest.mark.parametrize(
    ("on", "age", "minor"),
    [
        (date(2008, 1, 1), 18, False),
        (date(2007, 12, 31), 17, True),
        (date(1990, 1, 1), 0, True),
        (date(2026, 1, 5), 36, False),
    ],
)
def test_age_and_minority(on: date, age: int, minor: bool) -> None:
    parsed = iin.parse("900101300126")
    assert parsed.age_on(on) == age
    assert parsed.is_minor_on(on, MAJORITY) is minor
    verdict = iin.check("900101300126", on=on, majority_age=MAJORITY)
    assert verdict.facts["age"] == age
    assert verdict.facts["minor"] is minor


def test_leap_day_birthday_comes_on_28_february_in_common_years() -> None:
    parsed = iin.parse("000229600014")
    assert parsed.age_on(date(2018, 2, 27)) == 17
    assert parsed.age_on(date(2018, 2, 28)) == 18
    assert not parsed.is_minor_on(date(2018, 2, 28), MAJORITY)
    assert parsed.age_on(date(2020, 2, 28)) == 19
    assert parsed.age_on(date(2020, 2, 29)) == 20


def test_age_before_birth_is_an_input_error() -> None:
    with pytest.raises(InputError):
        iin.parse("900101300126").age_on(date(1989, 12, 31))


def test_labels_in_three_languages() -> None:
    assert check_id("851231405677", "iin", lang="kk").facts["sex_label"] == "әйел"
    assert check_id("851231405677", "iin", lang="ru").facts["sex_label"] == "женский"
    assert check_id("900101300126", "iin").facts["sex_label"] == "male"
    with pytest.raises(InputError):
        check_id("900101300126", "iin", lang="de")


# --- properties --------------------------------------------------------------

dates = st.dates(min_value=date(1800, 1, 1), max_value=date(2099, 12, 31))
sexes = st.sampled_from(["male", "female"])
serials = st.integers(min_value=0, max_value=9999)


@given(born=dates, sex=sexes, serial=serials)
def test_generated_iins_are_valid_and_decode_back(born: date, sex: str, serial: int) -> None:
    value = build(born, sex, serial)
    assume(value is not None)  # both passes give 10: no IIN on these digits
    assert value is not None
    parsed = iin.parse(value)
    assert parsed.birth_date == born
    assert parsed.sex.value == sex
    assert parsed.century == born.year // 100 + 1
    assert iin.check(value).valid


@given(first11=st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_control_digit_agrees_with_the_oracle(first11: str) -> None:
    assert control_digit(first11) == oracle_control(first11)


@given(born=dates, sex=sexes, serial=serials, position=st.integers(0, 11),
       digit=st.sampled_from("0123456789"))
def test_single_digit_changes(born: date, sex: str, serial: int, position: int,
                              digit: str) -> None:
    value = build(born, sex, serial)
    assume(value is not None)
    assert value is not None
    assume(value[position] != digit)
    changed = value[:position] + digit + value[position + 1:]
    verdict = iin.check(changed)

    # The checksum is consistent: a change passes only if the control digit of
    # the changed number is its 12th digit (and the rest still decodes).
    if oracle_control(changed[:11]) != int(changed[11]):
        assert not verdict.valid
    # A changed control digit is always caught: it is a function of the rest.
    if position == 11:
        assert not verdict.valid
    # Digits 1-10 carry weights 1-10, none ≡ 0 mod 11: when neither number
    # needs the second pass, any change there is caught.
    if position < 10 and 10 not in (_remainder(value[:11], FIRST_WEIGHTS),
                                    _remainder(changed[:11], FIRST_WEIGHTS)):
        assert not verdict.valid


def test_the_eleventh_digit_blind_spot_is_real() -> None:
    # Weight 11 ≡ 0 (mod 11): changing digit 11 alone keeps the first-pass
    # remainder, so 900101300126 -> 900101300136 is a valid IIN too. The
    # checker must not claim to catch every single-digit error.
    assert iin.check("900101300126").valid
    assert iin.check("900101300136").valid


@given(st.text())
def test_parse_raises_only_identifier_error(text: str) -> None:
    with contextlib.suppress(IdentifierError):
        iin.parse(text)
    assert iin.check(text).kind is Kind.IIN

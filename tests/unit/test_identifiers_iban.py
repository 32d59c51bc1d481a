"""Kazakhstan IBAN: table, generated IBANs, every single substitution, arbitrary text."""

from __future__ import annotations

import contextlib
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from derbes.errors import IdentifierError
from derbes.identifiers.model import Kind, iban

ALNUM = string.ascii_uppercase + string.digits


def oracle_valid(value: str) -> bool:
    """ISO 13616 the textbook way: rearrange, letters to 10..35, one big integer mod 97."""
    rearranged = value[4:] + value[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def build(bank: str, account: str) -> str:
    bban = bank + account
    number = int("".join(str(int(c, 36)) for c in bban + "KZ00"))
    return f"KZ{98 - number % 97:02d}{bban}"


def test_the_registry_example_and_its_spellings() -> None:
    # SWIFT IBAN registry example for Kazakhstan
    spellings = ("KZ86125KZT5004100100", "kz86 125k zt50 0410 0100",
                 " KZ86125kzt5004100100 ", "KZ86-125K-ZT50-0410-0100")
    for spelling in spellings:
        verdict = iban.check(spelling)
        assert verdict.valid, verdict.reason
        assert verdict.kind is Kind.IBAN
        assert verdict.value == "KZ86125KZT5004100100"
        assert verdict.masked == "KZ86125*********0100"
        assert verdict.facts == {"country": "KZ", "bank_code": "125"}


@pytest.mark.parametrize("value", [build("601", "A141000897321"), build("722", "0000000000000"),
                                   build("998", "KZT1234567890")])
def test_generated_known_good(value: str) -> None:
    assert iban.check(value).valid
    assert oracle_valid(value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "empty"),
        ("KZ87125KZT5004100100", "mod 97"),
        ("KZ86125KZT5004100101", "mod 97"),
        ("KZ86125KZT500410010", "20 characters"),
        ("KZ86125KZT50041001000", "20 characters"),
        ("DE89370400440532013000", "must start with KZ"),  # a valid German IBAN
        ("KZ8612AKZT5004100100", "bank code"),
        ("KZ8X125KZT5004100100", "check digits"),
        ("KZ86125KZT50041001/0", "Latin letters and digits"),
        ("KZ86125KZТ5004100100", "Latin letters and digits"),  # Cyrillic Т
        ("kzıı125KZT5004100100", "Latin letters and digits"),  # dotless i upper-cases to I
    ],
)
def test_known_bad(value: str, reason: str) -> None:
    verdict = iban.check(value)
    assert not verdict.valid
    assert verdict.value is None
    assert verdict.reason is not None
    assert reason in verdict.reason
    with pytest.raises(IdentifierError, match=reason):
        iban.parse(value)


banks = st.text(alphabet=string.digits, min_size=3, max_size=3)
accounts = st.text(alphabet=ALNUM, min_size=13, max_size=13)


@given(bank=banks, account=accounts)
def test_generated_ibans_validate(bank: str, account: str) -> None:
    value = build(bank, account)
    parsed = iban.parse(value)
    assert parsed.bank_code == bank
    assert parsed.account == account
    assert iban.compute_check_digits("KZ", bank + account) == value[2:4]


@given(bank=banks, account=accounts, position=st.integers(0, 19), data=st.data())
def test_every_single_substitution_fails(bank: str, account: str, position: int,
                                         data: st.DataObject) -> None:
    # Same-class substitutions (digit for digit, letter for letter) change the
    # number by k·10^n with 0 < |k| < 97 (letters are 10..35), and 97 is a prime
    # that divides no power of ten: mod 97 catches every one of them. Crossing
    # classes changes the length of the expanded number, so there only the
    # consistency with the textbook computation is asserted.
    value = build(bank, account)
    original = value[position]
    same_class = string.digits if original.isdigit() else string.ascii_uppercase
    replacement = data.draw(st.sampled_from(same_class.replace(original, "")))
    changed = value[:position] + replacement + value[position + 1:]
    assert not iban.check(changed).valid

    other = data.draw(st.sampled_from(ALNUM.replace(original, "")))
    crossed = value[:position] + other + value[position + 1:]
    verdict = iban.check(crossed)
    if verdict.valid:
        assert oracle_valid(crossed)
        assert crossed[2:7].isdigit()
    elif crossed.startswith("KZ") and crossed[2:7].isdigit():
        # Outside KZ a mod-97-valid string is still not a Kazakhstan IBAN.
        assert not oracle_valid(crossed)


@given(st.text())
def test_parse_raises_only_identifier_error(text: str) -> None:
    with contextlib.suppress(IdentifierError):
        iban.parse(text)
    assert iban.check(text).kind is Kind.IBAN

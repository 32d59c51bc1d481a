"""Kazakhstan phone numbers (adapter over ``phonenumbers``; no I/O)."""

from __future__ import annotations

import contextlib

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from derbes.errors import IdentifierError
from derbes.identifiers.adapters import phone
from derbes.identifiers.model import Kind


@pytest.mark.parametrize(
    ("value", "e164", "number_type"),
    [
        ("+7 701 123 45 67", "+77011234567", "mobile"),
        ("+7 (701) 123-45-67", "+77011234567", "mobile"),
        ("8 701 123 4567", "+77011234567", "mobile"),
        ("87011234567", "+77011234567", "mobile"),
        ("77011234567", "+77011234567", "mobile"),
        ("7011234567", "+77011234567", "mobile"),
        ("+7 747 123 45 67", "+77471234567", "mobile"),
        ("+7 727 250 12 34", "+77272501234", "fixed_line"),  # Almaty
        ("8 (7172) 55-55-55", "+77172555555", "fixed_line"),  # Astana
    ],
)
def test_known_good(value: str, e164: str, number_type: str) -> None:
    verdict = phone.check(value)
    assert verdict.valid, verdict.reason
    assert verdict.kind is Kind.PHONE
    assert verdict.value == e164
    assert verdict.masked == e164[:5] + "*" * (len(e164) - 7) + e164[-2:]
    assert verdict.facts == {"region": "KZ", "number_type": number_type}
    assert e164 not in repr(verdict)


@pytest.mark.parametrize(
    ("value", "reason", "region"),
    [
        ("+7 495 123 45 67", "not a Kazakhstan phone number", "RU"),  # Moscow
        ("8 495 123 45 67", "not a Kazakhstan phone number", "RU"),
        ("+1 650 253 0000", "not a Kazakhstan phone number", "US"),
        ("+7 701 123 45", "not valid", None),
        ("", "empty", None),
        ("+7 701 CALL ME", "only digits", None),
        ("+7 701 123 45 67 ext. 5", "only digits", None),
        ("7+701 123 45 67", "in front", None),
        ("+" + "7" * 40, "longer than", None),
        ("+７ ７０１ １２３ ４５ ６７", "only digits", None),  # full-width digits
    ],
)
def test_known_bad(value: str, reason: str, region: str | None) -> None:
    verdict = phone.check(value)
    assert not verdict.valid
    assert verdict.value is None
    assert verdict.reason is not None
    assert reason in verdict.reason
    assert verdict.facts.get("region") == region
    with pytest.raises(IdentifierError, match=reason):
        phone.parse(value)


@given(st.text())
def test_parse_raises_only_identifier_error(text: str) -> None:
    with contextlib.suppress(IdentifierError):
        phone.parse(text)
    assert phone.check(text).kind is Kind.PHONE


@given(st.text(alphabet="0123456789+-.() ", max_size=32))
def test_phone_shaped_text_raises_only_identifier_error(text: str) -> None:
    with contextlib.suppress(IdentifierError):
        phone.parse(text)


def _library_e164(text: str) -> str | None:
    """What the full library path answers (None: it refuses the number)."""
    try:
        return phonenumbers.format_number(phone._kz_number(text),
                                          phonenumbers.PhoneNumberFormat.E164)
    except IdentifierError:
        return None


_SEPARATOR = st.sampled_from(["", " ", "-", "  ", ".", "--"])


@given(
    prefix=st.sampled_from(["+7", "8", "7", "+8", "+77", ""]),
    operator=st.one_of(st.sampled_from(["700", "701", "705", "707", "747", "760", "771",
                                        "777", "778", "785", "799", "727"]),
                       st.integers(0, 999).map(lambda n: f"{n:03d}")),
    brackets=st.booleans(),
    digits=st.one_of(st.text("0123456789", min_size=7, max_size=7),
                     st.text("0123456789", min_size=5, max_size=9)),
    separators=st.lists(_SEPARATOR, min_size=4, max_size=4),
)
def test_fast_path_agrees_with_the_library(prefix: str, operator: str, brackets: bool,
                                           digits: str, separators: list[str]) -> None:
    # Every number the fast path answers must be answered the same by the library;
    # what it does not answer is left to the library (e164 falls back).
    code = f"({operator})" if brackets else operator
    text = (f"{prefix}{separators[0]}{code}{separators[1]}{digits[:3]}{separators[2]}"
            f"{digits[3:5]}{separators[3]}{digits[5:]}")
    fast = phone.fast_e164(text)
    library = _library_e164(text)
    if fast is not None:
        assert fast == library
    assert (phone.e164(text) if library is not None else None) == library


def test_fast_path_takes_the_common_mobile_forms_and_leaves_the_rest() -> None:
    for text in ("+7 701 123 45 67", "8 (707) 123-45-67", "87771234567", "+77471234567"):
        assert phone.fast_e164(text) == _library_e164(text)
        assert phone.fast_e164(text) is not None
    # Landlines, the 7-prefixed and the short forms, and invalid operators go to the library.
    for text in ("+7 727 250 12 34", "77011234567", "7011234567", "+7 799 123 45 67",
                 "+7 495 123 45 67"):
        assert phone.fast_e164(text) is None
    with pytest.raises(IdentifierError):
        phone.e164("+7 799 123 45 67")

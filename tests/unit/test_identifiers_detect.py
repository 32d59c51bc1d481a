"""Detection of the kind, the ``Verdict`` value object and the ``identifiers.check`` use case."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from derbes.deadlines.adapters.regime_yaml import load_regime
from derbes.errors import IdentifierError, InputError
from derbes.identifiers import service as identifiers
from derbes.identifiers.adapters import phone
from derbes.identifiers.adapters.phone import PHONES
from derbes.identifiers.model import Kind, Verdict, detect, email, iban, iin, mask, pan
from derbes.identifiers.model import bin as kz_bin
from derbes.identifiers.model._checksum import control_digit
from derbes.platform.clock import FixedClock


def check_id(value: str, kind: Any = None, **kw: Any) -> Verdict:
    """The identifier check with the Kazakhstan numbering plan."""
    return identifiers.check(value, kind, phones=PHONES, **kw)

@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("900101300126", Kind.IIN),
        ("900101300127", Kind.IIN),  # invalid, reported as an IIN: digit 5 is 3
        ("130940014692", Kind.BIN),
        ("1309 4001 4692", Kind.BIN),
        ("130940014693", Kind.BIN),  # invalid, reported as a BIN: digit 5 is 4
        ("KZ86125KZT5004100100", Kind.IBAN),
        ("kz86 125k zt50 0410 0100", Kind.IBAN),
        ("KZ86125KZT500410010", Kind.IBAN),  # wrong length: still told as an IBAN
        ("DE89370400440532013000", Kind.IBAN),
        ("4111 1111 1111 1111", Kind.PAN),
        ("4111111111111", Kind.PAN),
        ("4111111111111111110", Kind.PAN),
        ("+7 701 123 45 67", Kind.PHONE),
        ("+7 (701) 123-45-67", Kind.PHONE),
        ("8 (701) 123-45-67", Kind.PHONE),
        ("87011234567", Kind.PHONE),
        ("77011234567", Kind.PHONE),
        ("7011234567", Kind.PHONE),
        ("+1 650 253 0000", Kind.PHONE),
        ("dpo@kassa24.kz", Kind.EMAIL),
        ("not an e-mail@", Kind.EMAIL),
    ],
)
def test_detect(value: str, kind: Kind) -> None:
    assert detect(value) is kind


@pytest.mark.parametrize(
    "value",
    ["", "   ", "hello", "12345", "1234567890", "97011234567", "41111111111111111111", "KZ",
     "(900101300126)", "٩٠٠١٠١٣٠٠١٢٦"],
)
def test_detect_gives_up(value: str) -> None:
    assert detect(value) is None


dates = st.dates(min_value=date(1800, 1, 1), max_value=date(2099, 12, 31))


@given(born=dates, century_sex=st.sampled_from("123456"), serial=st.integers(0, 9999))
def test_valid_iins_are_detected_as_iins(born: date, century_sex: str, serial: int) -> None:
    head = born.strftime("%y%m%d") + century_sex + f"{serial:04d}"
    control = control_digit(head)
    assume(control is not None)
    value = head + str(control)
    if iin.check(value).valid:
        assert detect(value) is Kind.IIN


@given(yy=st.integers(0, 99), mm=st.integers(1, 12), entity=st.sampled_from("456"),
       division=st.sampled_from("0123"), serial=st.integers(0, 99999))
def test_valid_bins_are_detected_as_bins(yy: int, mm: int, entity: str, division: str,
                                         serial: int) -> None:
    head = f"{yy:02d}{mm:02d}{entity}{division}{serial:05d}"
    control = control_digit(head)
    assume(control is not None)
    value = head + str(control)
    assert kz_bin.check(value).valid
    assert detect(value) is Kind.BIN


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_twelve_digits_are_always_iin_or_bin(digits: str) -> None:
    kind = detect(digits)
    assert kind in (Kind.IIN, Kind.BIN)
    if iin.check(digits).valid:
        assert kind is Kind.IIN
    elif kz_bin.check(digits).valid:
        assert kind is Kind.BIN


@given(st.text(alphabet="0123456789", min_size=12, max_size=18))
def test_valid_pans_of_13_to_19_digits_are_detected(body: str) -> None:
    value = body + pan.luhn_check_digit(body)
    assert detect(value) is Kind.PAN


@given(st.text())
def test_detect_never_raises(text: str) -> None:
    detect(text)


def test_verdict_is_immutable_and_serialisable() -> None:
    verdict = Verdict(valid=True, kind=Kind.BIN, value="130940014692", masked="130940014692",
                      facts={"registered": "2013-09"})
    with pytest.raises(TypeError):
        verdict.facts["registered"] = "2014-01"  # type: ignore[index]
    assert verdict.as_dict() == {
        "valid": True, "kind": "bin", "value": "130940014692", "masked": "130940014692",
        "facts": {"registered": "2013-09"}, "reason": None,
    }
    invalid = Verdict.invalid(Kind.IIN, "IIN control digit (12th) does not match")
    assert not invalid.valid
    assert invalid.value is None
    assert dict(invalid.facts) == {}


def test_mask() -> None:
    assert mask("4111111111111111", 6, 4) == "411111******1111"
    assert mask("abc", 2, 2) == "***"
    assert mask("abcdef", 0, 0) == "******"


# --- the use case -----------------------------------------------------------


def test_service_detects_and_dispatches() -> None:
    assert check_id("130940014692").kind is Kind.BIN
    assert check_id("900101300126").kind is Kind.IIN
    assert check_id("+7 701 123 45 67").value == "+77011234567"
    assert check_id("KZ86125KZT5004100100").facts["bank_code"] == "125"
    assert check_id("dpo@KASSA24.kz").value == "dpo@kassa24.kz"
    assert check_id("4111111111111111").value == "411111******1111"


def test_neither_iin_nor_bin_is_reported_by_digit_5() -> None:
    as_iin = check_id("900101300127")
    assert (as_iin.kind, as_iin.valid) == (Kind.IIN, False)
    as_bin = check_id("130940014693")
    assert (as_bin.kind, as_bin.valid) == (Kind.BIN, False)


def test_service_with_an_explicit_kind() -> None:
    verdict = check_id("130940014692", "iin")
    assert verdict.kind is Kind.IIN
    assert not verdict.valid
    assert check_id("130940014692", Kind.BIN).valid
    # 11 digits starting with 8 is a phone by shape, but the caller decides
    assert check_id("87011234567", Kind.PAN).kind is Kind.PAN


def test_service_refuses_unknown_kinds_and_shapes() -> None:
    with pytest.raises(IdentifierError, match="unknown identifier kind") as info:
        check_id("130940014692", "snils")
    assert info.value.field == "kind"
    with pytest.raises(IdentifierError, match="cannot tell") as info:
        check_id("hello")
    assert info.value.field == "value"
    with pytest.raises(InputError):
        check_id("130940014692", lang="de")


def test_service_reads_today_from_the_clock_in_kazakhstan_time() -> None:
    # born 2008-01-01; Kazakhstan is UTC+5 since 1 March 2024, so 2025-12-31
    # 19:00 UTC is already 2026-01-01, the eighteenth birthday
    clock = FixedClock(datetime(2025, 12, 31, 19, 0, tzinfo=UTC))
    regime = load_regime()
    verdict = check_id("080101500016", clock=clock, regime=regime)
    assert verdict.facts["age"] == 18
    assert verdict.facts["minor"] is False
    clock.set(datetime(2025, 12, 31, 18, 59, tzinfo=UTC))
    assert check_id("080101500016", clock=clock, regime=regime).facts["minor"] is True
    clock.set(datetime(2007, 6, 1, tzinfo=UTC))
    assert not check_id("080101500016", clock=clock).valid


def test_service_labels_follow_the_language() -> None:
    verdict = check_id("060640010247", lang="ru")
    assert verdict.facts["division_label"] == "головное подразделение"


@given(st.text())
def test_service_raises_only_identifier_error(text: str) -> None:
    with contextlib.suppress(IdentifierError):
        check_id(text)


@pytest.mark.parametrize(
    ("parsed", "value"),
    [
        (lambda: iin.parse("900101300126"), "900101300126"),
        (lambda: pan.parse("4111 1111 1111 1111"), "4111111111111111"),
        (lambda: iban.parse("KZ86125KZT5004100100"), "KZ86125KZT5004100100"),
        (lambda: email.parse("aigerim@mail.kz"), "aigerim@mail.kz"),
        (lambda: phone.parse("+7 701 123 45 67"), "+77011234567"),
    ],
    ids=["iin", "pan", "iban", "email", "phone"],
)
def test_a_personal_identifier_prints_masked(parsed: Any, value: str) -> None:
    identifier = parsed()
    assert str(identifier) == f"{identifier}" == identifier.masked
    assert value not in str(identifier)

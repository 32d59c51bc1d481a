"""The vault's pure rules: validation by value type, minimisation, look-up forms."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from derbes.errors import IdentifierError, InputError, LegalRestrictionError
from derbes.identifiers.adapters.phone import parse as parse_phone
from derbes.register.model.register import Register, RetentionTrigger
from derbes.vault import model as vault
from derbes.vault.model import (
    SUBJECT_ACCESS_REQUEST,
    LookupKind,
    NewValue,
    Provenance,
    Source,
    VaultRules,
)
from tests.vault_support import EMAIL, IIN, PAN, PHONE, PHONE_LOCAL, minimal_register, prov

RULES = VaultRules(minimisation="Law 94-V Art. 7; Rules 395/НҚ (necessary and sufficient PD)",
                   access_request="Law 94-V Art. 24", blocking="b", destruction="d")


def e164(value: str) -> str:
    return parse_phone(value).e164


def token() -> str:
    return "ctok_test"


@pytest.fixture(scope="module")
def register() -> Register:
    return minimal_register().register


def check(register: Register, category: str, value: object, *purposes: str) -> vault.PdValue:
    return vault.validate(register, NewValue(category, value, prov(*purposes)), RULES,
                          phone=e164, new_token=token)


def test_iin_is_normalised_to_digits(register: Register) -> None:
    got = check(register, "identity.iin", "900101 300126")
    assert got.value == IIN
    assert got.provenance.purposes == ()  # named by nobody: the subject's history decides


def test_invalid_iin_names_category_not_value(register: Register) -> None:
    with pytest.raises(IdentifierError) as caught:
        check(register, "identity.iin", "900101300127")
    assert "identity.iin" in caught.value.message
    assert "900101300127" not in caught.value.message


def test_phone_through_injected_normaliser(register: Register) -> None:
    assert check(register, "contact.phone", PHONE_LOCAL).value == PHONE


def test_card_number_is_tokenised_and_never_kept(register: Register) -> None:
    got = check(register, "financial.card_token", PAN)
    assert got.card is not None
    assert got.value == {"token": "ctok_test", "bin6": "411111", "last4": "1111",
                         "brand": "visa"}
    assert PAN not in repr(got) and PAN.encode() not in got.plaintext()


def test_card_failing_luhn_is_refused(register: Register) -> None:
    with pytest.raises(IdentifierError, match="Luhn"):
        check(register, "financial.card_token", "4111111111111112")


def test_unknown_category_is_an_input_error_naming_it(register: Register) -> None:
    with pytest.raises(InputError) as caught:
        check(register, "identity.shoe_size", "SECRET-VALUE-42")
    assert "identity.shoe_size" in caught.value.message
    assert "SECRET-VALUE-42" not in caught.value.message
    assert not isinstance(caught.value, LegalRestrictionError)


def test_category_no_purpose_needs_is_refused_with_citation(register: Register) -> None:
    # identity.birth_date is in the taxonomy but no purpose of this register needs it.
    with pytest.raises(LegalRestrictionError) as caught:
        check(register, "identity.birth_date", "1990-01-01")
    assert caught.value.citation == RULES.minimisation
    assert "1990-01-01" not in caught.value.message


def test_stated_purpose_must_need_the_category(register: Register) -> None:
    with pytest.raises(LegalRestrictionError):
        check(register, "contact.email", EMAIL, "payment_service")


def test_stated_purpose_must_exist(register: Register) -> None:
    with pytest.raises(InputError, match="unknown purpose"):
        check(register, "contact.email", EMAIL, "astrology")


def test_no_purposes_links_only_what_applies_to_everyone(register: Register) -> None:
    # A contract purpose applies once a contract exists, a legal one counted from
    # the contract's end once there is one: neither is linked at collection.
    got = check(register, "identity.full_name", "A B")
    assert got.provenance.purposes == ()
    collected = replace(register.purposes["aml_identification"].retention,
                        trigger=RetentionTrigger.COLLECTED)
    aml = replace(register.purposes["aml_identification"], retention=collected)
    everyone = replace(register, purposes={**register.purposes, "aml_identification": aml})
    assert check(everyone, "identity.full_name", "A B").provenance.purposes == (
        "aml_identification",)


@pytest.mark.parametrize(
    ("value_type", "raw", "expected"),
    [
        ("date", "2001-02-03", "2001-02-03"),
        ("number", "12.50", "12.50"),
        ("number", 7, 7),
        ("money", "100.5", {"amount": "100.5", "currency": "KZT"}),
        ("money", {"amount": 3, "currency": "usd"}, {"amount": "3", "currency": "USD"}),
        ("json", {"a": [1, 2]}, {"a": [1, 2]}),
        ("text", "  x  ", "x"),
        ("iban", "kz86 125k zt50 0410 0100", "KZ86125KZT5004100100"),
    ],
)
def test_values_are_normalised_by_type(value_type: str, raw: object, expected: object) -> None:
    from derbes.platform.labels import Labels
    from derbes.register.model.register import DataCategory, Sensitivity, ValueType

    category = DataCategory("x.y", Labels(ru="x", kk="x", en="x"), Sensitivity.ORDINARY,
                            ValueType(value_type))
    got, card = vault.check_value(category, raw, phone=e164, new_token=token)
    assert got == expected
    assert card is None


@pytest.mark.parametrize(
    ("value_type", "raw"),
    [("date", "2001-02-30"), ("date", "20010203"), ("number", "abc"), ("number", True),
     ("number", float("nan")), ("text", ""), ("text", 5), ("json", {1, 2}),
     ("money", {"amount": "1", "currency": "TENGE"}), ("iban", "KZ00125KZT5004100100")],
)
def test_bad_values_are_refused(value_type: str, raw: object) -> None:
    from derbes.platform.labels import Labels
    from derbes.register.model.register import DataCategory, Sensitivity, ValueType

    category = DataCategory("x.y", Labels(ru="x", kk="x", en="x"), Sensitivity.ORDINARY,
                            ValueType(value_type))
    with pytest.raises(InputError):
        vault.check_value(category, raw, phone=e164, new_token=token)


def test_read_needs_a_purpose(register: Register) -> None:
    for purpose in (None, "", "  "):
        with pytest.raises(InputError) as caught:
            vault.readable_categories(register, purpose, RULES)
        assert caught.value.field == "purpose"


def test_read_purpose_limits_categories(register: Register) -> None:
    assert vault.readable_categories(register, "newsletters", RULES) == frozenset(
        {"contact.email"})
    assert vault.readable_categories(register, SUBJECT_ACCESS_REQUEST, RULES) is None
    with pytest.raises(InputError):
        vault.readable_categories(register, "astrology", RULES)


def test_identifier_normalisation() -> None:
    assert vault.normalise_identifier("iin", "900101-300126", e164) == IIN
    assert vault.normalise_identifier("phone", PHONE_LOCAL, e164) == PHONE
    assert vault.normalise_identifier("email", EMAIL, e164) == EMAIL.lower()
    assert vault.normalise_identifier("customer_id", " W-1 ", e164) == "W-1"
    with pytest.raises(InputError) as caught:
        vault.normalise_identifier("passport", "x", e164)
    assert caught.value.field == "kind"


def test_lookups_from_values_and_explicit_identifiers(register: Register) -> None:
    values = [check(register, "identity.iin", IIN), check(register, "contact.phone", PHONE)]
    pairs = vault.lookups_of(values, {"customer_id": "W-1", "iin": IIN}, e164)
    assert pairs == [(LookupKind.IIN, IIN), (LookupKind.PHONE, PHONE),
                     (LookupKind.CUSTOMER_ID, "W-1")]


def test_provenance_checks() -> None:
    with pytest.raises(InputError):
        Provenance(Source.SUBJECT, (), "", datetime(2026, 1, 1).astimezone())
    with pytest.raises(InputError):
        Provenance(Source.SUBJECT, (), "m", datetime(2026, 1, 1))  # naive
    with pytest.raises(InputError, match="unknown source"):
        Provenance("rumour", (), "m", datetime(2026, 1, 1).astimezone())  # type: ignore[arg-type]
    assert Provenance("credit_bureau", (), "m",  # type: ignore[arg-type]
                      datetime(2026, 1, 1).astimezone()).source is Source.CREDIT_BUREAU


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=20))
def test_plaintext_round_trip(value: vault.JsonValue) -> None:
    assert vault.decode_plain(vault.encode_plain(value)) == value

"""The batch-ingest path gives exactly what the one-value path gives (no timings asserted)."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from derbes.errors import CryptoError, DerbesError, IdentifierError, LegalRestrictionError
from derbes.identifiers.adapters import phone as kz_phone
from derbes.platform import crypto
from derbes.vault import model as vault
from derbes.vault.adapters.rules import load_vault_rules
from derbes.vault.model import NewValue
from derbes.vault.service import subjects as svc
from tests.vault_support import EMAIL, FULL_NAME, IIN, PAN, PHONE_LOCAL, minimal_register, prov

KEY = bytes(range(32))


def _token() -> str:
    return "ctok_fixed"


def _values() -> list[NewValue]:
    return [
        NewValue("identity.full_name", FULL_NAME, prov()),
        NewValue("identity.iin", IIN, prov("aml_identification")),
        NewValue("contact.phone", PHONE_LOCAL, prov("payment_service")),
        NewValue("contact.phone", "+7 701 765 43 21", prov("payment_service")),
        NewValue("contact.email", EMAIL, prov("newsletters")),
        NewValue("financial.card_token", PAN, prov()),
    ]


def test_batch_validator_gives_what_validate_gives() -> None:
    register = minimal_register().register
    rules = load_vault_rules()
    validator = vault.BatchValidator(register, rules, phone=kz_phone.e164,
                                     new_token=_token)
    for new in _values() * 2:  # the second round comes from the caches
        one = vault.validate(register, new, rules, phone=kz_phone.e164, new_token=_token)
        assert validator.validate(new) == one


def test_batch_validator_still_checks_every_value_by_type() -> None:
    register = minimal_register().register
    validator = vault.BatchValidator(register, load_vault_rules(), phone=kz_phone.e164,
                                     new_token=_token)
    validator.validate(NewValue("identity.iin", IIN, prov("aml_identification")))
    with pytest.raises(IdentifierError) as caught:
        validator.validate(NewValue("identity.iin", "900101300127", prov("aml_identification")))
    assert "900101300127" not in caught.value.message
    # A refusal by minimisation is not cached away either.
    with pytest.raises(LegalRestrictionError):
        validator.validate(NewValue("identity.birth_date", "1990-01-01", prov()))
    with pytest.raises(LegalRestrictionError):
        validator.validate(NewValue("identity.iin", IIN, prov("newsletters")))


def test_batch_validator_refuses_what_is_not_a_category_id() -> None:
    register = minimal_register().register
    validator = vault.BatchValidator(register, load_vault_rules(), phone=kz_phone.e164,
                                     new_token=_token)
    with pytest.raises(DerbesError):
        validator.validate(NewValue(["identity.iin"], IIN, prov()))  # type: ignore[arg-type]


def test_phone_answers_are_remembered_for_the_batch_only() -> None:
    calls: list[str] = []

    def normalise(value: str) -> str:
        calls.append(value)
        return kz_phone.e164(value)

    register = minimal_register().register
    first = vault.BatchValidator(register, load_vault_rules(), phone=normalise,
                                 new_token=_token)
    assert first.phone(PHONE_LOCAL) == first.phone(PHONE_LOCAL) == "+77017654321"
    second = vault.BatchValidator(register, load_vault_rules(), phone=normalise,
                                  new_token=_token)
    second.phone(PHONE_LOCAL)
    assert calls == [PHONE_LOCAL, PHONE_LOCAL]


@given(st.text())
def test_encode_plain_of_text_is_canonical_json(text: str) -> None:
    expected = json.dumps(text, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    assert vault.encode_plain(text) == expected.encode("utf-8")
    assert vault.decode_plain(vault.encode_plain(text)) == text


def test_subject_sealer_seals_under_the_value_aad() -> None:
    sealer = crypto.SubjectSealer(KEY, "subject-1")
    sealed = sealer.seal("contact.phone", 1, b'"+77017654321"')
    aad = crypto.value_aad("subject-1", "contact.phone", 1)
    assert crypto.open_sealed(KEY, sealed, aad) == b'"+77017654321"'
    for wrong in (crypto.value_aad("subject-1", "contact.phone", 0),
                  crypto.value_aad("subject-2", "contact.phone", 1),
                  crypto.value_aad("subject-1", "contact.email", 1)):
        with pytest.raises(CryptoError):
            crypto.open_sealed(KEY, sealed, wrong)
    again = sealer.seal("contact.phone", 1, b'"+77017654321"')
    assert again[:crypto.NONCE_BYTES] != sealed[:crypto.NONCE_BYTES]  # fresh nonce
    with pytest.raises(CryptoError):
        crypto.SubjectSealer(KEY[:16], "subject-1")
    with pytest.raises(ValueError, match="negative"):
        sealer.seal("contact.phone", -1, b"x")


@given(st.sampled_from(["iin", "phone", "email", "customer_id"]), st.text())
def test_blind_indexer_equals_blind_index(kind: str, normalised: str) -> None:
    assert crypto.BlindIndexer(KEY)(kind, normalised) == crypto.blind_index(KEY, kind,
                                                                            normalised)


def test_blind_indexer_refuses_a_short_key() -> None:
    with pytest.raises(CryptoError):
        crypto.BlindIndexer(os.urandom(16))


def test_subject_ids_are_uuid7_increasing_and_distinct() -> None:
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    ids = svc._new_subject_ids(2000, now)
    assert ids == sorted(ids) and len(set(ids)) == 2000
    parsed = [uuid.UUID(i) for i in ids]
    assert {u.version for u in parsed} == {7}
    assert {u.variant for u in parsed} == {uuid.RFC_4122}
    assert {u.int >> 80 for u in parsed} == {int(now.timestamp() * 1000)}
    later = svc._new_subject_ids(1, datetime(2026, 1, 5, 9, 0, 1, tzinfo=UTC))
    assert later[0] > ids[-1]


@pytest.mark.parametrize("value", [
    "+7 701 123 45 67", "8 (701) 123-45-67", "87011234567", "77011234567", "7011234567",
    "+7 727 250 12 34", "8 (7172) 55-55-55",
])
def test_phone_e164_is_what_parse_gives(value: str) -> None:
    assert kz_phone.e164(value) == kz_phone.parse(value).e164


@pytest.mark.parametrize("value", [
    "+7 495 123 45 67", "+1 650 253 0000", "+7 701 123 45", "", "+7 701 CALL ME",
    "7+701 123 45 67",
])
def test_phone_e164_refuses_what_parse_refuses(value: str) -> None:
    with pytest.raises(IdentifierError) as by_parse:
        kz_phone.parse(value)
    with pytest.raises(IdentifierError) as by_e164:
        kz_phone.e164(value)
    assert type(by_e164.value) is type(by_parse.value)
    assert by_e164.value.message == by_parse.value.message


@given(st.text(alphabet="0123456789 +-()", max_size=20))
def test_phone_e164_agrees_with_parse_on_any_input(value: str) -> None:
    try:
        expected: str | None = kz_phone.parse(value).e164
    except IdentifierError as exc:
        expected = None
        message = exc.message
    if expected is None:
        with pytest.raises(IdentifierError) as caught:
            kz_phone.e164(value)
        assert caught.value.message == message
    else:
        assert kz_phone.e164(value) == expected

"""AES-256-GCM sealing, value associated data and blind indexes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from derbes.errors import CryptoError, DerbesError
from derbes.platform.crypto import (
    NONCE_BYTES,
    blind_index,
    generate_key,
    open_sealed,
    seal,
    value_aad,
)

KEY = bytes(range(32))


def test_seal_round_trip_and_fresh_nonce_each_time() -> None:
    aad = value_aad("subj-1", "iin", 0)
    first = seal(KEY, b"900101300123", aad)
    second = seal(KEY, b"900101300123", aad)
    assert first != second
    assert first[:NONCE_BYTES] != second[:NONCE_BYTES]
    assert b"900101300123" not in first
    assert open_sealed(KEY, first, aad) == b"900101300123"
    assert len(first) == NONCE_BYTES + len(b"900101300123") + 16


def test_wrong_aad_does_not_open_so_values_cannot_be_swapped() -> None:
    sealed = seal(KEY, b"Aidana", value_aad("subj-1", "name", 0))
    for other in (
        value_aad("subj-2", "name", 0),
        value_aad("subj-1", "surname", 0),
        value_aad("subj-1", "name", 1),
    ):
        with pytest.raises(CryptoError) as caught:
            open_sealed(KEY, sealed, other)
        assert "Aidana" not in str(caught.value)
        assert isinstance(caught.value, DerbesError)


def test_tampered_or_truncated_ciphertext_and_wrong_key_fail() -> None:
    aad = value_aad("s", "phone", 3)
    sealed = bytearray(seal(KEY, b"+77011234567", aad))
    sealed[-1] ^= 0x01
    with pytest.raises(CryptoError):
        open_sealed(KEY, bytes(sealed), aad)
    with pytest.raises(CryptoError):
        open_sealed(KEY, bytes(sealed[:20]), aad)
    with pytest.raises(CryptoError):
        open_sealed(generate_key(), seal(KEY, b"x", aad), aad)


def test_a_key_of_the_wrong_size_is_refused_without_showing_it() -> None:
    with pytest.raises(CryptoError) as caught:
        seal(b"short-key", b"x", b"")
    assert "short-key" not in str(caught.value)


def test_value_aad_is_unambiguous() -> None:
    assert value_aad("a:b", "c", 0) != value_aad("a", "b:c", 0)
    assert value_aad("a", "b", 1) != value_aad("a", "b", 256)
    assert value_aad("a", "b", 0) == value_aad("a", "b", 0)
    with pytest.raises(ValueError):
        value_aad("a", "b", -1)


def test_blind_index_is_deterministic_per_key_and_differs_across_keys() -> None:
    other = bytes(reversed(range(32)))
    one = blind_index(KEY, "iin", "900101300123")
    assert one == blind_index(KEY, "iin", "900101300123")
    assert len(one) == 64 and int(one, 16) >= 0
    assert one != blind_index(other, "iin", "900101300123")
    assert one != blind_index(KEY, "phone", "900101300123")
    assert "900101300123" not in one


def test_blind_index_needs_a_full_length_key() -> None:
    with pytest.raises(CryptoError):
        blind_index(b"", "iin", "900101300123")


@given(
    plaintext=st.binary(max_size=2048),
    aad=st.binary(max_size=256),
    key=st.binary(min_size=32, max_size=32),
)
def test_round_trip_over_arbitrary_bytes(plaintext: bytes, aad: bytes, key: bytes) -> None:
    assert open_sealed(key, seal(key, plaintext, aad), aad) == plaintext


@given(
    subject=st.text(max_size=40),
    category=st.text(max_size=40),
    seq=st.integers(min_value=0, max_value=2**63),
    other_subject=st.text(max_size=40),
)
def test_aad_of_different_subjects_never_collide(
    subject: str, category: str, seq: int, other_subject: str
) -> None:
    if subject != other_subject:
        assert value_aad(subject, category, seq) != value_aad(other_subject, category, seq)

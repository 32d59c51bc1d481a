"""Sealing and opening a subject's values, and the blind-index look-ups they carry.

A value is sealed with the subject's data key under associated data
``(subject, category, seq)``, so a ciphertext moved to another subject or
field does not open.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from derbes.errors import CryptoError
from derbes.platform import crypto
from derbes.register.model.register import ValueType
from derbes.vault import model as vault
from derbes.vault.model import JsonValue, LookupKind, PdValue, Provenance, Source
from derbes.vault.ports import KeyStore, SealedValue

__all__ = [
    "as_pd", "card_token_of", "keys_of", "lookup_digests", "lookup_kind_of", "open_value",
    "provenance_of", "seal_value",
]


def keys_of(keystore: KeyStore, subject_id: str) -> tuple[bytes, ...]:
    """The keys the subject's values may be sealed under (two during a key swap)."""
    keys = keystore.candidate_keys([subject_id]).get(subject_id)
    if not keys:
        raise CryptoError(
            "the data key of this subject is missing: destroyed, or not this key store"
        )
    return keys


def seal_value(key: bytes, subject_id: str, value: PdValue, seq: int,
               now: datetime) -> SealedValue:
    aad = crypto.value_aad(subject_id, value.category, seq)
    p = value.provenance
    return SealedValue(
        subject_id=subject_id, category=value.category, seq=seq,
        sealed=crypto.seal(key, value.plaintext(), aad), value_type=value.value_type.value,
        source=p.source.value, purposes=p.purposes, method=p.method,
        collected_at=p.collected_at, updated_at=now,
    )


def open_value(keys: Sequence[bytes], stored: SealedValue) -> JsonValue:
    """Open with whichever key sealed the value (AES-GCM authenticates the right one)."""
    aad = crypto.value_aad(stored.subject_id, stored.category, stored.seq)
    for key in keys[:-1]:
        try:
            return vault.decode_plain(crypto.open_sealed(key, stored.sealed, aad))
        except CryptoError:
            continue
    return vault.decode_plain(crypto.open_sealed(keys[-1], stored.sealed, aad))


def as_pd(stored: SealedValue, value: JsonValue) -> PdValue:
    return PdValue(category=stored.category, value_type=ValueType(stored.value_type),
                   value=value, provenance=provenance_of(stored))


def provenance_of(stored: SealedValue) -> Provenance:
    return Provenance(source=Source(stored.source), purposes=stored.purposes,
                      method=stored.method, collected_at=stored.collected_at)


def lookup_digests(
    index_key: bytes, pairs: Iterable[tuple[LookupKind, str]]
) -> list[tuple[str, str]]:
    """(kind, keyed digest) of each (kind, normalised identifier)."""
    return [(kind.value, crypto.blind_index(index_key, kind.value, normalised))
            for kind, normalised in pairs]


def card_token_of(value: JsonValue) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("token"), str):
        token: str = value["token"]  # type: ignore[assignment]
        return token
    return None


_KIND_OF_VALUE_TYPE: dict[str, LookupKind] = {
    ValueType.IIN.value: LookupKind.IIN,
    ValueType.PHONE.value: LookupKind.PHONE,
    ValueType.EMAIL.value: LookupKind.EMAIL,
}


def lookup_kind_of(stored: SealedValue) -> LookupKind | None:
    """The kind of look-up a stored value carries, told without opening it."""
    if stored.category == vault.CUSTOMER_ID_CATEGORY:
        return LookupKind.CUSTOMER_ID
    return _KIND_OF_VALUE_TYPE.get(stored.value_type)

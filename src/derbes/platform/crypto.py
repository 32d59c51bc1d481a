"""Field encryption for the PD vault: AES-256-GCM and keyed blind indexes.

A sealed value is ``nonce (12 bytes) || ciphertext || tag (16 bytes)``. The
associated data binds a value to its subject and field, so a ciphertext copied
into another row does not open (values cannot be swapped between rows). Blind
indexes are HMAC-SHA-256 under a key of their own, never the data keys.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from derbes.errors import CryptoError

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # 96-bit nonce, the size GCM is specified for
TAG_BYTES = 16

__all__ = [
    "KEY_BYTES",
    "NONCE_BYTES",
    "TAG_BYTES",
    "BlindIndexer",
    "SubjectSealer",
    "blind_index",
    "consent_aad",
    "generate_key",
    "open_sealed",
    "open_with",
    "seal",
    "seal_with",
    "value_aad",
]


def generate_key() -> bytes:
    """A new random 256-bit key from the operating system's CSPRNG."""
    return os.urandom(KEY_BYTES)


def _cipher(key: bytes) -> AESGCM:
    if len(key) != KEY_BYTES:
        # The length only: never the key.
        raise CryptoError(f"an AES-256 key has {KEY_BYTES} bytes, this one has {len(key)}")
    return AESGCM(key)


def seal_with(cipher: AESGCM, plaintext: bytes, aad: bytes) -> bytes:
    """``plaintext`` encrypted and authenticated bound to ``aad``, behind a fresh random
    nonce: the one framing of every sealed value and wrapped key."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + cipher.encrypt(nonce, plaintext, aad)


def open_with(cipher: AESGCM, sealed: bytes, aad: bytes) -> bytes | None:
    """What :func:`seal_with` sealed, or None when it does not authenticate (another key,
    another ``aad``, altered or truncated bytes); the caller says which error that is."""
    if len(sealed) < NONCE_BYTES + TAG_BYTES:
        return None
    try:
        return cipher.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except InvalidTag:
        return None


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt and authenticate ``plaintext`` bound to ``aad``; a fresh random nonce each call."""
    return seal_with(_cipher(key), plaintext, aad)


def open_sealed(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    """Decrypt what ``seal`` produced; ``CryptoError`` if key, ``aad`` or bytes do not match."""
    cipher = _cipher(key)
    if len(sealed) < NONCE_BYTES + TAG_BYTES:
        raise CryptoError("sealed value is too short to be an AES-GCM ciphertext")
    opened = open_with(cipher, sealed, aad)
    if opened is None:
        raise CryptoError(
            "sealed value does not authenticate: wrong key, wrong subject/field, or altered bytes"
        )
    return opened


def _field(text: str) -> bytes:
    raw = text.encode("utf-8")
    return len(raw).to_bytes(4, "big") + raw


_VALUE_AAD_TAG = b"derbes.value.v1"


def value_aad(subject_id: str, category: str, seq: int) -> bytes:
    """Associated data of one PD value: subject, category and the value's sequence number.

    Each part is length-prefixed, so no two different triples encode alike
    (``("a:b", "c")`` and ``("a", "b:c")`` stay distinct).
    """
    if seq < 0:
        raise ValueError("a value sequence number is never negative")
    return _VALUE_AAD_TAG + _field(subject_id) + _field(category) + seq.to_bytes(8, "big")


def consent_aad(consent_id: str, what: str) -> bytes:
    """Associated data of a consent's sealed ``evidence`` or ``representative``."""
    return f"derbes/consent/{what}\x1f{consent_id}".encode()


class SubjectSealer:
    """Seals many values of one subject: what :func:`seal` does under :func:`value_aad`.

    For batches: the AES-GCM context is built once per data key and the
    subject's part of the associated data once per subject; every value still
    gets a fresh random nonce and its own (subject, category, seq) binding, so
    the output opens with ``open_sealed(key, sealed, value_aad(...))``.
    """

    __slots__ = ("_cipher", "_prefix")

    def __init__(self, key: bytes, subject_id: str) -> None:
        self._cipher = _cipher(key)
        self._prefix = _VALUE_AAD_TAG + _field(subject_id)

    def seal(self, category: str, seq: int, plaintext: bytes) -> bytes:
        if seq < 0:
            raise ValueError("a value sequence number is never negative")
        aad = self._prefix + _field(category) + seq.to_bytes(8, "big")
        return seal_with(self._cipher, plaintext, aad)


def blind_index(index_key: bytes, kind: str, normalized: str) -> str:
    """Hex HMAC-SHA-256 of ``f"{kind}:{normalized}"`` for exact look-up without plaintext.

    ``normalized`` must already be canonical (e.g. an IIN's 12 digits, a phone in
    E.164), so the same identifier always gives the same index.
    """
    if len(index_key) < KEY_BYTES:
        raise CryptoError(f"a blind-index key has at least {KEY_BYTES} bytes")
    message = f"{kind}:{normalized}".encode()
    return hmac.new(index_key, message, hashlib.sha256).hexdigest()


class BlindIndexer:
    """:func:`blind_index` for many identifiers: the keyed HMAC state is prepared once."""

    __slots__ = ("_base",)

    def __init__(self, index_key: bytes) -> None:
        if len(index_key) < KEY_BYTES:
            raise CryptoError(f"a blind-index key has at least {KEY_BYTES} bytes")
        self._base = hmac.new(index_key, digestmod=hashlib.sha256)

    def __call__(self, kind: str, normalized: str) -> str:
        mac = self._base.copy()
        mac.update(f"{kind}:{normalized}".encode())
        return mac.hexdigest()

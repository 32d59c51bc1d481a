"""Evidence that is PD (IP, user agent, document numbers, the representative) is
sealed with the subject's data key, under associated data bound to the consent
id, so a crypto-shredded subject's evidence can no longer be read."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from derbes.platform import crypto

__all__ = ["digest", "open_sealed_json", "seal_json"]


def seal_json(key: bytes, consent_id: str, what: str, data: Mapping[str, str]) -> bytes | None:
    if not data:
        return None
    plain = json.dumps(dict(data), sort_keys=True, ensure_ascii=False).encode("utf-8")
    return crypto.seal(key, plain, crypto.consent_aad(consent_id, what))


def open_sealed_json(key: bytes, consent_id: str, what: str, sealed: bytes) -> dict[str, str]:
    data = json.loads(crypto.open_sealed(key, sealed, crypto.consent_aad(consent_id, what)))
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def digest(sealed: bytes | None) -> str | None:
    # The ledger commits to the sealed evidence without holding it: the
    # ciphertext has a random nonce, so its digest tells nothing about the PD.
    return None if sealed is None else hashlib.sha256(sealed).hexdigest()

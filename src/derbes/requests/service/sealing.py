"""A request's PD, sealed with the request's own data key (key id ``request:<id>``).

What the requester gives (identifiers, the representative's document,
rectification values) and the full answer (which lists PD values) are sealed
with AAD bound to the request and the field; destroying the key shreds them.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from derbes.errors import NotFoundError
from derbes.platform import crypto
from derbes.requests.model import SubjectRequest
from derbes.vault.ports import KeyStore


def key_id(request_id: str) -> str:
    return f"request:{request_id}"


def _aad(request_id: str, what: str) -> bytes:
    return f"subject_request:{request_id}:{what}".encode()


def encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=plain).encode("utf-8")


def plain(value: Any) -> Any:
    """JSON for values read from stores (dates, decimals, bytes)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return plain(value)


def seal(key: bytes, request_id: str, what: str, value: Any) -> bytes:
    return crypto.seal(key, encode(value), _aad(request_id, what))


def request_key(keystore: KeyStore, request_id: str, what: str = "request_id") -> bytes:
    """The request's data key; gone once the request's sealed data were destroyed."""
    key = keystore.keys_for([key_id(request_id)]).get(key_id(request_id))
    if key is None:
        raise NotFoundError("the sealed data of this request were destroyed", field=what)
    return key


def open_sealed(keystore: KeyStore, request: SubjectRequest, what: str,
                sealed: bytes | None) -> Any:
    if sealed is None:
        return None
    return open_with(request_key(keystore, request.id, what), request, what, sealed)


def open_with(key: bytes, request: SubjectRequest, what: str, sealed: bytes | None) -> Any:
    """:func:`open_sealed` with the request's key already fetched."""
    if sealed is None:
        return None
    return json.loads(crypto.open_sealed(key, sealed, _aad(request.id, what)))


def given(keystore: KeyStore, request: SubjectRequest) -> dict[str, Any]:
    """What the requester gave: ``{"identifiers": …, "payload": …}`` (opened)."""
    opened = open_sealed(keystore, request, "payload", request.payload_sealed)
    return dict(opened) if isinstance(opened, dict) else {}


def given_payload(keystore: KeyStore, request: SubjectRequest) -> dict[str, Any]:
    """The type's payload the requester gave (rectification values, categories…)."""
    payload = given(keystore, request).get("payload", {})
    return dict(payload) if isinstance(payload, dict) else {}

"""OpenID Connect sign-in as pure rules: the ID token's form and claims, PKCE, and which
roles a claim gives.

The signature of an ID token is checked by an adapter (``staff/adapters/oidc.py``,
RS256 with ``cryptography``); everything else is decided here from plain values, so
it is tested without a provider: :func:`split_jws` takes a compact JWS apart,
:func:`claims_problem` checks ``iss``, ``aud``, ``exp``, ``iat`` and ``nonce``
(OpenID Connect Core 1.0 §3.1.3.7) against the injected clock and the leeway of
``data/staff.yaml``, :func:`wanted_grants` reads the roles a claim carries through
the operator's mapping file, and :func:`grant_changes` says which grants a sign-in
adds and which it ends.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from derbes.errors import UnauthenticatedError
from derbes.platform.rule_fields import RuleFields
from derbes.staff.model.roles import Grant, RoleBook

__all__ = [
    "OIDC_SOURCE_PREFIX",
    "Jws",
    "OidcRules",
    "RoleMapping",
    "TokenRejected",
    "b64url_decode",
    "b64url_encode",
    "claims_problem",
    "grant_changes",
    "mapping_from_dict",
    "mfa_shown",
    "oidc_rules_from_dict",
    "pkce_challenge",
    "source_of",
    "split_jws",
    "wanted_grants",
]

OIDC_SOURCE_PREFIX = "oidc:"
# A compact JWS of more than this is not an ID token (and is not parsed at all).
_MAX_TOKEN = 16_384


class TokenRejected(UnauthenticatedError):
    """An ID token or a sign-in flow that is not accepted; the message says why, ``kind``
    what the person can do: ``flow`` (start again), ``token`` (the answer does not
    verify), ``mfa`` (sign in with a second factor), ``revoked`` (access was taken
    away in derbes), ``provider`` (the provider did not answer as it should)."""

    def __init__(self, message: str, *, kind: str = "token") -> None:
        super().__init__(message, field="id_token" if kind == "token" else None)
        self.kind = kind


def source_of(issuer: str) -> str:
    """Who grants a role that came from the provider's claim (``oidc:<issuer>``)."""
    return f"{OIDC_SOURCE_PREFIX}{issuer}"


@dataclass(frozen=True)
class OidcRules:
    """The numbers of OpenID Connect sign-in (``data/staff.yaml``, section ``oidc``)."""

    leeway: timedelta  # clock skew allowed on exp and iat
    flow_max_age: timedelta  # from the redirect to the provider to the callback
    mfa_amr: frozenset[str]  # amr values that stand for a second factor
    citation: str


def oidc_rules_from_dict(fields: RuleFields, section: Mapping[str, Any]) -> OidcRules:
    leeway = section.get("leeway_seconds")
    if not isinstance(leeway, int) or isinstance(leeway, bool) or not 0 <= leeway <= 600:
        raise fields.error("oidc.leeway_seconds must be a whole number from 0 to 600",
                           "oidc.leeway_seconds")
    amr = section.get("mfa_amr")
    if not isinstance(amr, list) or not amr or not all(isinstance(a, str) and a for a in amr):
        raise fields.error("oidc.mfa_amr must list at least one amr value", "oidc.mfa_amr")
    return OidcRules(timedelta(seconds=leeway),
                     timedelta(minutes=fields.count(section, "flow_minutes", "oidc")),
                     frozenset(amr), fields.text(section, "citation", "oidc"))


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """base64url without padding (RFC 7515 §2); anything else is a ValueError."""
    if not text or any(c not in _B64URL for c in text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise ValueError("not base64url") from None


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636 §4.2)."""
    return b64url_encode(hashlib.sha256(verifier.encode("ascii")).digest())


@dataclass(frozen=True)
class Jws:
    """A compact JWS taken apart; nothing in it is trusted until the signature is checked."""

    header: Mapping[str, Any]
    payload: Mapping[str, Any]
    signing_input: bytes
    signature: bytes


def _json_object(part: str, what: str) -> Mapping[str, Any]:
    try:
        value = json.loads(b64url_decode(part))
    except (ValueError, UnicodeDecodeError):
        raise TokenRejected(f"the ID token's {what} is not base64url JSON") from None
    if not isinstance(value, dict):
        raise TokenRejected(f"the ID token's {what} is not a JSON object")
    return value


def split_jws(token: str) -> Jws:
    """The three parts of a compact JWS (RFC 7515 §7.1); :class:`TokenRejected` if malformed."""
    if not isinstance(token, str) or len(token) > _MAX_TOKEN:
        raise TokenRejected("the ID token is missing or too long")
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenRejected("the ID token is not a compact JWS (three dot-separated parts)")
    header = _json_object(parts[0], "header")
    payload = _json_object(parts[1], "payload")
    try:
        signature = b64url_decode(parts[2])
    except ValueError:
        raise TokenRejected("the ID token's signature is not base64url") from None
    return Jws(header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def _instant(claims: Mapping[str, Any], name: str) -> datetime | None:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def claims_problem(claims: Mapping[str, Any], *, issuer: str, client_id: str, nonce: str,
                   now: datetime, leeway: timedelta) -> str | None:
    """What is wrong with a verified ID token's claims (None: they are accepted).

    OpenID Connect Core 1.0 §3.1.3.7: ``iss`` is the provider's, ``aud`` names this
    client (and ``azp`` too when there are several audiences), ``exp`` is ahead and
    ``iat`` not in the future (both within ``leeway``), ``nonce`` is the one sent.
    """
    if claims.get("iss") != issuer:
        return "the ID token was issued by another provider (iss)"
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if client_id not in audiences:
        return "the ID token is meant for another client (aud)"
    if len(audiences) > 1 and claims.get("azp") != client_id:
        return "the ID token has several audiences and another authorised party (azp)"
    expires, issued = _instant(claims, "exp"), _instant(claims, "iat")
    if expires is None or issued is None:
        return "the ID token lacks a valid exp or iat"
    if now >= expires + leeway:
        return "the ID token has expired (exp)"
    if issued > now + leeway:
        return "the ID token was issued in the future (iat)"
    if claims.get("nonce") != nonce:
        return "the ID token's nonce is not the one this sign-in sent"
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 255:
        return "the ID token has no valid subject (sub)"
    return None


def mfa_shown(claims: Mapping[str, Any], accepted: frozenset[str]) -> bool:
    """Whether the provider says a second factor was used (``amr``, RFC 8176)."""
    amr = claims.get("amr")
    return isinstance(amr, list) and any(isinstance(a, str) and a in accepted for a in amr)


@dataclass(frozen=True)
class RoleMapping:
    """Claim values and the (operator, role) pairs each one gives."""

    claim: str
    pairs: Mapping[str, frozenset[tuple[str, str]]]


def mapping_from_dict(data: Any, book: RoleBook, claim: str) -> RoleMapping:
    """The operator's mapping file (``claim_values: {value: [{operator, role}, …]}``)."""
    fields = RuleFields("OIDC role mapping")
    top = fields.top(data)
    values = fields.section(top, "claim_values")
    out: dict[str, frozenset[tuple[str, str]]] = {}
    for value, listed in values.items():
        where = f"claim_values.{value}"
        if not isinstance(listed, list) or not listed:
            raise fields.error(f"{where} must list at least one operator and role", where)
        pairs: set[tuple[str, str]] = set()
        for item in listed:
            if not isinstance(item, Mapping):
                raise fields.error(f"{where}: each entry is {{operator: …, role: …}}", where)
            operator = fields.text(item, "operator", where)
            role = fields.text(item, "role", where)
            if role not in book.roles:
                raise fields.error(f"{where}: unknown role {role!r} (use one of "
                                   f"{', '.join(book.roles)})", where)
            pairs.add((operator, role))
        out[str(value)] = frozenset(pairs)
    return RoleMapping(claim, out)


def wanted_grants(mapping: RoleMapping, claims: Mapping[str, Any]) -> frozenset[tuple[str, str]]:
    """The (operator, role) pairs the roles claim gives: a list of values or one value
    (space-separated, as some providers send groups); unmapped values give nothing."""
    raw = claims.get(mapping.claim)
    values: Iterable[object] = (raw.split() if isinstance(raw, str)
                                else raw if isinstance(raw, list) else ())
    out: set[tuple[str, str]] = set()
    for value in values:
        if isinstance(value, str):
            out |= mapping.pairs.get(value, frozenset())
    return frozenset(out)


def grant_changes(held: Iterable[Grant], wanted: frozenset[tuple[str, str]], source: str
                  ) -> tuple[frozenset[tuple[str, str]], list[Grant]]:
    """What a sign-in changes: the pairs to grant, and the grants the provider gave that
    its claim no longer carries. A grant made in derbes by a person is not the provider's
    to end (it stays until revoked in derbes); one already held is not granted again."""
    active = [g for g in held if g.active]
    have = {(g.operator_id, g.role) for g in active}
    ended = [g for g in active
             if g.granted_by == source and (g.operator_id, g.role) not in wanted]
    return frozenset(wanted - have), ended

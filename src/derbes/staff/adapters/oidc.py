"""The operator's OpenID Connect provider over HTTP, and RS256 signatures of ID tokens.

Discovery (``/.well-known/openid-configuration``, OpenID Connect Discovery 1.0 §4)
is read once and its ``issuer`` must be the configured one (§4.3: otherwise a
document of another provider could be served). The keys (JWKS) are read once and
again when a token names a key id not seen yet (a provider rotating its keys);
a token whose key is still unknown after that is refused. Only RS256 is accepted:
``alg`` comes from the token, so ``none`` or an HMAC with the public key as its
secret must never be honoured (RFC 8725 §2.1, §3.1).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from derbes.errors import ConfigurationError
from derbes.platform import yaml_text
from derbes.staff.model.oidc import (
    RoleMapping,
    TokenRejected,
    b64url_decode,
    mapping_from_dict,
    split_jws,
)
from derbes.staff.model.roles import RoleBook

__all__ = ["HttpOidcProvider", "load_role_mapping", "rsa_key", "verify_rs256"]

_MIN_RSA_BITS = 2048  # RFC 7518 §3.3: a key of 2048 bits or larger MUST be used
_MAX_ANSWER = 1_000_000  # bytes read from the provider in one answer


def rsa_key(jwk: Mapping[str, Any]) -> rsa.RSAPublicKey:
    """An RSA public key from its JWK (RFC 7518 §6.3.1); ValueError if it is not one."""
    if jwk.get("kty") != "RSA":
        raise ValueError("not an RSA key")
    n = int.from_bytes(b64url_decode(str(jwk.get("n", ""))), "big")
    e = int.from_bytes(b64url_decode(str(jwk.get("e", ""))), "big")
    if n.bit_length() < _MIN_RSA_BITS or e < 3:
        raise ValueError("the RSA key is too small")
    return rsa.RSAPublicNumbers(e, n).public_key()


def verify_rs256(token: str, keys: Mapping[str, Any]) -> dict[str, Any]:
    """The payload of ``token`` if it is an RS256 JWS signed by a key of the JWKS ``keys``
    named by the token's ``kid``; :class:`TokenRejected` with the reason otherwise."""
    jws = split_jws(token)
    if jws.header.get("alg") != "RS256":
        raise TokenRejected("the ID token is not signed with RS256 (alg)")
    if "crit" in jws.header:
        raise TokenRejected("the ID token asks for extensions derbes does not know (crit)")
    kid = jws.header.get("kid")
    listed = keys.get("keys")
    candidates = [k for k in listed if isinstance(k, Mapping) and k.get("kid") == kid
                  and k.get("use", "sig") == "sig"] if isinstance(listed, list) else []
    if not candidates:
        raise TokenRejected("the ID token is signed with a key the provider does not "
                            "publish (unknown kid)")
    for jwk in candidates:
        try:
            key = rsa_key(jwk)
        except ValueError:
            continue
        try:
            key.verify(jws.signature, jws.signing_input, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            continue
        return dict(jws.payload)
    raise TokenRejected("the ID token's signature does not verify")


def load_role_mapping(path: Path, book: RoleBook, claim: str) -> RoleMapping:
    """The operator's mapping of claim values to roles (``DERBES_OIDC_ROLES_FILE``)."""
    try:
        data = yaml_text.load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read the OIDC role mapping {path.name}: "
                                 f"{exc.strerror or exc}", field="oidc_roles_file") from None
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path.name}: not valid YAML: {exc}",
                                 field="oidc_roles_file") from None
    return mapping_from_dict(data, book, claim)


def _unreachable(what: str, exc: Exception) -> TokenRejected:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return TokenRejected(f"the identity provider did not answer the {what}: {reason}",
                         kind="provider")


@dataclass
class HttpOidcProvider:
    """One provider: its discovery document, keys, and the code-for-token exchange."""

    name: str
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_url: str
    timeout: float = 10.0
    _discovery: dict[str, Any] | None = field(default=None, repr=False)
    _keys: dict[str, Any] | None = field(default=None, repr=False)

    def _get(self, url: str, what: str) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in _send
            url, headers={"Accept": "application/json"})
        return self._send(request, what)

    def _send(self, request: urllib.request.Request, what: str) -> dict[str, Any]:
        if urllib.parse.urlsplit(request.full_url).scheme not in ("https", "http"):
            raise TokenRejected(f"the provider's {what} is not at an http(s) address",
                                kind="provider")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 - checked above
                body = answer.read(_MAX_ANSWER + 1)
        except urllib.error.HTTPError as exc:
            raise TokenRejected(f"the identity provider refused the {what} "
                                f"(HTTP {exc.code})", kind="provider") from None
        except (urllib.error.URLError, OSError) as exc:
            raise _unreachable(what, exc) from None
        try:
            value = json.loads(body[:_MAX_ANSWER])
        except ValueError:
            raise TokenRejected(f"the provider's {what} is not JSON", kind="provider") from None
        if not isinstance(value, dict):
            raise TokenRejected(f"the provider's {what} is not a JSON object", kind="provider")
        return value

    def discovery(self) -> dict[str, Any]:
        if self._discovery is None:
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            found = self._get(url, "discovery document")
            if found.get("issuer") != self.issuer:
                raise TokenRejected("the provider's discovery document names another issuer",
                                    kind="provider")
            for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(found.get(key), str):
                    raise TokenRejected(f"the provider's discovery document lacks {key}",
                                        kind="provider")
            self._discovery = found
        return self._discovery

    def authorization_url(self, state: str, nonce: str, challenge: str) -> str:
        """Where the browser goes to sign in (authorization code flow with PKCE S256)."""
        query = urllib.parse.urlencode({
            "response_type": "code", "client_id": self.client_id,
            "redirect_uri": self.redirect_url, "scope": "openid profile email",
            "state": state, "nonce": nonce, "code_challenge": challenge,
            "code_challenge_method": "S256"})
        endpoint = str(self.discovery()["authorization_endpoint"])
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    def id_token(self, code: str, verifier: str) -> str:
        """The ID token the token endpoint gives for ``code`` (client_secret_post)."""
        body = urllib.parse.urlencode({
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": self.redirect_url, "client_id": self.client_id,
            "client_secret": self.client_secret, "code_verifier": verifier}).encode("ascii")
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in _send
            str(self.discovery()["token_endpoint"]), data=body, method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Accept": "application/json"})
        answer = self._send(request, "token request")
        token = answer.get("id_token")
        if not isinstance(token, str):
            raise TokenRejected("the token endpoint gave no ID token")
        return token

    def verified_claims(self, id_token: str) -> dict[str, Any]:
        """The claims of an ID token whose RS256 signature verifies against the JWKS."""
        if self._keys is None:
            self._keys = self._get(str(self.discovery()["jwks_uri"]), "key set")
        try:
            return verify_rs256(id_token, self._keys)
        except TokenRejected as exc:
            if "unknown kid" not in exc.message:
                raise
        # A key id not seen yet: the provider may have rotated its keys since.
        self._keys = self._get(str(self.discovery()["jwks_uri"]), "key set")
        return verify_rs256(id_token, self._keys)

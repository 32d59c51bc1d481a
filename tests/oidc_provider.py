"""A small OpenID Connect provider on loopback for the sign-in tests.

It serves discovery, its JWKS (an RSA key made with ``cryptography``), an authorize
endpoint that redirects straight back with a code (the person is whoever the test
says), and a token endpoint that checks the client, the redirect and the PKCE
verifier before it issues an RS256 ID token. What the token says is set by the test
(``claims``), and so are the ways it can be wrong (``audience``, ``expires_in``,
``nonce``, signed with a key it does not publish, an unknown ``kid``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CLIENT_ID = "derbes-console"
CLIENT_SECRET = "s3cret-of-the-client"
REDIRECT = "https://testserver/console/sign-in/oidc/callback"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk_of(key: rsa.RSAPrivateKey, kid: str) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
            "n": b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": b64(numbers.e.to_bytes(3, "big"))}


def sign(key: rsa.RSAPrivateKey, header: dict[str, Any], payload: dict[str, Any]) -> str:
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(payload).encode())
    signature = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{b64(signature)}"


@dataclass
class Provider:
    """The provider's state; a test changes these between sign-ins."""

    issuer: str = ""
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    kid: str = "k1"
    claims: dict[str, Any] = field(default_factory=dict)
    audience: str = CLIENT_ID
    expires_in: int = 300
    issued_offset: int = 0
    nonce: str | None = None  # None: the nonce of the authorization request
    signing_key: rsa.RSAPrivateKey | None = None  # another key than the published one
    token_kid: str | None = None  # another kid than the published one
    clock: float | None = None  # the provider's "now" (the tests' fixed clock)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    token_requests: int = 0

    def id_token(self, request: dict[str, str]) -> str:
        now = int(self.clock if self.clock is not None else time.time())
        payload = {"iss": self.issuer, "aud": self.audience, "iat": now + self.issued_offset,
                   "exp": now + self.expires_in,
                   "nonce": self.nonce if self.nonce is not None else request["nonce"],
                   **self.claims}
        return sign(self.signing_key or self.key,
                    {"alg": "RS256", "typ": "JWT", "kid": self.token_kid or self.kid}, payload)


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _json(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/.well-known/openid-configuration":
                self._json(200, {"issuer": provider.issuer,
                                 "authorization_endpoint": provider.issuer + "/authorize",
                                 "token_endpoint": provider.issuer + "/token",
                                 "jwks_uri": provider.issuer + "/jwks",
                                 "id_token_signing_alg_values_supported": ["RS256"]})
            elif url.path == "/jwks":
                self._json(200, {"keys": [jwk_of(provider.key, provider.kid)]})
            elif url.path == "/authorize":
                self._authorize(dict(urllib.parse.parse_qsl(url.query)))
            else:
                self._json(404, {"error": "not_found"})

        def _authorize(self, query: dict[str, str]) -> None:
            good = (query.get("client_id") == CLIENT_ID
                    and query.get("redirect_uri") == REDIRECT
                    and query.get("response_type") == "code"
                    and query.get("code_challenge_method") == "S256"
                    and "openid" in query.get("scope", "").split())
            if not good:
                self._json(400, {"error": "invalid_request"})
                return
            code = secrets.token_urlsafe(16)
            provider.codes[code] = query
            back = urllib.parse.urlencode({"code": code, "state": query["state"]})
            self.send_response(302)
            self.send_header("Location", f"{query['redirect_uri']}?{back}")
            self.end_headers()

        def do_POST(self) -> None:
            if self.path != "/token":
                self._json(404, {"error": "not_found"})
                return
            provider.token_requests += 1
            length = int(self.headers.get("Content-Length", "0"))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            asked = provider.codes.pop(form.get("code", ""), None)
            if (asked is None or form.get("client_id") != CLIENT_ID
                    or form.get("client_secret") != CLIENT_SECRET
                    or form.get("redirect_uri") != asked["redirect_uri"]):
                self._json(400, {"error": "invalid_grant"})
                return
            verifier = form.get("code_verifier", "")
            challenge = b64(hashlib.sha256(verifier.encode()).digest())
            if challenge != asked["code_challenge"]:
                self._json(400, {"error": "invalid_grant", "error_description": "PKCE"})
                return
            self._json(200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                             "id_token": provider.id_token(asked)})

    return Handler


@contextmanager
def running_provider() -> Iterator[Provider]:
    """A provider listening on 127.0.0.1 (a free port) until the block ends."""
    provider = Provider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

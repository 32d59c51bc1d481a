"""ID tokens: RS256 verification (a tampered token never verifies) and the claim checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derbes.staff.adapters.oidc import verify_rs256
from derbes.staff.model.oidc import TokenRejected, b64url_decode, b64url_encode, claims_problem
from tests.oidc_provider import jwk_of, new_key, sign

KEY = new_key()
JWKS = {"keys": [jwk_of(KEY, "k1")]}
NOW = datetime(2026, 12, 12, 9, 0, tzinfo=UTC)
CLAIMS = {"iss": "https://idp.example", "aud": "derbes", "sub": "u1", "nonce": "n1",
          "iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 300}
TOKEN = sign(KEY, {"alg": "RS256", "kid": "k1"}, CLAIMS)


def test_a_signed_token_verifies() -> None:
    assert verify_rs256(TOKEN, JWKS) == CLAIMS


@settings(max_examples=60, deadline=None)
@given(position=st.integers(min_value=0), replacement=st.characters(
    whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=127))
def test_a_token_changed_anywhere_never_verifies(position: int, replacement: str) -> None:
    at = position % len(TOKEN)
    if TOKEN[at] == "." or TOKEN[at] == replacement:
        return
    changed = TOKEN[:at] + replacement + TOKEN[at + 1:]
    try:
        claims = verify_rs256(changed, JWKS)
    except TokenRejected:
        return
    # base64url's last character may carry unused bits: the decoded token is the same.
    assert claims == CLAIMS and b64url_decode(changed.split(".")[2]) == b64url_decode(
        TOKEN.split(".")[2])


@settings(max_examples=40, deadline=None)
@given(payload=st.dictionaries(st.sampled_from(["iss", "aud", "sub", "nonce", "exp", "roles"]),
                               st.one_of(st.text(max_size=20), st.integers())))
def test_a_payload_swapped_under_a_valid_signature_never_verifies(
        payload: dict[str, object]) -> None:
    head, body, signature = TOKEN.split(".")
    forged = b64url_encode(json.dumps({**CLAIMS, **payload}).encode())
    if forged == body:
        return
    with pytest.raises(TokenRejected):
        verify_rs256(f"{head}.{forged}.{signature}", JWKS)


@pytest.mark.parametrize("header", [{"alg": "none", "kid": "k1"}, {"alg": "HS256", "kid": "k1"},
                                    {"alg": "RS256", "kid": "k2"}, {"alg": "RS256"}])
def test_other_algorithms_and_unknown_keys_are_refused(header: dict[str, str]) -> None:
    head = b64url_encode(json.dumps(header).encode())
    _, body, signature = TOKEN.split(".")
    with pytest.raises(TokenRejected):
        verify_rs256(f"{head}.{body}.{signature}", JWKS)


@pytest.mark.parametrize(("change", "words"), [
    ({"iss": "https://evil.example"}, "iss"), ({"aud": "other"}, "aud"),
    ({"aud": ["derbes", "other"]}, "azp"), ({"exp": int(NOW.timestamp()) - 61}, "exp"),
    ({"iat": int(NOW.timestamp()) + 61}, "iat"), ({"nonce": "n2"}, "nonce"),
    ({"sub": ""}, "sub"), ({"exp": "tomorrow"}, "exp or iat"),
])
def test_claims_are_checked_with_the_leeway(change: dict[str, object], words: str) -> None:
    problem = claims_problem({**CLAIMS, **change}, issuer="https://idp.example",
                             client_id="derbes", nonce="n1", now=NOW,
                             leeway=timedelta(seconds=60))
    assert problem is not None and words in problem
    assert claims_problem({**CLAIMS, "exp": int(NOW.timestamp()) - 59},
                          issuer="https://idp.example", client_id="derbes", nonce="n1",
                          now=NOW, leeway=timedelta(seconds=60)) is None

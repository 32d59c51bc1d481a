"""Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP), written out here.

A code is HOTP(K, T) with T the number of whole steps since the Unix epoch
(RFC 6238 §4.2). The verifier accepts the step of now and ``drift`` steps on
either side (§5.2), and refuses a step at or before the last one accepted, so
a code seen once (over a shoulder, in a proxy log) never works again (§5.2:
"the verifier MUST NOT accept the second attempt of the same OTP").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

from derbes.errors import InputError

__all__ = [
    "TotpSettings",
    "accepted_step",
    "b32_secret",
    "hotp",
    "parse_code",
    "provisioning_uri",
    "step_of",
    "totp",
]

_ALGORITHMS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}


@dataclass(frozen=True)
class TotpSettings:
    digits: int
    step_seconds: int
    algorithm: str
    drift_steps: int
    secret_bytes: int
    issuer: str

    def __post_init__(self) -> None:
        if self.algorithm not in _ALGORITHMS:
            raise ValueError(f"TOTP algorithm is one of {', '.join(_ALGORITHMS)}")
        if not 6 <= self.digits <= 10:  # RFC 4226 §5.3: at least 6 digits
            raise ValueError("a TOTP code has 6 to 10 digits")
        if self.step_seconds < 1 or self.drift_steps < 0:
            raise ValueError("the TOTP step is positive and the drift not negative")


def hotp(secret: bytes, counter: int, digits: int, algorithm: str = "SHA1") -> str:
    """RFC 4226 §5.3: HMAC of the 8-byte counter, dynamic truncation, modulo 10^digits."""
    mac = hmac.new(secret, counter.to_bytes(8, "big"), _ALGORITHMS[algorithm]).digest()
    offset = mac[-1] & 0x0F
    binary = int.from_bytes(mac[offset:offset + 4], "big") & 0x7FFFFFFF
    return str(binary % 10 ** digits).zfill(digits)


def step_of(at: datetime, step_seconds: int) -> int:
    """T of RFC 6238 §4.2 (T0 = the Unix epoch)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a TOTP step is counted from an aware instant")
    return int(at.timestamp()) // step_seconds


def totp(secret: bytes, at: datetime, settings: TotpSettings) -> str:
    return hotp(secret, step_of(at, settings.step_seconds), settings.digits, settings.algorithm)


_CODE = re.compile(r"^[0-9]+$")


def parse_code(text: str, digits: int) -> str:
    """A code as typed: spaces and dashes between digits are dropped (``123 456``)."""
    cleaned = "".join(text.split()).replace("-", "")
    if len(cleaned) != digits or not _CODE.match(cleaned) or not cleaned.isascii():
        raise InputError(f"the one-time code is {digits} digits", field="totp")
    return cleaned


def accepted_step(secret: bytes, code: str, at: datetime, settings: TotpSettings,
                  last_step: int | None) -> int | None:
    """The step ``code`` belongs to, if it is valid at ``at`` and later than ``last_step``.

    Every candidate step is computed and compared in constant time, so the
    answer takes as long whichever step (if any) matches.
    """
    now = step_of(at, settings.step_seconds)
    found: int | None = None
    # No step before the epoch (the counter is unsigned, RFC 4226 §5.1).
    for step in range(max(0, now - settings.drift_steps), now + settings.drift_steps + 1):
        expected = hotp(secret, step, settings.digits, settings.algorithm)
        if hmac.compare_digest(expected, code) and found is None:
            found = step
    if found is None or (last_step is not None and found <= last_step):
        return None
    return found


def b32_secret(secret: bytes) -> str:
    """The secret as authenticator apps take it: base32 without padding."""
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def provisioning_uri(secret: bytes, account: str, settings: TotpSettings) -> str:
    """``otpauth://totp/...`` (the key-URI format authenticator apps read from a QR code)."""
    label = quote(f"{settings.issuer}:{account}", safe="")
    query = urlencode({"secret": b32_secret(secret), "issuer": settings.issuer,
                       "algorithm": settings.algorithm, "digits": settings.digits,
                       "period": settings.step_seconds})
    return f"otpauth://totp/{label}?{query}"

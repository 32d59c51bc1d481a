"""The cabinet's pure rules: its rule table, subject sessions, uploaded documents.

Standard library only: what a rule needs (a time, the bytes of an upload) comes in as
an argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from derbes.errors import ConfigurationError, InputError
from derbes.platform.sessions import SessionRules, expired

__all__ = ["CabinetRules", "SessionEnd", "SessionRules", "Stage", "StoredDocument",
           "SubjectSession", "UploadRules", "check_upload", "parse_rules", "session_end",
           "sniff"]


class Stage(StrEnum):
    CODE = "code"  # the phone was typed; the code is awaited
    LINK = "link"  # the e-mail was typed; the link sent to it is awaited
    SIGNED_IN = "signed_in"


class SessionEnd(StrEnum):
    SIGNED_OUT = "signed_out"
    IDLE = "idle"
    ABSOLUTE = "absolute"
    VERIFIED = "verified"  # a code stage that became a signed-in session (a new token)


@dataclass(frozen=True)
class UploadRules:
    max_bytes: int
    types: tuple[str, ...]
    citation: str


@dataclass(frozen=True)
class CabinetRules:
    sessions: SessionRules
    uploads: UploadRules
    request_types: tuple[str, ...]
    requests_citation: str


@dataclass(frozen=True)
class SubjectSession:
    """A visit to the cabinet: only the SHA-256 of its token is stored. At the code stage
    ``binding`` names what the code was issued for (the subject, or a keyed digest of a
    phone derbes does not know) and ``subject_id`` is None for an unknown phone."""

    id: str
    token_sha256: str = field(repr=False)
    operator_id: str
    stage: Stage
    binding: str
    created_at: datetime
    last_seen_at: datetime
    subject_id: str | None = None
    otp_reference: str | None = None
    language: str = "ru"
    ended_at: datetime | None = None
    end_reason: str | None = None


@dataclass(frozen=True)
class StoredDocument:
    """A document a subject uploaded, sealed under its own key (never in clear on disk)."""

    id: str
    operator_id: str
    subject_id: str
    media_type: str
    size: int
    sha256: str
    key_id: str
    sealed: bytes = field(repr=False)
    created_at: datetime


def _number(raw: Mapping[str, Any], name: str, where: str) -> int:
    value = raw.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigurationError(f"cabinet.yaml: {where}.{name} must be a positive integer")
    return value


def _text(raw: Mapping[str, Any], name: str, where: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"cabinet.yaml: {where}.{name} is required")
    return " ".join(value.split())


def _section(raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = raw.get(name)
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"cabinet.yaml: the section {name} is missing")
    return value


def _names(raw: Mapping[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = raw.get(name)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigurationError(f"cabinet.yaml: {where}.{name} must be a list of names")
    return tuple(value)


def parse_rules(raw: Any, known_types: tuple[str, ...]) -> CabinetRules:
    """The cabinet's table from its YAML; a request type derbes does not know is refused."""
    if not isinstance(raw, Mapping):
        raise ConfigurationError("cabinet.yaml: not a mapping")
    s, u, r = (_section(raw, n) for n in ("sessions", "uploads", "requests"))
    sessions = SessionRules(timedelta(minutes=_number(s, "idle_minutes", "sessions")),
                            timedelta(minutes=_number(s, "absolute_minutes", "sessions")),
                            timedelta(seconds=_number(s, "touch_every_seconds", "sessions")),
                            _text(s, "citation", "sessions"))
    uploads = UploadRules(_number(u, "max_bytes", "uploads"), _names(u, "types", "uploads"),
                          _text(u, "citation", "uploads"))
    unknown = set(uploads.types) - set(_MAGIC)
    if unknown:
        raise ConfigurationError(f"cabinet.yaml: uploads.types: cannot recognise "
                                 f"{', '.join(sorted(unknown))}")
    types = _names(r, "types", "requests")
    strange = set(types) - set(known_types)
    if strange:
        raise ConfigurationError(f"cabinet.yaml: requests.types: unknown "
                                 f"{', '.join(sorted(strange))}")
    return CabinetRules(sessions, uploads, types, _text(r, "citation", "requests"))


def session_end(rules: SessionRules, created: datetime, last_seen: datetime,
                now: datetime) -> SessionEnd | None:
    """Why a signed-in session is over at ``now`` (None: it is not)."""
    over = expired(rules, created, last_seen, now)
    return None if over is None else SessionEnd(over)


# The first bytes that tell a file's type (ISO 32000-1 §7.5.2, JFIF/ISO 10918-1 SOI
# marker, PNG specification §5.2).
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


def sniff(content: bytes) -> str | None:
    """The media type the content's first bytes show (None: none derbes knows)."""
    for media_type, starts in _MAGIC.items():
        if any(content.startswith(s) for s in starts):
            return media_type
    return None


def check_upload(rules: UploadRules, content: bytes) -> str:
    """The media type of an acceptable upload; ``InputError`` (field ``document``) if it
    is empty, too large or of a type not taken (told by its bytes, not its name)."""
    if not content:
        raise InputError("attach the document that confirms the new value", field="document")
    if len(content) > rules.max_bytes:
        raise InputError(f"the document is larger than {rules.max_bytes // (1024 * 1024)} MB",
                         field="document")
    found = sniff(content)
    if found is None or found not in rules.types:
        raise InputError("the document must be a PDF, JPEG or PNG file", field="document")
    return found

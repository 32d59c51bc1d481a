"""Staff people and their sessions, as stored."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from derbes.errors import InputError

__all__ = ["Person", "StaffSession", "actor_of_person", "parse_login", "parse_name"]

# A login is an e-mail address or a plain user name: letters, digits and . _ - @ +.
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._+@-]{1,99}$")


def parse_login(text: str) -> str:
    """A login as given (``A.Nurlanova@kassa24.kz``), in the one form stored (lower case)."""
    login = text.strip().lower()
    if not _LOGIN.match(login):
        raise InputError("a login is 2 to 100 Latin letters, digits and . _ + @ - (an e-mail "
                         "address or a user name)", field="login")
    return login


def parse_name(text: str) -> str:
    """A person's name as it goes into the list of persons with access."""
    name = " ".join(text.split())
    if not name:
        raise InputError("the name must not be empty", field="name")
    if len(name) > 200:
        raise InputError("the name is longer than 200 characters", field="name")
    if any(not c.isprintable() for c in name):
        raise InputError("the name holds a control character", field="name")
    return name


def actor_of_person(person_id: str) -> str:
    """How the audit log names a staff person (by id: the name is in the staff list)."""
    return f"staff:{person_id}"


@dataclass(frozen=True)
class Person:
    id: str
    login: str
    name: str
    created_at: datetime
    created_by: str
    password_hash: str | None = field(default=None, repr=False)
    totp_sealed: bytes | None = field(default=None, repr=False)
    totp_last_step: int | None = None
    disabled_at: datetime | None = None
    disabled_by: str | None = None
    language: str | None = None  # the console's language the person chose

    @property
    def actor(self) -> str:
        return actor_of_person(self.id)

    @property
    def has_totp(self) -> bool:
        return self.totp_sealed is not None


@dataclass(frozen=True)
class StaffSession:
    """A signed-in session: only the SHA-256 of its token is stored."""

    id: str
    token_sha256: str = field(repr=False)
    person_id: str
    created_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None = None
    end_reason: str | None = None

"""What the staff services need from the outside world, owned by the staff slice.

``uow.staff`` keeps people and their grants, ``uow.staff_sessions`` the
signed-in sessions (only token digests); ``staff/adapters/store.py`` implements
both on SQL, ``derbes.testing.staff`` in memory. A :class:`PasswordHasher`
hashes and checks passwords (``staff/adapters/passwords.py``: Argon2id).
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any, Protocol

from derbes.staff.model.people import Person, StaffSession
from derbes.staff.model.roles import Grant

__all__ = ["OidcProvider", "PasswordHasher", "SessionRepository", "StaffRepository"]


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str:
        """A salted hash in a self-describing text form (algorithm and cost included)."""
        ...

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored``; with None, spends the same effort and
        answers False (so an unknown login takes as long as a wrong password)."""
        ...

    def needs_rehash(self, stored: str) -> bool:
        """Whether ``stored`` was made with other costs than the ones in force."""
        ...


class StaffRepository(Protocol):
    def add(self, person: Person) -> None:
        """Store a new person; ``ConflictError`` if the login is taken."""
        ...

    def get(self, person_id: str) -> Person | None: ...

    def by_login(self, login: str) -> Person | None: ...

    def people(self) -> builtins.list[Person]:
        """Every person, disabled ones too, by login."""
        ...

    def by_subject(self, issuer: str, subject: str) -> Person | None:
        """The person an OpenID Connect provider knows as ``subject``."""
        ...

    def link_subject(self, issuer: str, subject: str, person_id: str, at: datetime) -> None:
        """Record that the provider's ``subject`` is this person; ``ConflictError`` if
        the pair already names someone."""
        ...

    def set_password(self, person_id: str, password_hash: str) -> None: ...

    def set_language(self, person_id: str, language: str) -> None:
        """Remember the console's language the person chose."""
        ...

    def set_totp(self, person_id: str, sealed: bytes | None) -> None:
        """Store a sealed TOTP secret (None: remove it); forgets the last step used."""
        ...

    def use_totp_step(self, person_id: str, step: int) -> bool:
        """Record ``step`` as used unless a step at or after it already was (False then)."""
        ...

    def disable(self, person_id: str, at: datetime, by: str) -> None: ...

    def add_grant(self, person_id: str, operator_id: str, role: str, at: datetime,
                  by: str) -> Grant:
        """A new active grant; the existing active one if the role is already held."""
        ...

    def grants(self, *, person_id: str | None = None, operator_id: str | None = None,
               active_only: bool = False) -> builtins.list[Grant]:
        """Grants (of a person, at an operator), oldest first."""
        ...

    def revoke_grants(self, person_id: str, at: datetime, by: str, *,
                      operator_id: str | None = None, role: str | None = None
                      ) -> builtins.list[Grant]:
        """End the person's active grants (at ``operator_id``, of ``role``); the ended ones."""
        ...


class SessionRepository(Protocol):
    def add(self, session: StaffSession) -> None: ...

    def by_token(self, token_sha256: str) -> StaffSession | None: ...

    def touch(self, session_id: str, at: datetime) -> None: ...

    def end(self, session_id: str, at: datetime, reason: str) -> None:
        """Mark one open session ended (kept for the record)."""
        ...

    def end_all(self, person_id: str, at: datetime, reason: str) -> int:
        """End every open session of the person; how many there were."""
        ...


class OidcProvider(Protocol):
    """The operator's OpenID Connect provider (``staff/adapters/oidc.py`` over HTTP).

    Every refusal is a ``TokenRejected`` (``staff/model/oidc.py``) saying why.
    """

    name: str  # shown on the sign-in button
    issuer: str
    client_id: str

    def authorization_url(self, state: str, nonce: str, challenge: str) -> str:
        """Where the browser is sent to sign in (code flow, PKCE S256)."""
        ...

    def id_token(self, code: str, verifier: str) -> str:
        """The ID token the provider gives for an authorization code."""
        ...

    def verified_claims(self, id_token: str) -> dict[str, Any]:
        """The ID token's claims once its signature verifies with the provider's keys
        (the claims themselves are not checked here)."""
        ...

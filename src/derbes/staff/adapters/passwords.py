"""Passwords hashed with Argon2id (RFC 9106), the costs from ``data/staff.yaml``."""

from __future__ import annotations

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from derbes.staff.model.policy import PasswordRules

__all__ = ["Argon2Hasher"]


class Argon2Hasher:
    """The :class:`~derbes.staff.ports.PasswordHasher` of derbes."""

    def __init__(self, rules: PasswordRules) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=rules.argon2_time_cost, memory_cost=rules.argon2_memory_kib,
            parallelism=rules.argon2_parallelism, type=argon2.Type.ID)
        # Checked against when a login is unknown, so that answer costs a hash too.
        self._decoy = self._hasher.hash("derbes: no such person")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        try:
            return bool(self._hasher.verify(stored or self._decoy, password)) and bool(stored)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        try:
            return bool(self._hasher.check_needs_rehash(stored))
        except InvalidHashError:
            return True

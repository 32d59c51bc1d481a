"""What the vault's services need from the outside world, owned by the vault.

The key store (``adapters/keystore.SqlKeyStore`` implements it) keeps one data
key per subject, wrapped by the KEK, outside the data database; destroying a
subject's key is crypto-shredding.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

__all__ = ["KeyStore"]


class KeyStore(Protocol):
    def create_keys(self, subject_ids: Sequence[str]) -> dict[str, bytes]:
        """New 32-byte data keys, wrapped and stored in one transaction; returns them in clear."""
        ...

    def keys_for(self, subject_ids: Sequence[str]) -> dict[str, bytes]:
        """Unwrapped current data keys; destroyed or unknown subject ids are absent."""
        ...

    def candidate_keys(self, subject_ids: Sequence[str]) -> dict[str, tuple[bytes, ...]]:
        """The keys a subject's values may be sealed under: the current key, and the
        next one while a key swap is pending. AES-GCM tells which one opens a value."""
        ...

    def replace_key(self, subject_id: str) -> tuple[bytes, bytes]:
        """(old, new): the new key is stored and the old one destroyed in one step.

        Not crash-safe together with the data database: services re-seal
        through ``prepare_swaps`` / ``finish_swaps`` (``vault/service/keyswap``)."""
        ...

    def prepare_swaps(self, subject_ids: Sequence[str], swap_id: str
                      ) -> dict[str, tuple[bytes, bytes]]:
        """Store a new key beside each subject's current one, tagged ``swap_id``;
        (current, new) per subject. Subjects without a key are absent.
        ``ConflictError`` if a subject has another swap pending."""
        ...

    def finish_swaps(self, swap_id: str, *, commit: bool) -> int:
        """``commit``: the new keys replace the current ones, which are destroyed.
        Otherwise the new keys are dropped. Returns the number of subjects."""
        ...

    def pending_swaps(self, subject_ids: Sequence[str] | None = None) -> list[str]:
        """Swap ids prepared and not yet finished (of these subjects, if given)."""
        ...

    def destroy(self, subject_ids: Sequence[str]) -> int:
        """Delete the wrapped keys (crypto-shredding); returns how many existed."""
        ...

    def index_key(self) -> bytes:
        """The blind-index HMAC key (created on first use)."""
        ...

    def audit_key(self) -> bytes:
        """The audit-chain HMAC key (created on first use)."""
        ...

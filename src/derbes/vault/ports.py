"""What the vault's services need from the outside world, owned by the vault.

The key store (``adapters/keystore.SqlKeyStore`` implements it) keeps one data
key per subject, wrapped by the KEK (``KeyEncryptionKey``: a file, an
environment variable, Vault Transit) through a key epoch (``EpochKeyring``),
outside the data database; destroying a subject's key is crypto-shredding.
The vault repository (``uow.vault``) keeps what the services give it, as the
records below: sealed bytes, blind-index digests, card tokens, never a key or
a plaintext. The key-swap journal (``uow.key_swaps``) records partial
destructions in the data database. In-memory fakes: ``derbes.testing.vault``.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from derbes.vault.model.records import SubjectRecord

if TYPE_CHECKING:
    from derbes.platform.migrate import SchemaState

__all__ = [
    "ABORTED",
    "COMMITTED",
    "BlockedSubject",
    "CardToken",
    "CategoryBlock",
    "EpochInfo",
    "EpochKey",
    "EpochKeyStore",
    "EpochKeyring",
    "EpochState",
    "EpochStep",
    "FileKeyEncryptionKey",
    "KekCount",
    "KeyEncryptionKey",
    "KeyFiles",
    "KeyStore",
    "KeySwapJournal",
    "Lookup",
    "LookupRow",
    "RotatableKeyStore",
    "SealedValue",
    "SubjectBatch",
    "SubjectRecord",
    "ValueRow",
    "VaultRepository",
    "blocked_list",
]


# ------------------------------------------------------------------ records

@dataclass(frozen=True)
class SealedValue:
    """One stored value: ciphertext plus its provenance (which is not PD)."""

    subject_id: str
    category: str
    seq: int
    sealed: bytes = field(repr=False)
    value_type: str
    source: str
    purposes: tuple[str, ...]
    method: str
    collected_at: datetime
    updated_at: datetime

    @property
    def key(self) -> tuple[str, str, int]:
        return self.subject_id, self.category, self.seq


@dataclass(frozen=True)
class Lookup:
    """A blind-index entry: (operator, kind, HMAC digest) -> subject."""

    operator_id: str
    kind: str
    digest: str
    subject_id: str


@dataclass(frozen=True)
class CategoryBlock:
    subject_id: str
    category: str
    reason: str
    blocked_at: datetime
    unblocked_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True)
class BlockedSubject:
    """A subject under a block: the whole subject (``categories`` empty) or some of its
    categories, since the earliest block still in force."""

    subject_id: str
    since: datetime
    categories: tuple[str, ...] = ()


def blocked_list(whole: Iterable[tuple[str, datetime]],
                 parts: Iterable[tuple[str, datetime, str]], limit: int
                 ) -> builtins.list[BlockedSubject]:
    """Whole-subject blocks and category blocks, one line per subject, the longest
    blocked first (what every repository answers ``blocked`` with). A subject blocked
    whole is listed as such, whatever categories are also blocked."""
    since = dict(whole)
    entire = set(since)
    categories: dict[str, set[str]] = {}
    for subject_id, at, category in parts:
        since[subject_id] = min(at, since.get(subject_id, at))
        if subject_id not in entire:
            categories.setdefault(subject_id, set()).add(category)
    lines = [BlockedSubject(sid, at, tuple(sorted(categories.get(sid, ()))))
             for sid, at in since.items()]
    return sorted(lines, key=lambda b: (b.since, b.subject_id))[:limit]


@dataclass(frozen=True)
class CardToken:
    token: str
    subject_id: str
    bin6: str
    last4: str
    brand: str
    created_at: datetime


# One new value of a batch, as a plain tuple (a batch holds millions of them):
# (subject_id, category, seq, sealed, value_type, source, purposes, method,
# collected_at). Its updated_at is the batch's created_at.
ValueRow = tuple[str, str, int, bytes, str, str, tuple[str, ...], str, datetime]

# One blind-index entry of a batch: (kind, digest, subject_id).
LookupRow = tuple[str, str, str]


@dataclass(frozen=True)
class ImportMark:
    """Batch ``batch`` of file import ``import_id`` (a digest, no PD): stored with its rows."""

    import_id: str
    batch: int
    rejected: int


@dataclass(frozen=True)
class SubjectBatch:
    """New subjects of one operator, created at one instant, with everything they hold."""

    operator_id: str
    created_at: datetime
    subject_ids: Sequence[str]
    values: Sequence[ValueRow] = field(repr=False)
    lookups: Sequence[LookupRow] = field(repr=False)
    cards: Sequence[CardToken] = ()
    mark: ImportMark | None = None

    def records(self) -> builtins.list[SubjectRecord]:
        return [SubjectRecord(sid, self.operator_id, self.created_at) for sid in self.subject_ids]

    def sealed_values(self) -> builtins.list[SealedValue]:
        at = self.created_at
        return [SealedValue(sid, category, seq, sealed, value_type, source, purposes, method,
                            collected_at, at)
                for sid, category, seq, sealed, value_type, source, purposes, method,
                collected_at in self.values]

    def lookup_records(self) -> builtins.list[Lookup]:
        return [Lookup(self.operator_id, kind, digest, sid)
                for kind, digest, sid in self.lookups]


# ------------------------------------------------------------------ vault repository

class VaultRepository(Protocol):
    def add_many(
        self,
        subjects: Sequence[SubjectRecord],
        values: Sequence[SealedValue],
        lookups: Sequence[Lookup] = (),
        cards: Sequence[CardToken] = (),
    ) -> None:
        """Insert new subjects with their values, look-ups and cards (batched)."""
        ...

    def add_batch(self, batch: SubjectBatch) -> None:
        """Insert a batch of new subjects: what ``add_many`` does, for bulk ingest.

        A look-up already registered (for another subject of the operator)
        raises ``ConflictError`` and the transaction stays usable. The batch's
        import mark, if any, is written with the rows.
        """
        ...

    def taken_lookups(self, operator_id: str, pairs: Collection[tuple[str, str]]
                      ) -> set[tuple[str, str]]:
        """Which of these (kind, digest) pairs the operator's subjects already hold."""
        ...

    def imported_batches(self, import_id: str) -> set[int]:
        """The batches of file import ``import_id`` already stored."""
        ...

    def get(self, subject_id: str, *, for_update: bool = False) -> SubjectRecord | None:
        """The subject (tombstones included); ``for_update`` locks its row (PostgreSQL)."""
        ...

    def values(
        self, subject_id: str, categories: Collection[str] | None = None
    ) -> builtins.list[SealedValue]:
        """The subject's values (of ``categories`` if given), by category and seq."""
        ...

    def put_values(self, values: Sequence[SealedValue]) -> None:
        """Insert values, replacing any stored under the same (subject, category, seq)."""
        ...

    def get_many(self, subject_ids: Collection[str]) -> dict[str, SubjectRecord]:
        """The subjects of these ids that exist (tombstones included), in one read."""
        ...

    def values_of_many(self, subject_ids: Collection[str],
                       categories: Collection[str] | None = None,
                       ) -> dict[str, builtins.list[SealedValue]]:
        """Per subject its values (of ``categories`` if given), by category and seq, in
        one read; a subject without any is left out."""
        ...

    def delete_values(
        self, subject_id: str, categories: Collection[str] | None = None,
        seqs: Collection[tuple[str, int]] | None = None,
    ) -> int:
        """Delete the subject's values: all, of ``categories``, or the (category, seq) given."""
        ...

    def add_lookups(self, lookups: Sequence[Lookup]) -> None:
        """Add blind-index entries; ``ConflictError`` if one belongs to another subject."""
        ...

    def delete_lookups(
        self, subject_id: str, keys: Collection[tuple[str, str]] | None = None
    ) -> int:
        """Delete the subject's look-ups: all, or the (kind, digest) pairs given."""
        ...

    def find(self, kind: str, digest: str, operator_id: str | None = None) -> builtins.list[Lookup]:
        """Look-up entries for a digest, across operators unless one is given."""
        ...

    def lookups(self, subject_id: str) -> builtins.list[Lookup]:
        """The subject's blind-index entries."""
        ...

    def cards(self, subject_id: str) -> builtins.list[CardToken]: ...

    def delete_cards(self, subject_id: str, tokens: Collection[str] | None = None) -> int: ...

    def set_block(self, subject_id: str, blocked_at: datetime | None, reason: str | None) -> None:
        """Block (or with None, unblock) the whole subject."""
        ...

    def add_category_blocks(self, blocks: Sequence[CategoryBlock]) -> None: ...

    def category_blocks(
        self, subject_id: str, *, active_only: bool = True
    ) -> builtins.list[CategoryBlock]: ...

    def end_category_blocks(
        self, subject_id: str, categories: Collection[str] | None, at: datetime
    ) -> int:
        """Lift active blocks of ``categories`` (all when None); how many were lifted."""
        ...

    def delete_category_blocks(self, subject_id: str) -> int: ...

    def blocked(self, operator_id: str, limit: int) -> builtins.list[BlockedSubject]:
        """The operator's live subjects under a block (whole or of categories), the
        longest blocked first, at most ``limit``."""
        ...

    def mark_destroyed(self, subject_id: str, at: datetime) -> None:
        """Turn the subject's row into a tombstone: destroyed_at set, block cleared."""
        ...

    def count_values(self) -> int:
        """How many values are stored (all subjects); for tests and reports."""
        ...


# ------------------------------------------------------------------ key-swap journal

COMMITTED = "committed"
ABORTED = "aborted"


class KeySwapJournal(Protocol):
    def commit(self, swap_id: str, subjects: int, at: datetime) -> None:
        """Record the swap committed (inside the re-sealing transaction).
        ``ConflictError`` if it was already settled as aborted."""
        ...

    def claim_aborted(self, swap_id: str, at: datetime) -> str:
        """Record the swap aborted unless it is recorded already; the state it has now."""
        ...

    def states(self, swap_ids: Collection[str]) -> dict[str, str]: ...

    def swap_ids(self) -> builtins.list[str]: ...

    def forget(self, swap_ids: Collection[str]) -> None: ...


# ------------------------------------------------------------------ keys

class KeyEncryptionKey(Protocol):
    """Wraps and unwraps data keys; ``kek_id`` names the key without revealing it."""

    @property
    def kek_id(self) -> str: ...

    def wrap(self, data_key: bytes, aad: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes, aad: bytes) -> bytes: ...


class EpochKey(KeyEncryptionKey, Protocol):
    """The key of one key epoch, in the shape of a KEK (``kek_id`` is ``epoch:N``)."""

    @property
    def epoch(self) -> int: ...


class EpochKeyring(Protocol):
    """Where epoch keys live: created, read, re-wrapped with a new KEK, destroyed."""

    @property
    def location(self) -> str: ...

    def cipher(self, epoch: int) -> EpochKey:
        """The epoch's key; ``ConfigurationError`` if it does not exist (destroyed or lost)."""
        ...

    def create(self, epoch: int) -> EpochKey:
        """Create the epoch's key, or load it when it already exists (created by another
        process, or by a run that died before recording it)."""
        ...

    def destroy(self, epoch: int) -> bool:
        """Destroy the epoch's key for good; False if there was none."""
        ...

    def epochs(self) -> list[int]:
        """The epochs whose keys exist, in order."""
        ...

    def kek_ids(self) -> dict[int, str]:
        """The KEK that wraps each epoch key (read from the files; nothing is unwrapped)."""
        ...

    def rewrap(self, old: KeyEncryptionKey, new: KeyEncryptionKey) -> Iterator[int]:
        """Re-wrap every epoch key not yet wrapped by ``new``; yields each epoch done."""
        ...


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


class EpochState:
    OPEN = "open"  # new keys are wrapped by it
    CLOSING = "closing"  # its keys are being re-wrapped under the next epoch
    CLOSED = "closed"  # no key is wrapped by it; its key is (being) destroyed


@dataclass(frozen=True)
class KekCount:
    """How many keys of a kind (``data``, ``system`` or ``epoch``) one KEK wraps."""

    kind: str
    kek_id: str
    keys: int


class RotatableKeyStore(KeyStore, Protocol):
    """A key store the ``derbes keys`` commands can inspect, initialise and rotate."""

    @property
    def kek(self) -> KeyEncryptionKey: ...

    def ensure_system_keys(self) -> tuple[str, ...]:
        """Create the missing system keys; returns the names created."""
        ...

    def kek_counts(self) -> list[KekCount]:
        """Keys per (kind, kek_id); reads no key material."""
        ...

    def rewrap(
        self, old: KeyEncryptionKey, new: KeyEncryptionKey, *, batch_size: int = 1000
    ) -> Iterator[int]:
        """Re-wrap every key the KEK wraps and that is not yet wrapped by ``new``
        (system keys, epoch keys, data keys made without epochs); yields the count
        of each committed batch.

        Keys already wrapped by ``new`` (same ``kek_id``) are skipped, so an
        interrupted rotation resumes where it stopped.
        """
        ...


@dataclass(frozen=True)
class EpochInfo:
    epoch: int
    state: str
    opened_at: datetime
    closing_at: datetime | None
    closed_at: datetime | None
    keys: int  # data keys (current or next) it wraps now
    keys_destroyed: int
    first_destroyed_at: datetime | None
    key_exists: bool  # its key is still in the keyring


@dataclass(frozen=True)
class EpochStep:
    """One step of an epoch close: ``opened`` (the next epoch), ``rewrapped``
    (a batch of ``count`` keys), ``closed``, ``destroyed`` (its key)."""

    epoch: int
    step: str
    count: int = 0
    next_epoch: int | None = None


@runtime_checkable
class EpochKeyStore(RotatableKeyStore, Protocol):
    """A key store whose data keys are wrapped by key epochs (``derbes keys epoch``)."""

    @property
    def epochs(self) -> EpochKeyring | None: ...

    def ensure_epoch(self) -> int:
        """The open epoch, opened first if there is none."""
        ...

    def epoch_status(self) -> list[EpochInfo]: ...

    def legacy_keys(self) -> int:
        """Data keys wrapped directly by the KEK (made before epochs)."""
        ...

    def close_epoch(self, *, batch_size: int = 1000, force: bool = False
                    ) -> Iterator[EpochStep]: ...

    def scrub(self) -> None: ...


class FileKeyEncryptionKey(KeyEncryptionKey, Protocol):
    """A KEK kept in a key file (mode 0600)."""

    @property
    def path(self) -> Path: ...

    def install_as(self, target: Path) -> FileKeyEncryptionKey:
        """Atomically make ``target`` hold this KEK; a crash leaves the old or the new."""
        ...


class KeyFiles(Protocol):
    """The installation's key material on disk and the key store's schema
    (``vault/adapters/key_files.py``)."""

    def create_kek(self, path: Path) -> FileKeyEncryptionKey:
        """A new random KEK in a new key file; an existing file is never overwritten."""
        ...

    def open_kek(self, path: Path) -> FileKeyEncryptionKey: ...

    def file_of(self, kek: KeyEncryptionKey) -> FileKeyEncryptionKey | None:
        """``kek`` as a key file, or None when it came from the environment or Vault."""
        ...

    def pending_kek_file(self, kek_file: Path) -> Path:
        """Where a rotation writes the new KEK until every key is re-wrapped."""
        ...

    def upgrade_keystore(self, url: str) -> tuple[SchemaState, SchemaState]:
        """Bring the key store's schema to the newest revision: (before, after)."""
        ...

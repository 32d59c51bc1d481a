"""The key store's tables, key names and the associated data that binds a wrapped key.

Each wrapped key is bound to its owner by the wrapping associated data
(``data_key_aad``: the subject id; ``system_key_aad``: the key's name), so a
wrapped key copied onto another subject's row does not unwrap.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import TypeVar

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
)

from derbes.errors import ConflictError, NotFoundError
from derbes.platform.tables import NAMING_CONVENTION
from derbes.platform.tables.columns import binary, index, instant, integer, key, optional, string
from derbes.vault.adapters.kek import unwrap_with
from derbes.vault.model import is_epoch_kek_id
from derbes.vault.ports import (
    KeyEncryptionKey,
    KeyStore,
)

__all__ = [
    "AUDIT_CHAIN",
    "BLIND_INDEX",
    "SYSTEM_KEY_NAMES",
    "VERSION_TABLE",
    "data_key_aad",
    "data_keys",
    "is_epoch_kek_id",
    "key_epochs",
    "keystore_metadata",
    "replace_by_swap",
    "system_key_aad",
    "system_keys",
    "unique_ids",
    "unwrap_key",
]

# Alembic's revision table of the key store; a name of its own so the key
# store can share a server or even a database with the data database.
VERSION_TABLE = "keystore_alembic_version"

BLIND_INDEX = "blind_index"
AUDIT_CHAIN = "audit_chain"
SYSTEM_KEY_NAMES = (BLIND_INDEX, AUDIT_CHAIN)

keystore_metadata = MetaData(naming_convention=NAMING_CONVENTION)

data_keys = Table(
    "data_keys",
    keystore_metadata,
    key(string("subject_id", 100)),
    # The KEK's id, or "epoch:N" when the key of epoch N wraps it (then ``epoch`` = N).
    string("kek_id", 100),
    binary("wrapped"),
    instant("created_at"),
    optional(integer("epoch")),
    # A partial destruction in progress: the next key, stored beside the current one.
    optional(string("swap_id", 36)),
    optional(string("next_kek_id", 100)),
    optional(integer("next_epoch")),
    optional(binary("next_wrapped")),
    index("epoch"),
    index("swap_id"),
    index("next_epoch"),
)

system_keys = Table(
    "system_keys",
    keystore_metadata,
    key(string("name", 50)),
    string("kek_id", 100),
    binary("wrapped"),
    instant("created_at"),
)

key_epochs = Table(
    "key_epochs",
    keystore_metadata,
    Column("epoch", Integer, primary_key=True, autoincrement=False),
    string("state", 10),
    instant("opened_at"),
    optional(instant("closing_at")),
    optional(instant("closed_at")),
    # Keys destroyed while this epoch wrapped them: copies of the key store
    # still give them back until the epoch is closed.
    Column("keys_destroyed", Integer, nullable=False, server_default="0"),
    optional(instant("first_destroyed_at")),
)


# Rows per INSERT/UPDATE executemany and per IN (...) list; small enough for
# SQLite's bound-parameter limit, large enough that a million keys take few trips.
WRITE_CHUNK = 10_000
READ_CHUNK = 500
PG_CHUNK = 10_000  # one array parameter, not one bound parameter per id
# A WAL checkpoint waits for readers through the busy handler (5 s each try).
SCRUB_ATTEMPTS = 4

_T = TypeVar("_T")


def data_key_aad(subject_id: str) -> bytes:
    """Wrapping associated data of a subject's data key: the subject id."""
    return b"derbes.data-key:" + subject_id.encode("utf-8")


def system_key_aad(name: str) -> bytes:
    """Wrapping associated data of a system key (distinct from any subject id's)."""
    return b"derbes.system-key:" + name.encode("utf-8")


def chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def unique_ids(subject_ids: Sequence[str]) -> list[str]:
    ids = list(subject_ids)
    if any(not isinstance(sid, str) or not sid for sid in ids):
        raise ValueError("a subject id is a non-empty string")
    if len(set(ids)) != len(ids):
        raise ConflictError("the same subject id is given twice: one data key per subject")
    return ids


def unwrap_key(
    keks: Sequence[KeyEncryptionKey], kek_id: str, wrapped: bytes, aad: bytes
) -> bytes:
    """Unwrap a stored data or system key (``kek.unwrap_with``)."""
    return unwrap_with(keks, kek_id, wrapped, aad, "a stored key")


def replace_by_swap(store: KeyStore, subject_id: str) -> tuple[bytes, bytes]:
    """(old, new): a key swap of one subject, prepared and committed at once."""
    swap_id = str(uuid.uuid4())
    swapped = store.prepare_swaps([subject_id], swap_id)
    if subject_id not in swapped:
        raise NotFoundError("no data key for this subject: unknown or already destroyed")
    store.finish_swaps(swap_id, commit=True)
    return swapped[subject_id]


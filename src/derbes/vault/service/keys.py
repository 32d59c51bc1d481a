"""Use cases for the vault's keys: set up an installation, rotate the KEK, report.

Issue 3: data keys are wrapped by a KEK and live in a key store separate from
the data database; ``derbes keys rotate`` re-wraps all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from derbes.errors import ConfigurationError
from derbes.installation.service import database
from derbes.installation.service.database import SchemaUpgrade
from derbes.platform.files import private_dir
from derbes.vault.adapters import keystore_migrate
from derbes.vault.adapters.kek import FileKek, KeyEncryptionKey, pending_kek_file
from derbes.vault.adapters.keystore import KekCount, RotatableKeyStore, count_keys

__all__ = [
    "InitResult",
    "KeyFileRotation",
    "count_pending",
    "initialise",
    "key_counts",
    "migrate_keystore",
    "rotate_kek",
    "rotate_key_file",
]

DEFAULT_BATCH = 1000


def migrate_keystore(url: str) -> SchemaUpgrade:
    """Bring the key store's schema to the newest revision; safe to run again."""
    before, after = keystore_migrate.upgrade(url)
    return SchemaUpgrade(before, after)


@dataclass(frozen=True)
class InitResult:
    var_dir: Path
    var_dir_created: bool
    kek_file: Path | None  # None: the KEK comes from the environment or Vault
    kek_file_created: bool
    kek_id: str
    keystore: SchemaUpgrade
    database: SchemaUpgrade
    system_keys_created: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return (
            self.var_dir_created
            or self.kek_file_created
            or self.keystore.changed
            or self.database.changed
            or bool(self.system_keys_created)
        )


def initialise(
    *,
    var_dir: Path,
    kek_file: Path | None,
    keystore_url: str,
    database_url: str,
    open_keystore: Callable[[], RotatableKeyStore],
) -> InitResult:
    """Prepare an installation; running it again changes nothing.

    Order matters: the KEK file exists before the key store is opened, both
    schemas are migrated before the system keys are created, and an existing
    key file is never overwritten (it may be the only copy of the KEK).
    ``open_keystore`` is called once the KEK file and schemas are in place.
    """
    var_dir_created = not var_dir.is_dir()
    private_dir(var_dir)  # 0700, also when an older version or the shell made it wider
    kek_file_created = False
    if kek_file is not None and not kek_file.exists():
        FileKek.create(kek_file)
        kek_file_created = True
    keystore_upgrade = migrate_keystore(keystore_url)
    database_upgrade = database.upgrade(database_url)
    store = open_keystore()
    created = store.ensure_system_keys()  # also proves the KEK unwraps what is stored
    return InitResult(
        var_dir=var_dir,
        var_dir_created=var_dir_created,
        kek_file=kek_file,
        kek_file_created=kek_file_created,
        kek_id=store.kek.kek_id,
        keystore=keystore_upgrade,
        database=database_upgrade,
        system_keys_created=created,
    )


def key_counts(keystore_engine: Engine) -> list[KekCount]:
    """Keys per KEK in the key store, data and system keys; needs no KEK."""
    return count_keys(keystore_engine)


def count_pending(counts: list[KekCount], new_kek_id: str) -> int:
    """How many keys a rotation to ``new_kek_id`` still has to re-wrap."""
    return sum(c.keys for c in counts if c.kek_id != new_kek_id)


def rotate_kek(
    keystore: RotatableKeyStore,
    old_kek: KeyEncryptionKey,
    new_kek: KeyEncryptionKey,
    *,
    batch_size: int = DEFAULT_BATCH,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Re-wrap every data and system key with ``new_kek``; returns how many were re-wrapped.

    Each batch is one key-store transaction; keys already wrapped by
    ``new_kek`` are skipped, so after a crash the same call resumes. Passes
    repeat until one finds nothing left, which also catches keys another
    process wrapped with the old KEK while a pass was running.
    """
    total = 0
    while True:
        done = 0
        for count in keystore.rewrap(old_kek, new_kek, batch_size=batch_size):
            done += count
            if on_progress is not None:
                on_progress(count)
        total += done
        if done == 0:
            return total


@dataclass(frozen=True)
class KeyFileRotation:
    old_kek_id: str
    new_kek_id: str
    rewrapped: int
    resumed: bool  # an earlier, interrupted rotation was finished
    kek_file: Path  # where the KEK is now (the configured key file, or the new file)
    retired_file: Path | None  # copy of the old KEK kept until running processes restart
    switched: bool  # the configured key file now holds the new KEK


def rotate_key_file(
    keystore: RotatableKeyStore,
    old_kek: KeyEncryptionKey,
    *,
    new_kek_file: Path | None = None,
    batch_size: int = DEFAULT_BATCH,
    on_start: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> KeyFileRotation:
    """Rotate to a new KEK kept in a key file, in an order a crash cannot break.

    1. The new KEK is written to its own file first (``<key file>.new`` unless
       ``new_kek_file`` is given); an existing one is reused — that is a
       resumed rotation. The old key file is not touched.
    2. Every key is re-wrapped (``rotate_kek``), batch by batch.
    3. Only then: the old KEK is copied to ``<key file>.retired-<kek id>``,
       the new KEK atomically replaces the key file, and the ``.new`` file is
       removed.

    At every instant each stored key is wrapped by a KEK that exists in a file.
    When the old KEK came from the environment or Vault, the new key file is
    left where it is and the operator points ``DERBES_KEK_FILE`` at it.
    """
    old_file = old_kek.path if isinstance(old_kek, FileKek) else None
    if new_kek_file is None:
        if old_file is None:
            source = getattr(old_kek, "source", "the environment or Vault")
            raise ConfigurationError(
                f"the KEK comes from {source}, not a key file: "
                "pass --new-kek-file PATH to move the keys to a new key file"
            )
        new_kek_file = pending_kek_file(old_file)
    resumed = new_kek_file.exists()
    new_kek = FileKek(new_kek_file) if resumed else FileKek.create(new_kek_file)
    finished_before = new_kek.kek_id == old_kek.kek_id
    if finished_before and old_file is None:
        raise ConfigurationError("the new key file holds the KEK already in use")
    if on_start is not None:
        on_start(count_pending(keystore.kek_counts(), new_kek.kek_id))
    rewrapped = rotate_kek(
        keystore, old_kek, new_kek, batch_size=batch_size, on_progress=on_progress
    )
    if old_file is None:
        return KeyFileRotation(
            old_kek.kek_id, new_kek.kek_id, rewrapped, resumed, new_kek_file, None, False
        )
    retired: Path | None = None
    if not finished_before:
        # Keep the old KEK until processes that loaded it have restarted: a key
        # they wrap with it after this point stays recoverable.
        assert isinstance(old_kek, FileKek)
        retired = old_file.with_name(f"{old_file.name}.retired-{old_kek.kek_id}")
        old_kek.install_as(retired)
    new_kek.install_as(old_file)
    if new_kek_file.resolve() != old_file.resolve():
        new_kek_file.unlink(missing_ok=True)
    return KeyFileRotation(
        old_kek.kek_id, new_kek.kek_id, rewrapped, resumed, old_file, retired, True
    )

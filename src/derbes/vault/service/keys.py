"""Use cases for the vault's keys: set up an installation, rotate the KEK, key epochs.

Data keys live in a key store separate from the data database, wrapped by the
key of a key epoch, which the KEK wraps (``vault/adapters/key_epochs.py``).
``derbes keys rotate`` re-wraps what the KEK wraps (epoch keys, system keys,
data keys made before epochs); ``derbes keys epoch close`` re-wraps the data
keys under a new epoch and destroys the old epoch's key, which is what makes
destroyed keys unrecoverable from copies of the key store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from derbes.context import Rules
from derbes.deadlines import service as deadlines
from derbes.deadlines.model.calendar import DueDate
from derbes.errors import ConfigurationError
from derbes.installation.service import database
from derbes.installation.service.database import SchemaUpgrade
from derbes.platform.clock import Clock
from derbes.platform.faults import crash_point
from derbes.platform.files import private_dir
from derbes.uow import UnitOfWork
from derbes.vault.model import is_epoch_kek_id
from derbes.vault.ports import (
    EpochInfo,
    EpochKeyStore,
    EpochState,
    EpochStep,
    KekCount,
    KeyEncryptionKey,
    KeyFiles,
    RotatableKeyStore,
)
from derbes.vault.service import keyswap

__all__ = [
    "EPOCH_CLOSE_DEADLINE",
    "EpochLine",
    "EpochReport",
    "InitResult",
    "KeyFileRotation",
    "Progress",
    "close_epoch",
    "count_pending",
    "epoch_report",
    "initialise",
    "migrate_keystore",
    "rotate_kek",
    "rotate_key_file",
]

DEFAULT_BATCH = 1000

# A destroyed key is unrecoverable from copies of the key store once its epoch
# is closed. The close is due within the shortest destruction term of the
# regime table (its term and citation live in data/regime.yaml), counted from
# the first destruction in the epoch.
EPOCH_CLOSE_DEADLINE = "destroy_unlawful"


def migrate_keystore(url: str, files: KeyFiles) -> SchemaUpgrade:
    """Bring the key store's schema to the newest revision; safe to run again."""
    before, after = files.upgrade_keystore(url)
    return SchemaUpgrade(before, after)


@dataclass(frozen=True)
class Progress:
    """What a long key operation tells its caller: how many keys it has to do, then how
    many each batch did."""

    start: Callable[[int], None] | None = None
    advance: Callable[[int], None] | None = None


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
    epoch: int | None = None  # the open key epoch (None: a store without epochs)
    epoch_opened: bool = False  # ... opened by this call

    @property
    def changed(self) -> bool:
        return (
            self.var_dir_created
            or self.kek_file_created
            or self.keystore.changed
            or self.database.changed
            or bool(self.system_keys_created)
            or self.epoch_opened
        )


def initialise(
    *,
    var_dir: Path,
    kek_file: Path | None,
    keystore_url: str,
    database_url: str,
    open_keystore: Callable[[], RotatableKeyStore],
    files: KeyFiles,
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
        files.create_kek(kek_file)
        kek_file_created = True
    keystore_upgrade = migrate_keystore(keystore_url, files)
    database_upgrade = database.upgrade(database_url)
    store = open_keystore()
    created = store.ensure_system_keys()  # also proves the KEK unwraps what is stored
    epoch: int | None = None
    opened = False
    if isinstance(store, EpochKeyStore) and store.epochs is not None:
        opened = not store.epoch_status()
        epoch = store.ensure_epoch()
    return InitResult(
        var_dir=var_dir,
        var_dir_created=var_dir_created,
        kek_file=kek_file,
        kek_file_created=kek_file_created,
        kek_id=store.kek.kek_id,
        keystore=keystore_upgrade,
        database=database_upgrade,
        system_keys_created=created,
        epoch=epoch,
        epoch_opened=opened,
    )


def count_pending(counts: list[KekCount], new_kek_id: str) -> int:
    """How many keys a rotation to ``new_kek_id`` still has to re-wrap (data keys
    wrapped by an epoch are not the KEK's: the epoch key is re-wrapped instead)."""
    return sum(c.keys for c in counts if c.kek_id != new_kek_id
               and not is_epoch_kek_id(c.kek_id))


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
    files: KeyFiles,
    new_kek_file: Path | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress = Progress(),
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
    old_file_kek = files.file_of(old_kek)
    old_file = None if old_file_kek is None else old_file_kek.path
    if new_kek_file is None:
        if old_file is None:
            source = getattr(old_kek, "source", "the environment or Vault")
            raise ConfigurationError(
                f"the KEK comes from {source}, not a key file: "
                "pass --new-kek-file PATH to move the keys to a new key file"
            )
        new_kek_file = files.pending_kek_file(old_file)
    resumed = new_kek_file.exists()
    new_kek = files.open_kek(new_kek_file) if resumed else files.create_kek(new_kek_file)
    crash_point("keys.rotate.new_kek_written")
    finished_before = new_kek.kek_id == old_kek.kek_id
    if finished_before and old_file is None:
        raise ConfigurationError("the new key file holds the KEK already in use")
    if progress.start is not None:
        progress.start(count_pending(keystore.kek_counts(), new_kek.kek_id))
    rewrapped = rotate_kek(
        keystore, old_kek, new_kek, batch_size=batch_size, on_progress=progress.advance
    )
    if old_file is None or old_file_kek is None:
        return KeyFileRotation(
            old_kek.kek_id, new_kek.kek_id, rewrapped, resumed, new_kek_file, None, False
        )
    retired: Path | None = None
    if not finished_before:
        # Keep the old KEK until processes that loaded it have restarted: a key
        # they wrap with it after this point stays recoverable.
        retired = old_file.with_name(f"{old_file.name}.retired-{old_kek.kek_id}")
        old_file_kek.install_as(retired)
        crash_point("keys.rotate.old_kek_retired")
    new_kek.install_as(old_file)
    crash_point("keys.rotate.new_kek_installed")
    if new_kek_file.resolve() != old_file.resolve():
        new_kek_file.unlink(missing_ok=True)
    return KeyFileRotation(
        old_kek.kek_id, new_kek.kek_id, rewrapped, resumed, old_file, retired, True
    )


# ----------------------------------------------------------------- key epochs


@dataclass(frozen=True)
class EpochLine:
    info: EpochInfo
    close_due: DueDate | None  # when its destroyed keys must be unrecoverable at the latest

    def overdue(self, now: datetime) -> bool:
        return self.close_due is not None and now >= self.close_due.ends_at


@dataclass(frozen=True)
class EpochReport:
    location: str  # where the epoch keys are kept
    lines: tuple[EpochLine, ...]
    legacy_keys: int  # data keys the KEK wraps itself (made before epochs)
    pending_swaps: int  # key swaps of partial destructions not finished
    stray_keys: tuple[int, ...]  # epoch keys of closed epochs still present

    @property
    def open_epoch(self) -> int | None:
        return next((x.info.epoch for x in self.lines if x.info.state == EpochState.OPEN),
                    None)

    @property
    def waiting(self) -> int:
        """Destroyed keys that copies of the key store still give back."""
        return sum(x.info.keys_destroyed for x in self.lines
                   if x.info.state != EpochState.CLOSED)

    def overdue(self, now: datetime) -> bool:
        return any(x.overdue(now) for x in self.lines)

    @property
    def close_needed(self) -> bool:
        return (self.waiting > 0 or self.legacy_keys > 0 or bool(self.stray_keys)
                or self.pending_swaps > 0
                or any(x.info.state == EpochState.CLOSING for x in self.lines))


def _require_epochs(store: RotatableKeyStore) -> EpochKeyStore:
    if not isinstance(store, EpochKeyStore) or store.epochs is None:
        raise ConfigurationError("this key store has no key epochs")
    return store


def epoch_report(store: RotatableKeyStore, rules: Rules) -> EpochReport:
    """The key epochs, what each still wraps, and when a close is due."""
    epochs = _require_epochs(store)
    keyring = epochs.epochs
    assert keyring is not None
    regime = rules.regime
    lines = []
    for info in epochs.epoch_status():
        due = None
        if info.state != EpochState.CLOSED and info.first_destroyed_at is not None:
            due = deadlines.due_by(regime, EPOCH_CLOSE_DEADLINE, info.first_destroyed_at,
                                   rules.calendars)
        lines.append(EpochLine(info, due))
    return EpochReport(
        location=keyring.location, lines=tuple(lines), legacy_keys=epochs.legacy_keys(),
        pending_swaps=len(epochs.pending_swaps()),
        stray_keys=tuple(x.info.epoch for x in lines
                         if x.info.state == EpochState.CLOSED and x.info.key_exists))


def close_epoch(
    store: RotatableKeyStore,
    uow: UnitOfWork,
    clock: Clock,
    *,
    batch_size: int = DEFAULT_BATCH,
    force: bool = False,
    on_step: Callable[[EpochStep], None] | None = None,
) -> list[EpochStep]:
    """Close the open key epoch (see ``SqlKeyStore.close_epoch``); resumable.

    Interrupted key swaps are settled first, so that no key of a finished
    partial destruction survives into the next epoch.
    """
    epochs = _require_epochs(store)
    keyswap.settle(uow, epochs, clock)
    steps = []
    for step in epochs.close_epoch(batch_size=batch_size, force=force):
        steps.append(step)
        if on_step is not None:
            on_step(step)
    return steps

"""Key epochs: the keys that wrap the data keys, kept beside the KEK, never in a database.

Why: deleting a data key's row does not make it unrecoverable where the key
store keeps history it cannot erase — PostgreSQL's dead tuples, its WAL and
WAL archive, and any backup or copy of the key-store database (SQLite or
PostgreSQL). Every one of those copies holds the data key wrapped; if what
wraps it still exists, the copy opens. So a data key is wrapped by the key of
an *epoch*, not by the KEK directly, and the epoch key lives here, outside
the database, one small file per epoch, itself wrapped by the KEK. Closing an
epoch (``SqlKeyStore.close_epoch``) re-wraps the surviving keys under the
next epoch and then destroys this file: from then on no copy of the key store
taken while the epoch was open can give back any key it wrapped, including
the keys destroyed meanwhile.

A file: ``epoch-000007.key``, mode 0600, in a directory of mode 0700::

    derbes-key-epoch 1
    epoch 7
    kek <kek_id of the KEK that wraps it>
    <base64 of the wrapped 32-byte epoch key>

It is written once (temporary file, fsync, hard link: the name either does
not exist or holds a whole key) and replaced atomically only when the KEK is
rotated. Destroying it overwrites its bytes with random ones, syncs, unlinks
it and syncs the directory.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import os
import re
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from derbes.errors import ConfigurationError, CryptoError
from derbes.platform.crypto import KEY_BYTES, generate_key
from derbes.platform.files import fsync_directory, write_new_private
from derbes.vault.adapters.kek import AesGcmWrapper, unwrap_with
from derbes.vault.model import epoch_kek_id, parse_epoch_kek_id
from derbes.vault.ports import EpochKeyring, KeyEncryptionKey

__all__ = [
    "DirectoryEpochKeyring",
    "EpochCipher",
    "EpochKeyring",
    "epoch_kek_id",
    "epoch_key_aad",
    "parse_epoch_kek_id",
    "unwrap_epoch_key",
]

_MAGIC = "derbes-key-epoch 1"
_NAME = re.compile(r"^epoch-(\d{6,})\.key$")


def epoch_key_aad(epoch: int) -> bytes:
    """Wrapping associated data of an epoch key: its number (a file renamed does not open)."""
    return b"derbes.epoch-key:" + str(epoch).encode("ascii")


class EpochCipher(AesGcmWrapper):
    """Wraps data keys with one epoch's key (AES-256-GCM, nonce prepended).

    It has the shape of a KEK (``kek_id``, ``wrap``, ``unwrap``), so the key
    store treats "wrapped by the KEK" and "wrapped by epoch 7" alike.
    """

    __slots__ = ("epoch",)

    def __init__(self, epoch: int, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ConfigurationError(f"the key of epoch {epoch} has {len(key)} bytes")
        super().__init__(key)
        self.epoch = epoch

    @property
    def kek_id(self) -> str:
        return epoch_kek_id(self.epoch)

    def _refusal(self) -> Exception:
        return CryptoError(
            f"a stored key does not open with the key of epoch {self.epoch}: "
            "altered, or moved from another subject"
        )

    def __repr__(self) -> str:
        return f"EpochCipher(epoch={self.epoch})"


def unwrap_epoch_key(keks: Sequence[KeyEncryptionKey], kek_id: str, wrapped: bytes,
                     aad: bytes, what: str) -> bytes:
    """An epoch key: a KEK that cannot open it at all is reported as the wrong KEK."""
    return unwrap_with(keks, kek_id, wrapped, aad, what,
                       wrong_kek=(ConfigurationError, CryptoError))


class DirectoryEpochKeyring:
    """Epoch keys as files in ``directory`` (created with mode 0700 when missing).

    Every derbes process of an installation must see the same directory, as
    it sees the same KEK: on one machine the default ``var/key-epochs`` does;
    several machines share it (a mounted volume) or point
    ``DERBES_KEY_EPOCHS_DIR`` at the same place.
    """

    def __init__(self, directory: Path, kek: KeyEncryptionKey, *,
                 also_unwrap_with: Sequence[KeyEncryptionKey] = ()) -> None:
        self.directory = Path(directory)
        self._keks: tuple[KeyEncryptionKey, ...] = (kek, *also_unwrap_with)
        self._cache: dict[int, EpochCipher] = {}
        self._lock = threading.Lock()

    @property
    def location(self) -> str:
        return str(self.directory)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One process at a time creates, re-wraps or destroys epoch files (a rotation
        running beside an epoch close must not write back a key the close destroyed)."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with self._lock:
                yield
        finally:
            os.close(fd)  # releases the lock

    def path_of(self, epoch: int) -> Path:
        return self.directory / f"epoch-{epoch:06d}.key"

    def _parse(self, path: Path, epoch: int) -> tuple[str, bytes]:
        try:
            lines = path.read_text(encoding="ascii").splitlines()
        except FileNotFoundError:
            raise
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"cannot read the epoch key {path}: "
                                     f"{type(exc).__name__}") from None
        if (len(lines) != 4 or lines[0] != _MAGIC or lines[1] != f"epoch {epoch}"
                or not lines[2].startswith("kek ")):
            raise ConfigurationError(f"the epoch key {path} is not a derbes epoch key file")
        try:
            wrapped = base64.b64decode(lines[3], validate=True)
        except (binascii.Error, ValueError):
            raise ConfigurationError(f"the epoch key {path} is damaged (base64)") from None
        return lines[2][4:], wrapped

    @staticmethod
    def _render(epoch: int, kek_id: str, wrapped: bytes) -> bytes:
        return (f"{_MAGIC}\nepoch {epoch}\nkek {kek_id}\n"
                f"{base64.b64encode(wrapped).decode('ascii')}\n").encode("ascii")

    def cipher(self, epoch: int) -> EpochCipher:
        path = self.path_of(epoch)
        cached = self._cache.get(epoch)
        if cached is not None:
            if path.exists():
                return cached
            # Destroyed by another process: forget it here as well.
            self._cache.pop(epoch, None)
        try:
            kek_id, wrapped = self._parse(path, epoch)
        except FileNotFoundError:
            raise ConfigurationError(
                f"the key of epoch {epoch} ({path}) does not exist: it was destroyed when the "
                "epoch was closed, or this is not the epoch directory of this key store "
                "(DERBES_KEY_EPOCHS_DIR)"
            ) from None
        key = unwrap_epoch_key(self._keks, kek_id, wrapped, epoch_key_aad(epoch),
                           f"the epoch key {path}")
        cipher = EpochCipher(epoch, key)
        self._cache[epoch] = cipher
        return cipher

    def create(self, epoch: int) -> EpochCipher:
        if epoch < 1:
            raise ValueError("epochs are numbered from 1")
        with self._locked():
            path = self.path_of(epoch)
            if not path.exists():
                kek = self._keks[0]
                content = self._render(epoch, kek.kek_id,
                                       kek.wrap(generate_key(), epoch_key_aad(epoch)))
                temporary = self.directory / f".{path.name}.{os.getpid()}.tmp"
                temporary.unlink(missing_ok=True)
                write_new_private(temporary, content)
                try:
                    os.link(temporary, path)  # fails if another process created it first
                except FileExistsError:
                    pass
                finally:
                    temporary.unlink(missing_ok=True)
                fsync_directory(self.directory)
        return self.cipher(epoch)

    def destroy(self, epoch: int) -> bool:
        path = self.path_of(epoch)
        self._cache.pop(epoch, None)
        if not path.exists():
            return False
        with self._locked():
            try:
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:
                return False
            try:
                size = os.fstat(fd).st_size
                # Overwrite in place before unlinking, so the blocks the file
                # system frees do not still hold the wrapped key.
                os.pwrite(fd, os.urandom(size), 0)
                os.fsync(fd)
            finally:
                os.close(fd)
            path.unlink(missing_ok=True)
            fsync_directory(self.directory)
        return True

    def epochs(self) -> list[int]:
        if not self.directory.is_dir():
            return []
        found = []
        for entry in self.directory.iterdir():
            match = _NAME.match(entry.name)
            if match:
                found.append(int(match.group(1)))
        return sorted(found)

    def kek_ids(self) -> dict[int, str]:
        out: dict[int, str] = {}
        for epoch in self.epochs():
            with contextlib.suppress(FileNotFoundError):
                out[epoch] = self._parse(self.path_of(epoch), epoch)[0]
        return out

    def rewrap(self, old: KeyEncryptionKey, new: KeyEncryptionKey) -> Iterator[int]:
        readers = (old, *self._keks)
        new_id = new.kek_id
        for epoch in self.epochs():
            path = self.path_of(epoch)
            with self._locked():
                try:
                    kek_id, wrapped = self._parse(path, epoch)
                except FileNotFoundError:
                    continue  # destroyed meanwhile by an epoch close
                if kek_id == new_id:
                    continue
                aad = epoch_key_aad(epoch)
                key = unwrap_epoch_key(readers, kek_id, wrapped, aad, f"the epoch key {path}")
                temporary = self.directory / f".{path.name}.{os.getpid()}.rewrap"
                temporary.unlink(missing_ok=True)
                write_new_private(temporary, self._render(epoch, new_id, new.wrap(key, aad)))
                # Atomic: the file holds the key wrapped by the old KEK or the new one.
                os.replace(temporary, path)
                fsync_directory(self.directory)
            yield epoch

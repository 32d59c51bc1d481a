"""The installation's key material on disk: KEK key files and the key store's schema.

Implements ``vault/ports.py: KeyFiles`` for the key use cases (``derbes init``,
``derbes keys rotate``); bootstrap hands it out as ``Container.key_files``.
"""

from __future__ import annotations

from pathlib import Path

from derbes.platform.migrate import SchemaState
from derbes.vault.adapters import keystore_migrate
from derbes.vault.adapters.kek import FileKek, pending_kek_file
from derbes.vault.ports import KeyEncryptionKey

__all__ = ["KEY_FILES", "DiskKeyFiles"]


class DiskKeyFiles:
    def create_kek(self, path: Path) -> FileKek:
        return FileKek.create(path)

    def open_kek(self, path: Path) -> FileKek:
        return FileKek(path)

    def file_of(self, kek: KeyEncryptionKey) -> FileKek | None:
        return kek if isinstance(kek, FileKek) else None

    def pending_kek_file(self, kek_file: Path) -> Path:
        return pending_kek_file(kek_file)

    def upgrade_keystore(self, url: str) -> tuple[SchemaState, SchemaState]:
        return keystore_migrate.upgrade(url)


KEY_FILES = DiskKeyFiles()

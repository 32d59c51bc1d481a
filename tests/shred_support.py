"""An installation on disk for the destruction tests: data database AND key store on the
backend under test (two SQLite files, or two PostgreSQL databases), a KEK file, the epoch
key directory, and the same settings for in-process calls and for the real CLI.

``Installation.snapshot`` / ``restore`` copy all of it, so a prepared data set can be
killed and rerun many times without preparing it again.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text

from derbes.bootstrap import Container
from derbes.platform import migrate
from derbes.platform.clock import Clock, FixedClock
from derbes.platform.db import make_engine, parse_url
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.platform.tables import pd_values, subjects
from derbes.settings import Settings
from derbes.uow import UnitOfWork
from derbes.vault.adapters import keystore_migrate
from derbes.vault.adapters.kek import FileKek
from derbes.vault.adapters.keystore import data_keys
from tests.forensics import Sealed

ROOT = Path(__file__).resolve().parents[1]
DERBES = Path(sys.executable).with_name("derbes")


def at(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=UTC)


def _admin(server: str) -> Engine:
    from sqlalchemy import create_engine

    return create_engine(parse_url(server), isolation_level="AUTOCOMMIT")


def _sql_admin(server: str, statement: str) -> None:
    engine = _admin(server)
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def _db_url(server: str, name: str) -> str:
    return parse_url(server).set(database=name).render_as_string(hide_password=False)


@dataclass
class Installation:
    """Where everything lives; ``container()`` opens it like a derbes process does."""

    backend: str
    root: Path
    url: str
    key_url: str
    server: str | None = None  # PostgreSQL server URL (for CREATE/DROP DATABASE)

    @property
    def kek_file(self) -> Path:
        return self.root / "var" / "kek.key"

    @property
    def epochs_dir(self) -> Path:
        return self.root / "var" / "key-epochs"

    @property
    def kek(self) -> bytes:
        import base64

        return base64.b64decode(self.kek_file.read_text())

    def settings(self) -> Settings:
        return Settings(database_url=self.url, keystore_url=self.key_url,
                        kek_file=self.kek_file, key_epochs_dir=self.epochs_dir,
                        var_dir=self.root / "var", datasets_dir=self.root / "datasets",
                        registers_dir=ROOT / "registers")

    def environ(self, **extra: str) -> dict[str, str]:
        """The environment of a derbes CLI process on this installation."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
        s = self.settings()
        return {**clean, "COLUMNS": "200", "DERBES_DATABASE_URL": self.url,
                "DERBES_KEYSTORE_URL": self.key_url, "DERBES_KEK_FILE": str(s.kek_file),
                "DERBES_KEY_EPOCHS_DIR": str(s.epochs_dir), "DERBES_VAR_DIR": str(s.var_dir),
                "DERBES_DATASETS_DIR": str(s.datasets_dir), **extra}

    def container(self, clock: Clock | None = None) -> Container:
        return Container(settings=self.settings(), clock=clock or FixedClock())

    def cli(self, *args: str, timeout: float = 300, **extra: str
            ) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(DERBES), *args], cwd=self.root, env=self.environ(**extra),
                              capture_output=True, text=True, check=False, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def spawn(self, *args: str, **extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen([str(DERBES), *args], cwd=self.root,
                                env=self.environ(**extra), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)

    # -- reading the stores directly -----------------------------------------

    def sealed(self, subject_ids: list[str] | None = None) -> dict[str, list[Sealed]]:
        """Every sealed value per subject, as a backup of the data database holds it."""
        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                query = select(pd_values.c.subject_id, pd_values.c.category, pd_values.c.seq,
                               pd_values.c.sealed)
                if subject_ids is not None:
                    query = query.where(pd_values.c.subject_id.in_(subject_ids))
                out: dict[str, list[Sealed]] = {}
                for sid, category, seq, sealed in connection.execute(query):
                    out.setdefault(sid, []).append(Sealed(sid, category, seq, bytes(sealed)))
                return out
        finally:
            engine.dispose()

    def held(self) -> dict[str, set[str]]:
        return {sid: {v.category for v in values} for sid, values in self.sealed().items()}

    def destroyed(self) -> set[str]:
        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                return set(connection.execute(select(subjects.c.id).where(
                    subjects.c.destroyed_at.is_not(None))).scalars())
        finally:
            engine.dispose()

    def wrapped_keys(self) -> dict[str, list[bytes]]:
        """The wrapped data keys (current and pending next) as the key store holds them."""
        engine = make_engine(self.key_url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(select(data_keys.c.subject_id, data_keys.c.wrapped,
                                                 data_keys.c.next_wrapped)).all()
        finally:
            engine.dispose()
        return {sid: [bytes(w) for w in (wrapped, nxt) if w is not None]
                for sid, wrapped, nxt in rows}

    def keystore_files(self) -> list[bytes]:
        """SQLite: the raw bytes of the key store's main file, -wal and -shm."""
        assert self.backend == "sqlite"
        path = Path(str(parse_url(self.key_url).database))
        return [p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"))
                if p.exists()]

    # -- snapshots -----------------------------------------------------------

    def _sqlite_copy(self, url: str, target: Path) -> str:
        source = sqlite3.connect(str(parse_url(url).database))
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return f"sqlite:///{target}"

    def clone(self, root: Path) -> Installation:
        """A copy of everything (databases, KEK, epoch keys) under ``root``."""
        root.mkdir(parents=True, exist_ok=True)
        shutil.copytree(self.root / "var", root / "var", dirs_exist_ok=True)
        (root / "datasets").mkdir(exist_ok=True)
        if self.backend == "sqlite":
            url = self._sqlite_copy(self.url, root / "var" / "derbes.sqlite3")
            key_url = self._sqlite_copy(self.key_url, root / "var" / "keys.sqlite3")
            for name in ("derbes.sqlite3", "keys.sqlite3"):
                for suffix in ("-wal", "-shm"):
                    (root / "var" / f"{name}{suffix}").unlink(missing_ok=True)
            return Installation("sqlite", root, url, key_url)
        assert self.server is not None
        names = []
        for source in (self.url, self.key_url):
            name = f"derbes_clone_{secrets.token_hex(5)}"
            _sql_admin(self.server, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    f"WHERE datname = '{parse_url(source).database}' "
                                    "AND pid <> pg_backend_pid()")
            _sql_admin(self.server, f"CREATE DATABASE {name} TEMPLATE "
                                    f"{parse_url(source).database}")
            names.append(name)
        return Installation("postgresql", root, _db_url(self.server, names[0]),
                            _db_url(self.server, names[1]), self.server)

    def drop(self) -> None:
        if self.backend == "postgresql" and self.server is not None:
            for url in (self.url, self.key_url):
                _sql_admin(self.server, "DROP DATABASE IF EXISTS "
                                        f"{parse_url(url).database} WITH (FORCE)")
        shutil.rmtree(self.root, ignore_errors=True)


def install(backend: str, root: Path, server: str | None = None) -> Installation:
    """A fresh installation: both schemas migrated, KEK file, system keys, epoch 1."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "datasets").mkdir(exist_ok=True)
    if backend == "sqlite":
        url = f"sqlite:///{root / 'var' / 'derbes.sqlite3'}"
        key_url = f"sqlite:///{root / 'var' / 'keys.sqlite3'}"
    else:
        assert server is not None
        names = [f"derbes_data_{secrets.token_hex(5)}", f"derbes_keys_{secrets.token_hex(5)}"]
        for name in names:
            _sql_admin(server, f"CREATE DATABASE {name}")
        url, key_url = _db_url(server, names[0]), _db_url(server, names[1])
    (root / "var").mkdir(parents=True, exist_ok=True)
    FileKek.create(root / "var" / "kek.key")
    migrate.upgrade(url)
    keystore_migrate.upgrade(key_url)
    installation = Installation(backend, root, url, key_url, server)
    container = installation.container()
    try:
        container.keystore.ensure_system_keys()
        container.keystore.ensure_epoch()
    finally:
        dispose(container)
    return installation


def dispose(container: Container) -> None:
    for name in ("engine", "keystore_engine"):
        engine = container.__dict__.get(name)
        if engine is not None:
            engine.dispose()


def uow_of(container: Container) -> UnitOfWork:
    return SqlUnitOfWork(container.engine, audit_key=lambda: container.audit_key)


def opened(container: Container, values: Mapping[str, list[Sealed]]) -> dict[str, dict[str, Any]]:
    """Open every value with the keys the key store gives (current and pending next):
    subject -> {category: plaintext or None when it does not open}."""
    from derbes.platform import crypto
    from derbes.vault import model as vault

    keys = container.keystore.candidate_keys(sorted(values))
    out: dict[str, dict[str, Any]] = {}
    for sid, sealed in values.items():
        row: dict[str, Any] = {}
        for value in sealed:
            plain = None
            for key in keys.get(sid, ()):
                try:
                    plain = vault.decode_plain(crypto.open_sealed(
                        key, value.sealed,
                        crypto.value_aad(value.subject_id, value.category, value.seq)))
                    break
                except Exception:
                    continue
            row[value.category] = plain
        out[sid] = row
    return out


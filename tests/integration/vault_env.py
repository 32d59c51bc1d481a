"""A vault on a real data database plus a SQLite key store of its own."""

from __future__ import annotations

import glob
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from derbes.platform.clock import FixedClock
from derbes.platform.db import make_engine, parse_url
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.register.model.register import Register
from derbes.register.service import registers
from derbes.testing.context import context as ctx_of
from derbes.uow import UnitOfWork
from derbes.vault.adapters import keystore_migrate
from derbes.vault.adapters.kek import LocalKek
from derbes.vault.adapters.keystore import SqlKeyStore
from derbes.vault.model import NewValue
from derbes.vault.service import subjects as svc
from tests.vault_support import minimal_register

ACTOR = "test:integration"


@dataclass
class VaultEnv:
    url: str
    engine: Engine
    keys: SqlKeyStore
    keystore_file: Path
    clock: FixedClock
    register: Register

    def uow(self, engine: Engine | None = None) -> UnitOfWork:
        return SqlUnitOfWork(engine or self.engine, audit_key=self.keys.audit_key)

    def add(self, values: list[NewValue], **ids: str) -> str:
        return svc.add_subject(ctx_of(self.uow(), self.keys, self.clock, ACTOR), self.register, values, ids)

    def read(self, subject_id: str, purpose: str, engine: Engine | None = None
             ) -> svc.SubjectView:
        return svc.read_subject(ctx_of(self.uow(engine), self.keys, self.clock, ACTOR), subject_id, purpose)


def open_env(db_url: str, tmp_path: Path) -> Iterator[VaultEnv]:
    keystore_file = tmp_path / "keys.sqlite3"
    key_url = f"sqlite:///{keystore_file}"
    keystore_migrate.upgrade(key_url)
    key_engine = make_engine(key_url)
    engine = make_engine(db_url)
    clock = FixedClock()
    loaded = minimal_register()
    env = VaultEnv(db_url, engine, SqlKeyStore(key_engine, LocalKek.generate(), clock=clock),
                   keystore_file, clock, loaded.register)
    registers.publish(env.uow(), [loaded], clock)
    try:
        yield env
    finally:
        engine.dispose()
        key_engine.dispose()


def pg_bin(name: str) -> str:
    """A PostgreSQL client program, from the server's own bin directory if possible."""
    pinned = os.environ.get("DERBES_PG_BINDIR")
    candidates = [pinned] if pinned else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                         key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit()
                         else 0, reverse=True)
    for directory in candidates:
        program = Path(directory) / name
        if program.is_file():
            return str(program)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found")
    return found


def libpq_url(url: str) -> str:
    """The URL as libpq tools (pg_dump, psql) take it: no SQLAlchemy driver suffix."""
    return parse_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

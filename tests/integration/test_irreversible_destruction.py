"""Destroyed means unrecoverable: the attacker's view, on SQLite and on PostgreSQL.

The attacker has a backup of the data database taken BEFORE the destruction,
and, after it, everything on the machine: the key store's raw files (SQLite:
main file, -wal, -shm; PostgreSQL: the key-store database's relation files
and the WAL written since the installation was made), the KEK and the epoch
key directory — and a copy of the key store taken before the destruction. He
carves every 60-byte window (a wrapped key) and every 32-byte window (a raw
key) of those bytes, unwraps with the KEK and every epoch key he can open,
and tries what comes out on the destroyed subjects' values from the backup.

What derbes promises, and what is asserted here:

* SQLite, as soon as ``destroy`` / a partial destruction returns: nothing in
  the key store's files opens anything of the destroyed data; a surviving
  subject's key IS found in the same files (the carver works).
* PostgreSQL keeps dead rows and WAL: before the epoch is closed the carve
  DOES recover the destroyed key there (asserted: that is the threat the
  epoch close answers) — and from a key-store copy taken before destruction
  on either database.
* After ``close_epoch``: nothing opens anything of the destroyed data, from
  the live files, the WAL, or the old key-store copy, on either database.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from derbes.platform.db import make_engine, parse_url
from derbes.testing.context import context as ctx_of
from derbes.vault.service import keys as keys_svc
from derbes.vault.service import subjects as svc
from tests.forensics import Findings, Sealed, carve, decrypted, epoch_keys_in, hex_blobs, pg_dump
from tests.integration.conftest import BACKENDS
from tests.integration.vault_env import libpq_url, pg_bin
from tests.shred_support import Installation, dispose, install, uow_of
from tests.vault_support import minimal_register, person_values

ACTOR = "test:forensics"
SUBJECTS = 12


@pytest.fixture(params=BACKENDS)
def installation(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Installation]:
    server = request.getfixturevalue("pg_server_url") if request.param == "postgresql" else None
    made = install(request.param, tmp_path / "site", server)
    try:
        yield made
    finally:
        made.drop()


@dataclass
class PgFiles:
    """Raw bytes of a PostgreSQL key-store database as they are on the server's disk."""

    url: str
    start_lsn: str

    def _query(self, sql: str) -> list[tuple[object, ...]]:
        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                return [tuple(r) for r in connection.execute(text(sql))]
        finally:
            engine.dispose()

    def read(self) -> list[bytes]:
        # Everything in shared buffers goes to the files first.
        engine = make_engine(self.url)
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("CHECKPOINT"))
                data_dir = Path(str(c.execute(text("SHOW data_directory")).scalar_one()))
                relations = [str(p) for (p,) in c.execute(text(
                    "SELECT pg_relation_filepath(c.oid) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname IN ('public', 'pg_toast') AND c.relkind IN ('r','i','t') "
                    "AND pg_relation_filepath(c.oid) IS NOT NULL"))]
                end = str(c.execute(text("SELECT pg_current_wal_flush_lsn()")).scalar_one())
                start_file, start_off = c.execute(text(
                    f"SELECT file_name, file_offset FROM pg_walfile_name_offset('{self.start_lsn}')"
                )).one()
                end_file, end_off = c.execute(text(
                    f"SELECT file_name, file_offset FROM pg_walfile_name_offset('{end}')")).one()
        finally:
            engine.dispose()
        blobs = []
        for relative in relations:
            for path in sorted((data_dir / relative).parent.glob(Path(relative).name + "*")):
                if path.name.endswith(("_fsm", "_vm")):
                    continue
                blobs.append(path.read_bytes())
        # The WAL written since the installation was made, across segment files.
        wal = data_dir / "pg_wal"
        names = sorted(p.name for p in wal.iterdir()
                       if len(p.name) == 24 and start_file <= p.name <= end_file)
        for name in names:
            data = (wal / name).read_bytes()
            lo = int(start_off) if name == start_file else 0
            hi = int(end_off) if name == end_file else len(data)
            blobs.append(data[lo:hi])
        return blobs


def _current_lsn(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SELECT pg_current_wal_lsn()")).scalar_one())
    finally:
        engine.dispose()


def _keystore_copy(inst: Installation, where: Path) -> list[bytes]:
    """A copy of the key store as a file-level or logical backup would take it."""
    if inst.backend == "sqlite":
        path = Path(str(parse_url(inst.key_url).database))
        where.mkdir(parents=True, exist_ok=True)
        copies = []
        for source in (path, Path(f"{path}-wal")):
            if source.exists():
                shutil.copy2(source, where / source.name)
                copies.append((where / source.name).read_bytes())
        return copies
    dump = pg_dump(pg_bin("pg_dump"), libpq_url(inst.key_url), where.with_suffix(".sql"))
    return [dump, *hex_blobs(dump)]


def _attack(blobs: list[bytes], inst: Installation, targets: list[str],
            backup: dict[str, list[Sealed]], *, control: bool = False
            ) -> tuple[Findings, dict[str, int]]:
    wrapping = [inst.kek, *epoch_keys_in(inst.epochs_dir, inst.kek)]
    probes = {sid: backup[sid][0] for sid in targets if backup.get(sid)}
    found = carve(blobs, wrapping, targets, probes, stop_at_first=control)
    opened = {sid: decrypted(found.keys_of(sid), backup.get(sid, [])) for sid in targets}
    return found, opened


@pytest.mark.slow
def test_destroyed_keys_cannot_be_carved_from_anything_left(
    installation: Installation, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inst = installation
    start_lsn = _current_lsn(inst.key_url) if inst.backend == "postgresql" else ""
    container = inst.container()
    loaded = minimal_register()
    from derbes.register.service import registers

    registers.publish(uow_of(container), [loaded], container.clock)
    ids = [svc.add_subject(ctx_of(uow_of(container), container.keystore, container.clock, ACTOR), loaded.register, person_values(iin=iin, phone=f"+7701555{n:04d}",
                                         name=f"Person {n:03d}", email=f"p{n}@example.kz"), {})
           for n, iin in enumerate(_iins(SUBJECTS))]
    whole, partly, survivor = ids[3], ids[7], ids[9]
    backup = inst.sealed([whole, partly, survivor])  # the data database, before
    before = _keystore_copy(inst, tmp_path / "keystore-before")

    svc.destroy_subject(ctx_of(uow_of(container), container.keystore, container.clock, ACTOR), whole, "request")
    svc.destroy_categories(ctx_of(uow_of(container), container.keystore, container.clock, ACTOR), partly, ["contact.phone"], "withdrawn")
    dispose(container)
    targets = [whole, partly, survivor]
    figures: dict[str, object] = {"backend": inst.backend}

    # 1. The key store's files right after the destruction returned.
    live = inst.keystore_files() if inst.backend == "sqlite" else PgFiles(
        inst.key_url, start_lsn).read()
    found, opened = _attack(live, inst, targets, backup,
                            control=inst.backend == "postgresql")
    figures["live_windows"] = found.windows
    assert opened[survivor] == len(backup[survivor])  # the carver does find live keys
    if inst.backend == "sqlite":
        assert opened[whole] == 0 and opened[partly] == 0, opened
    else:
        # Dead rows and WAL still hold the wrapped keys, and epoch 1 still opens
        # them: the reason PostgreSQL's promise starts at the epoch close.
        assert opened[whole] == len(backup[whole]), opened

    # 2. A copy of the key store taken before the destruction, with everything after it.
    found, opened = _attack(before, inst, targets, backup, control=True)
    figures["backup_windows"] = found.windows
    assert opened[whole] == len(backup[whole]) and opened[partly] == len(backup[partly])

    # 3. Close the epoch.
    container = inst.container()
    steps = keys_svc.close_epoch(container.keystore, uow_of(container), container.clock)
    assert [s.step for s in steps][-1] == "destroyed"
    view = svc.read_subject(ctx_of(uow_of(container), container.keystore, container.clock, ACTOR), survivor, svc.SUBJECT_ACCESS_REQUEST)
    assert len(view.values) == len(backup[survivor])
    kept = svc.read_subject(ctx_of(uow_of(container), container.keystore, container.clock, ACTOR), partly, svc.SUBJECT_ACCESS_REQUEST)
    assert {v.category for v in kept.values} == {"identity.full_name", "identity.iin",
                                                 "contact.email"}
    dispose(container)

    live = inst.keystore_files() if inst.backend == "sqlite" else PgFiles(
        inst.key_url, start_lsn).read()
    total = 0
    for label, blobs in (("live", live), ("backup", before)):
        found, opened = _attack(blobs, inst, targets, backup)
        total += found.windows
        figures[f"after_close_{label}_windows"] = found.windows
        assert opened[whole] == 0, (label, opened)
        assert opened[partly] == 0, (label, opened)
    figures["candidates_after_close"] = total
    figures["decrypted_after_close"] = 0
    with capsys.disabled():
        print(f"\nforensics {figures}")


def _iins(n: int) -> list[str]:
    """``n`` valid, distinct IINs (born 1990, checksum computed)."""
    from derbes.identifiers.model import iin as kz_iin

    out: list[str] = []
    serial = 1000
    while len(out) < n:
        serial += 1
        body = f"9001013{serial:04d}"
        for digit in "0123456789":
            candidate = body + digit
            try:
                kz_iin.parse(candidate)
            except Exception:
                continue
            out.append(candidate)
            break
    return out

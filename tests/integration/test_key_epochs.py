"""Key epochs: the epoch key files, and a key store wrapping with them, on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from derbes.errors import ConfigurationError
from derbes.platform.db import make_engine
from derbes.vault.adapters import keystore_migrate
from derbes.vault.adapters.kek import LocalKek
from derbes.vault.adapters.key_epochs import DirectoryEpochKeyring
from derbes.vault.adapters.keystore import SqlKeyStore, data_keys
from derbes.vault.model import epoch_kek_id
from derbes.vault.ports import EpochState
from derbes.vault.service.keys import count_pending, rotate_kek
from tests.integration.conftest import BACKENDS, _create_database, _drop_database


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_epoch_files_are_private_created_once_and_destroyed_for_good(tmp_path: Path) -> None:
    kek = LocalKek.generate()
    directory = tmp_path / "key-epochs"
    first = DirectoryEpochKeyring(directory, kek).create(1)
    # Another process creating the same epoch gets the same key, not a second one.
    again = DirectoryEpochKeyring(directory, kek).create(1)
    data = b"\x07" * 32
    assert again.unwrap(first.wrap(data, b"aad"), b"aad") == data
    path = directory / "epoch-000001.key"
    assert _mode(directory) == 0o700 and _mode(path) == 0o600
    assert data not in path.read_bytes()

    keyring = DirectoryEpochKeyring(directory, kek)
    assert keyring.epochs() == [1] and keyring.kek_ids() == {1: kek.kek_id}
    inode = path.stat().st_ino
    assert keyring.destroy(1) and not path.exists()
    assert not keyring.destroy(1)
    with pytest.raises(ConfigurationError, match="does not exist"):
        keyring.cipher(1)
    # A process that had it cached forgets it too.
    with pytest.raises(ConfigurationError):
        DirectoryEpochKeyring(directory, kek).cipher(1)
    assert inode  # the file was overwritten in place before the unlink (see destroy)


def test_an_epoch_file_renamed_to_another_epoch_does_not_open(tmp_path: Path) -> None:
    kek = LocalKek.generate()
    keyring = DirectoryEpochKeyring(tmp_path, kek)
    keyring.create(1)
    text = (tmp_path / "epoch-000001.key").read_text().replace("epoch 1\n", "epoch 2\n")
    (tmp_path / "epoch-000002.key").write_text(text)
    with pytest.raises(ConfigurationError):
        DirectoryEpochKeyring(tmp_path, kek).cipher(2)


def test_a_wrong_kek_names_both_keks(tmp_path: Path) -> None:
    kek, wrong = LocalKek.generate(), LocalKek.generate()
    DirectoryEpochKeyring(tmp_path, kek).create(1)
    with pytest.raises(ConfigurationError) as caught:
        DirectoryEpochKeyring(tmp_path, wrong).cipher(1)
    assert kek.kek_id in caught.value.message and wrong.kek_id in caught.value.message


@pytest.fixture(params=BACKENDS)
def key_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'keys.sqlite3'}"
        keystore_migrate.upgrade(url)
        engine = make_engine(url)
        yield engine
        engine.dispose()
        return
    server: str = request.getfixturevalue("pg_server_url")
    name = f"derbes_epochs_{secrets.token_hex(5)}"
    url = _create_database(server, name)
    keystore_migrate.upgrade(url)
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        _drop_database(server, name)


def _store(engine: Engine, directory: Path, kek: LocalKek) -> SqlKeyStore:
    return SqlKeyStore(engine, kek, epochs=DirectoryEpochKeyring(directory, kek))


def test_keys_are_wrapped_by_the_open_epoch_and_survive_its_close(
    key_engine: Engine, tmp_path: Path
) -> None:
    kek = LocalKek.generate()
    store = _store(key_engine, tmp_path / "e", kek)
    created = store.create_keys([f"s{i:03d}" for i in range(25)])
    swap = store.prepare_swaps(["s003"], "pending-swap")["s003"]
    assert list(store.close_epoch(batch_size=7)) == []  # nothing destroyed: left open
    legacy = SqlKeyStore(key_engine, kek).create_keys(["old-1", "old-2"])  # as before epochs
    assert {c.kek_id for c in store.kek_counts() if c.kind == "data"} == {
        epoch_kek_id(1), kek.kek_id}
    assert store.destroy(["s000", "s001"]) == 2
    status = {e.epoch: e for e in store.epoch_status()}
    assert status[1].keys_destroyed == 2 and status[1].first_destroyed_at is not None

    steps = list(store.close_epoch(batch_size=7))

    assert [s.step for s in steps] == ["opened", *["rewrapped"] * 4, "closed", "destroyed"]
    assert sum(s.count for s in steps) == 23 + 2  # 23 live keys + 2 legacy
    status = {e.epoch: e for e in store.epoch_status()}
    assert status[1].state == EpochState.CLOSED and not status[1].key_exists
    assert status[2].state == EpochState.OPEN and status[2].keys == 23 + 2 + 1
    reopened = _store(key_engine, tmp_path / "e", kek)
    survivors = {k: v for k, v in {**created, **legacy}.items() if k not in {"s000", "s001"}}
    assert reopened.keys_for(list(survivors)) == survivors
    assert reopened.candidate_keys(["s003"])["s003"] == swap  # the pending next key moved too
    with key_engine.connect() as connection:
        assert set(connection.execute(select(data_keys.c.kek_id)).scalars()) == {
            epoch_kek_id(2)}
    assert sorted(p.name for p in (tmp_path / "e").glob("epoch-*")) == ["epoch-000002.key"]


def test_kek_rotation_rewraps_the_epoch_keys_not_every_data_key(
    key_engine: Engine, tmp_path: Path
) -> None:
    old, new = LocalKek.generate(), LocalKek.generate()
    store = _store(key_engine, tmp_path / "e", old)
    store.ensure_system_keys()
    created = store.create_keys([f"s{i:03d}" for i in range(40)])
    assert count_pending(store.kek_counts(), new.kek_id) == 2 + 1  # system keys + epoch 1

    assert rotate_kek(store, old, new, batch_size=10) == 3

    rotated = _store(key_engine, tmp_path / "e", new)
    assert rotated.keys_for(list(created)) == created
    assert count_pending(rotated.kek_counts(), new.kek_id) == 0
    with pytest.raises(ConfigurationError):
        _store(key_engine, tmp_path / "e", old).keys_for(["s000"])

"""Key files on disk: creation mode, refusal of readable files, source order, file rotation."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from derbes.bootstrap import Container
from derbes.errors import ConfigurationError
from derbes.platform.db import make_engine
from derbes.settings import Settings
from derbes.vault.adapters import keystore_migrate
from derbes.vault.adapters.kek import EnvKek, FileKek, load_kek, pending_kek_file
from derbes.vault.adapters.key_epochs import DirectoryEpochKeyring
from derbes.vault.adapters.key_files import KEY_FILES
from derbes.vault.adapters.keystore import SqlKeyStore
from derbes.vault.service.keys import Progress, count_pending, rotate_key_file
from tests.keystore_contract import assert_kek_protocol


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_create_writes_a_0600_file_and_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "var" / "kek.key"
    previous = os.umask(0)  # even a permissive umask gives 0600
    try:
        kek = FileKek.create(path)
    finally:
        os.umask(previous)
    assert _mode(path) == 0o600
    assert len(base64.b64decode(path.read_text())) == 32
    assert FileKek(path).kek_id == kek.kek_id
    assert_kek_protocol(kek)
    before = path.read_bytes()
    with pytest.raises(ConfigurationError) as caught:
        FileKek.create(path)
    assert "never overwrites" in caught.value.message
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["kek.key"]  # no temporary left


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_file_readable_by_group_or_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "kek.key"
    FileKek.create(path)
    path.chmod(mode)
    with pytest.raises(ConfigurationError) as caught:
        FileKek(path)
    message = caught.value.message
    assert f"{mode:04o}" in message and "chmod 600" in message
    assert path.read_text().strip() not in message


def test_missing_or_garbled_key_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        FileKek(tmp_path / "absent.key")
    assert "absent.key" in caught.value.message and "derbes init" in caught.value.message
    garbled = tmp_path / "garbled.key"
    garbled.write_text("c2hvcnQ=\n")  # base64 of "short"
    garbled.chmod(0o600)
    with pytest.raises(ConfigurationError) as caught:
        FileKek(garbled)
    assert "garbled.key" in caught.value.message


def test_environment_wins_then_the_key_file(tmp_path: Path) -> None:
    path = tmp_path / "kek.key"
    file_kek = FileKek.create(path)
    env_value = base64.b64encode(bytes(range(32))).decode()
    chosen = load_kek(key_file=path, env_value=env_value)
    assert isinstance(chosen, EnvKek)
    chosen = load_kek(key_file=path)
    assert isinstance(chosen, FileKek) and chosen.kek_id == file_kek.kek_id


def test_no_kek_anywhere_says_which_sources_were_tried(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_kek(key_file=tmp_path / "kek.key")
    message = caught.value.message
    assert "DERBES_KEK" in message and "DERBES_VAULT_ADDR" in message
    assert str(tmp_path / "kek.key") in message


def test_half_configured_vault_names_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_kek(key_file=tmp_path / "kek.key", vault_addr="http://127.0.0.1:1")
    assert "DERBES_VAULT_TRANSIT_KEY" in caught.value.message
    assert "DERBES_VAULT_TOKEN" in caught.value.message


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        var_dir=tmp_path,
        kek_file=tmp_path / "kek.key",
        keystore_url=f"sqlite:///{tmp_path / 'keys.sqlite3'}",
        database_url=f"sqlite:///{tmp_path / 'derbes.sqlite3'}",
        kek=None,
        vault_addr=None,
        vault_transit_key=None,
    )


def test_wrong_kek_from_the_environment_is_a_configuration_error(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    FileKek.create(settings.kek_file)
    keystore_migrate.upgrade(settings.keystore_url)
    stored = Container(settings=settings).keystore.create_keys(["a"])
    wrong = base64.b64encode(os.urandom(32)).decode()
    container = Container(settings=settings.model_copy(update={"kek": SecretStr(wrong)}))
    try:
        with pytest.raises(ConfigurationError) as caught:
            container.keystore.keys_for(["a"])
        message = caught.value.message
        assert "environment variable DERBES_KEK" in message
        assert wrong not in message and stored["a"].hex() not in message
    finally:
        container.keystore_engine.dispose()


def test_key_file_rotation_survives_a_crash_and_switches_files_last(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    kek_file = settings.kek_file
    old = FileKek.create(kek_file)
    old_bytes = kek_file.read_bytes()
    keystore_migrate.upgrade(settings.keystore_url)
    engine = make_engine(settings.keystore_url)
    try:
        store = SqlKeyStore(engine, old)
        store.ensure_system_keys()
        created = store.create_keys([f"s{i:04d}" for i in range(500)])
        progress: list[int] = []

        def crash(count: int) -> None:
            progress.append(count)
            if len(progress) == 3:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            rotate_key_file(store, old, files=KEY_FILES, batch_size=100,
                            progress=Progress(advance=crash))

        # Crashed mid-way: the old file is untouched, the new KEK waits in its own file.
        pending = pending_kek_file(kek_file)
        assert kek_file.read_bytes() == old_bytes
        assert pending.is_file() and _mode(pending) == 0o600
        new_id = FileKek(pending).kek_id
        assert count_pending(store.kek_counts(), new_id) == 300
        # A fresh process (bootstrap) wraps with the pending KEK and reads both.
        container = Container(settings=settings)
        try:
            assert container.keystore.kek.kek_id == new_id
            assert container.keystore.keys_for(list(created)) == created
            late = container.keystore.create_keys(["late"])
        finally:
            container.keystore_engine.dispose()

        # The rotation runs in a process set up like every derbes process: with
        # the epoch keyring (the late key is wrapped by epoch 1, whose key the
        # bootstrap wrapped with the pending KEK already).
        epochs = DirectoryEpochKeyring(settings.epochs_dir, old)
        store = SqlKeyStore(engine, old, epochs=epochs)
        starts: list[int] = []
        result = rotate_key_file(store, old, files=KEY_FILES, batch_size=100,
                                 progress=Progress(start=starts.append))

        assert result.resumed and result.switched
        assert starts == [300]
        assert result.rewrapped == 300
        assert (result.old_kek_id, result.new_kek_id) == (old.kek_id, new_id)
        assert FileKek(kek_file).kek_id == new_id and _mode(kek_file) == 0o600
        assert not pending.exists()
        assert result.retired_file is not None
        assert result.retired_file.read_bytes() == old_bytes
        assert _mode(result.retired_file) == 0o600
        rotated = FileKek(kek_file)
        assert SqlKeyStore(engine, rotated, epochs=DirectoryEpochKeyring(
            settings.epochs_dir, rotated)).keys_for([*created, "late"]) == {
            **created,
            **late,
        }
        assert count_pending(store.kek_counts(), new_id) == 0
    finally:
        engine.dispose()


def test_rotation_finishes_when_the_crash_came_after_the_switch(tmp_path: Path) -> None:
    kek_file = tmp_path / "kek.key"
    old = FileKek.create(kek_file)
    store = SqlKeyStore(make_engine(f"sqlite:///{tmp_path / 'k.sqlite3'}"), old)
    keystore_migrate.upgrade(store.engine)
    try:
        store.create_keys(["a"])
        # The key file already holds the new KEK, but the .new file was not removed.
        pending = FileKek.create(pending_kek_file(kek_file))
        store_new = SqlKeyStore(store.engine, pending, also_unwrap_with=(old,))
        assert sum(1 for _ in store_new.rewrap(old, pending)) > 0
        pending.install_as(kek_file)

        result = rotate_key_file(store_new, FileKek(kek_file), files=KEY_FILES)

        assert result.rewrapped == 0 and result.retired_file is None
        assert not pending_kek_file(kek_file).exists()
        assert FileKek(kek_file).kek_id == pending.kek_id
    finally:
        store.engine.dispose()


def test_rotating_away_from_an_environment_kek_needs_a_new_key_file(tmp_path: Path) -> None:
    env_kek = EnvKek(base64.b64encode(os.urandom(32)).decode())
    store = SqlKeyStore(make_engine(f"sqlite:///{tmp_path / 'k.sqlite3'}"), env_kek)
    keystore_migrate.upgrade(store.engine)
    try:
        created = store.create_keys(["a", "b"])
        with pytest.raises(ConfigurationError) as caught:
            rotate_key_file(store, env_kek, files=KEY_FILES)
        assert "--new-kek-file" in caught.value.message

        result = rotate_key_file(store, env_kek, files=KEY_FILES, new_kek_file=tmp_path / "new.key")

        assert not result.switched and result.kek_file == tmp_path / "new.key"
        assert result.rewrapped == 2
        assert SqlKeyStore(store.engine, FileKek(tmp_path / "new.key")).keys_for(["a", "b"]) == created
    finally:
        store.engine.dispose()

"""The SQL key store on SQLite and on a separate PostgreSQL database, and its migrations."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, update

from derbes.errors import ConfigurationError
from derbes.platform import migrate
from derbes.platform.db import make_engine
from derbes.vault.adapters import keystore_migrate
from derbes.vault.adapters.kek import LocalKek
from derbes.vault.adapters.keystore import VERSION_TABLE, SqlKeyStore, data_keys, keystore_metadata
from derbes.vault.ports import KeyEncryptionKey, RotatableKeyStore
from tests.integration.conftest import BACKENDS, _create_database, _drop_database
from tests.keystore_contract import KeyStoreContract, StoreMaker


@pytest.fixture(params=BACKENDS)
def keystore_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A key-store database of its own, migrated by the key store's Alembic environment."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'keys.sqlite3'}"
        keystore_migrate.upgrade(url)
        yield url
        return
    server: str = request.getfixturevalue("pg_server_url")
    name = f"derbes_keys_{secrets.token_hex(6)}"
    url = _create_database(server, name)
    try:
        keystore_migrate.upgrade(url)
        yield url
    finally:
        _drop_database(server, name)


@pytest.fixture
def keystore_engine(keystore_url: str) -> Iterator[Engine]:
    engine = make_engine(keystore_url)
    yield engine
    engine.dispose()


class TestSqlKeyStore(KeyStoreContract):
    @pytest.fixture
    def stores(self, keystore_engine: Engine) -> StoreMaker:
        def open_store(
            kek: KeyEncryptionKey, also_unwrap_with: Sequence[KeyEncryptionKey] = ()
        ) -> RotatableKeyStore:
            return SqlKeyStore(keystore_engine, kek, also_unwrap_with=also_unwrap_with)

        return open_store


def test_no_plaintext_key_is_stored(keystore_engine: Engine) -> None:
    store = SqlKeyStore(keystore_engine, LocalKek.generate())
    created = store.create_keys(["a", "b"])
    with keystore_engine.connect() as connection:
        rows = connection.execute(select(data_keys.c.wrapped)).scalars().all()
    assert len(rows) == 2
    for wrapped in rows:
        assert all(key not in wrapped for key in created.values())


def test_wrapped_keys_swapped_between_subjects_do_not_unwrap(keystore_engine: Engine) -> None:
    store = SqlKeyStore(keystore_engine, LocalKek.generate())
    store.create_keys(["a", "b"])
    with keystore_engine.begin() as connection:
        wrapped = dict(
            connection.execute(select(data_keys.c.subject_id, data_keys.c.wrapped)).all()
        )
        for sid, other in (("a", "b"), ("b", "a")):
            connection.execute(
                update(data_keys).where(data_keys.c.subject_id == sid).values(wrapped=wrapped[other])
            )
    with pytest.raises(ConfigurationError):
        store.keys_for(["a"])


def test_key_store_schema_matches_its_tables_and_upgrade_is_idempotent(
    keystore_url: str, keystore_engine: Engine
) -> None:
    state = keystore_migrate.current(keystore_url)
    assert state.revision == "k0002" == state.head
    before, after = keystore_migrate.upgrade(keystore_url)
    assert before.revision == after.revision == "k0002"
    with keystore_engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "version_table": VERSION_TABLE}
        )
        assert compare_metadata(context, keystore_metadata) == []
    tables = set(inspect(keystore_engine).get_table_names())
    assert tables == {"data_keys", "system_keys", "key_epochs", VERSION_TABLE}
    assert keystore_migrate.downgrade(keystore_url, "base").revision is None
    assert set(inspect(keystore_engine).get_table_names()) == {VERSION_TABLE}


def test_key_store_can_share_a_database_with_the_data_without_mixing_histories(
    empty_db_url: str,
) -> None:
    keystore_migrate.upgrade(empty_db_url)
    migrate.upgrade(empty_db_url)
    assert keystore_migrate.current(empty_db_url).revision == "k0002"
    assert migrate.current(empty_db_url).revision == migrate.head_revision()
    engine = make_engine(empty_db_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"alembic_version", VERSION_TABLE, "data_keys", "system_keys"} <= tables


def test_an_unreachable_key_store_is_a_configuration_error(tmp_path: Path) -> None:
    url = f"postgresql://derbes:s3cret@/keys?host={tmp_path}&port=1"
    with pytest.raises(ConfigurationError) as caught:
        keystore_migrate.upgrade(url)
    assert "key store" in caught.value.message
    assert "s3cret" not in caught.value.message

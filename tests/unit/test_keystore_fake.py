"""The in-memory key store holds to the KeyStore contract; local KEKs; rotation service."""

from __future__ import annotations

import base64
from collections.abc import Sequence

import pytest

from derbes.errors import ConfigurationError
from derbes.testing.vault import InMemoryKeyStore
from derbes.vault.adapters.kek import EnvKek, LocalKek
from derbes.vault.ports import KeyEncryptionKey, KeyStore, RotatableKeyStore
from tests.keystore_contract import KeyStoreContract, StoreMaker, assert_kek_protocol


class TestInMemoryKeyStore(KeyStoreContract):
    @pytest.fixture
    def stores(self) -> StoreMaker:
        shared = InMemoryKeyStore()

        def open_store(
            kek: KeyEncryptionKey, also_unwrap_with: Sequence[KeyEncryptionKey] = ()
        ) -> RotatableKeyStore:
            store = InMemoryKeyStore(kek, also_unwrap_with=also_unwrap_with)
            store.data = shared.data
            store.system = shared.system
            return store

        return open_store


def test_the_fake_satisfies_the_protocols() -> None:
    store: KeyStore = InMemoryKeyStore()
    rotatable: RotatableKeyStore = InMemoryKeyStore()
    assert store.index_key() and rotatable.kek.kek_id


def test_wrapped_keys_swapped_between_subjects_do_not_unwrap() -> None:
    store = InMemoryKeyStore()
    store.create_keys(["a", "b"])
    store.data["a"], store.data["b"] = store.data["b"], store.data["a"]
    with pytest.raises(ConfigurationError):
        store.keys_for(["a"])


def test_local_kek_wraps_with_aad_and_never_shows_the_key() -> None:
    kek = LocalKek(bytes(32), source="test")
    assert_kek_protocol(kek)
    assert kek.kek_id == "66687aadf862bd77"  # first 16 hex of SHA-256 of 32 zero bytes
    assert "\\x00" not in repr(kek) and kek.kek_id in repr(kek)
    with pytest.raises(ConfigurationError):
        LocalKek(b"short")


def test_env_kek_decodes_base64_and_names_the_variable_on_error() -> None:
    key = bytes(range(32))
    kek = EnvKek(base64.b64encode(key).decode())
    assert kek.kek_id == LocalKek(key).kek_id
    assert kek.source == "environment variable DERBES_KEK"
    for bad in ("not base64!", base64.b64encode(b"too short").decode()):
        with pytest.raises(ConfigurationError) as caught:
            EnvKek(bad)
        assert "DERBES_KEK" in caught.value.message
        assert bad not in caught.value.message

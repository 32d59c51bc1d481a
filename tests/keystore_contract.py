"""The KeyStore contract, run on the in-memory fake (unit) and on SQL (integration).

A subclass provides the ``stores`` fixture: a ``StoreMaker`` that opens stores
over ONE backing storage with any KEK, so tests can reopen the same keys with
a wrong or a rotated KEK.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from derbes.errors import ConfigurationError, ConflictError, CryptoError, NotFoundError
from derbes.vault.adapters.kek import LocalKek
from derbes.vault.ports import KekCount, KeyEncryptionKey, RotatableKeyStore
from derbes.vault.service.keys import count_pending, rotate_kek

StoreMaker = Callable[..., RotatableKeyStore]
# stores(kek, also_unwrap_with=()) -> a store over the shared storage


def _ids(n: int, prefix: str = "subj") -> list[str]:
    return [f"{prefix}-{i:06d}" for i in range(n)]


def _by_kek(counts: Sequence[KekCount]) -> dict[tuple[str, str], int]:
    return {(c.kind, c.kek_id): c.keys for c in counts}


class KeyStoreContract:
    @pytest.fixture
    def kek(self) -> LocalKek:
        return LocalKek.generate()

    def test_created_keys_are_random_aes256_keys_read_back_unchanged(
        self, stores: StoreMaker, kek: LocalKek
    ) -> None:
        store = stores(kek)
        created = store.create_keys(["a", "b", "c"])
        assert set(created) == {"a", "b", "c"}
        assert all(len(key) == 32 for key in created.values())
        assert len(set(created.values())) == 3
        assert store.keys_for(["c", "a", "missing", "a"]) == {"a": created["a"], "c": created["c"]}
        assert stores(kek).keys_for(["b"]) == {"b": created["b"]}

    def test_nothing_in_nothing_out(self, stores: StoreMaker, kek: LocalKek) -> None:
        store = stores(kek)
        assert store.create_keys([]) == {}
        assert store.keys_for([]) == {}
        assert store.destroy([]) == 0

    def test_a_second_key_for_a_subject_is_refused_and_nothing_is_stored(
        self, stores: StoreMaker, kek: LocalKek
    ) -> None:
        store = stores(kek)
        first = store.create_keys(["a"])
        with pytest.raises(ConflictError):
            store.create_keys(["new-one", "a"])
        assert store.keys_for(["a", "new-one"]) == first
        with pytest.raises(ConflictError):
            store.create_keys(["x", "x"])
        assert store.keys_for(["x"]) == {}

    def test_replace_key_returns_old_and_new_and_keeps_only_the_new(
        self, stores: StoreMaker, kek: LocalKek
    ) -> None:
        store = stores(kek)
        created = store.create_keys(["a", "b"])
        old, new = store.replace_key("a")
        assert old == created["a"]
        assert new != old and len(new) == 32
        assert store.keys_for(["a", "b"]) == {"a": new, "b": created["b"]}
        with pytest.raises(NotFoundError):
            store.replace_key("missing")

    def test_destroy_shreds_keys_and_counts_what_existed(
        self, stores: StoreMaker, kek: LocalKek
    ) -> None:
        store = stores(kek)
        created = store.create_keys(["a", "b", "c"])
        assert store.destroy(["a", "c", "missing", "a"]) == 2
        assert store.keys_for(["a", "b", "c"]) == {"b": created["b"]}
        assert store.destroy(["a"]) == 0
        with pytest.raises(NotFoundError):
            store.replace_key("a")

    def test_system_keys_are_created_once_and_stay_the_same(
        self, stores: StoreMaker, kek: LocalKek
    ) -> None:
        store = stores(kek)
        assert set(store.ensure_system_keys()) == {"blind_index", "audit_chain"}
        assert store.ensure_system_keys() == ()
        index, audit = store.index_key(), store.audit_key()
        assert len(index) == 32 and len(audit) == 32 and index != audit
        reopened = stores(kek)
        assert reopened.index_key() == index
        assert reopened.audit_key() == audit

    def test_system_keys_are_created_on_first_use(self, stores: StoreMaker, kek: LocalKek) -> None:
        store = stores(kek)
        index = store.index_key()
        assert stores(kek).index_key() == index
        assert stores(kek).ensure_system_keys() == ("audit_chain",)

    def test_a_wrong_kek_is_a_configuration_error_without_key_material(
        self, stores: StoreMaker, kek: LocalKek
    ) -> None:
        created = stores(kek).create_keys(["a"])
        wrong = LocalKek.generate()
        with pytest.raises(ConfigurationError) as caught:
            stores(wrong).keys_for(["a"])
        message = caught.value.message
        assert kek.kek_id in message and wrong.kek_id in message
        assert created["a"].hex() not in message
        stores(kek).ensure_system_keys()
        with pytest.raises(ConfigurationError):
            stores(wrong).index_key()

    def test_many_keys_cross_every_batch_boundary(self, stores: StoreMaker, kek: LocalKek) -> None:
        ids = _ids(12_345)
        store = stores(kek)
        created = store.create_keys(ids)
        assert len(created) == len(ids)
        assert store.keys_for(ids) == created
        assert store.destroy(ids[:6_000]) == 6_000
        assert len(store.keys_for(ids)) == 6_345

    def test_rotation_rewraps_every_key_and_the_old_kek_no_longer_reads(
        self, stores: StoreMaker, kek: LocalKek
    ) -> None:
        store = stores(kek)
        created = store.create_keys(_ids(250))
        index = store.index_key()
        audit = store.audit_key()
        new = LocalKek.generate()
        progress: list[int] = []

        rewrapped = rotate_kek(store, kek, new, batch_size=100, on_progress=progress.append)

        assert rewrapped == 252 == sum(progress)
        assert _by_kek(store.kek_counts()) == {("data", new.kek_id): 250, ("system", new.kek_id): 2}
        rotated = stores(new)
        assert rotated.keys_for(list(created)) == created
        assert rotated.index_key() == index and rotated.audit_key() == audit
        with pytest.raises(ConfigurationError):
            stores(kek).keys_for(["subj-000000"])
        assert rotate_kek(rotated, kek, new) == 0  # nothing left: a rerun is a no-op

    def test_rotation_resumes_after_a_crash(self, stores: StoreMaker, kek: LocalKek) -> None:
        store = stores(kek)
        store.ensure_system_keys()
        created = store.create_keys(_ids(300))
        new = LocalKek.generate()
        batches: list[int] = []

        def crash_after_two_batches(count: int) -> None:
            batches.append(count)
            if len(batches) == 2:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            rotate_kek(store, kek, new, batch_size=100, on_progress=crash_after_two_batches)

        # System keys (one batch) and 100 data keys went over; the rest still old.
        counts = _by_kek(store.kek_counts())
        assert counts[("data", new.kek_id)] == 100
        assert counts[("data", kek.kek_id)] == 200
        assert count_pending(store.kek_counts(), new.kek_id) == 200
        # Meanwhile a store that knows both KEKs reads every key.
        both = stores(new, also_unwrap_with=(kek,))
        assert both.keys_for(list(created)) == created
        # A key created with the old KEK during the crash window is caught too.
        late = stores(kek).create_keys(["subj-000000-late"])

        assert rotate_kek(stores(kek), kek, new, batch_size=100) == 201

        assert count_pending(store.kek_counts(), new.kek_id) == 0
        assert stores(new).keys_for([*created, *late]) == {**created, **late}


def assert_kek_protocol(kek: KeyEncryptionKey) -> None:
    """What every KEK does: round trip, AAD binding."""
    data_key = b"\x01" * 32
    wrapped = kek.wrap(data_key, b"subject-a")
    assert data_key not in wrapped
    assert kek.unwrap(wrapped, b"subject-a") == data_key
    with pytest.raises((ConfigurationError, CryptoError)):
        kek.unwrap(wrapped, b"subject-b")

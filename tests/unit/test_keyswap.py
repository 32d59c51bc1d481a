"""The journaled key swap of partial destruction, on the fake unit of work and key store.

Every state a crash can leave (new key prepared or not, data committed or not,
key store finished or not) is built by hand here, then settled; the crash tests
in tests/integration/test_crash_safe_destruction.py reach the same states by
killing the real CLI.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from derbes.errors import ConflictError, NotFoundError
from derbes.platform import crypto
from derbes.platform.clock import FixedClock
from derbes.register.service import registers
from derbes.testing.context import context as ctx_of
from derbes.testing.uow import FakeUnitOfWork
from derbes.testing.vault import InMemoryKeyStore
from derbes.vault.model import SUBJECT_ACCESS_REQUEST
from derbes.vault.ports import ABORTED, COMMITTED
from derbes.vault.service import keyswap
from derbes.vault.service import subjects as svc
from tests.vault_support import PHONE, minimal_register, person_values

ACTOR = "test:keyswap"
KEPT = {"identity.full_name", "identity.iin", "contact.email"}


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.keys = InMemoryKeyStore()
        self.clock = FixedClock()
        loaded = minimal_register()
        registers.publish(self.uow, [loaded], self.clock)
        self.sid = svc.add_subject(ctx_of(self.uow, self.keys, self.clock, ACTOR), loaded.register, person_values(), {})

    def values(self) -> dict[str, object]:
        view = svc.read_subject(ctx_of(self.uow, self.keys, self.clock, ACTOR), self.sid, SUBJECT_ACCESS_REQUEST)
        return {v.category: v.value for v in view.values}

    def reseal_under(self, key: bytes, swap_id: str, *, doomed: str = "contact.phone") -> None:
        """The swap's data transaction, as destroy_categories runs it."""
        with self.uow:
            self.uow.key_swaps.commit(swap_id, 1, self.clock.now())
            current = self.keys.candidate_keys([self.sid])[self.sid]
            resealed = []
            for stored in self.uow.vault.values(self.sid):
                if stored.category == doomed:
                    continue
                aad = crypto.value_aad(stored.subject_id, stored.category, stored.seq)
                plain = next(p for k in current for p in [_try(k, stored.sealed, aad)]
                             if p is not None)
                resealed.append(replace(stored, sealed=crypto.seal(key, plain, aad)))
            self.uow.vault.delete_values(self.sid, [doomed])
            self.uow.vault.put_values(resealed)
            self.uow.commit()


def _try(key: bytes, sealed: bytes, aad: bytes) -> bytes | None:
    try:
        return crypto.open_sealed(key, sealed, aad)
    except Exception:
        return None


@pytest.fixture
def world() -> World:
    return World()


def test_a_swap_prepared_but_never_committed_is_dropped(world: World) -> None:
    before = world.values()
    old = world.keys.keys_for([world.sid])[world.sid]
    world.keys.prepare_swaps([world.sid], "s1")  # then the crash
    assert world.values() == before  # both keys are offered: nothing is unreadable

    report = keyswap.settle(world.uow, world.keys, world.clock)

    assert (report.committed, report.aborted) == (0, 1)
    assert world.keys.keys_for([world.sid])[world.sid] == old
    assert world.keys.pending_swaps() == []
    assert world.uow.fake_key_swaps.rows == {"s1": ABORTED}  # kept: a late commit must fail
    assert world.values() == before


def test_a_swap_the_data_database_committed_is_finished(world: World) -> None:
    before = world.values()
    old, new = world.keys.prepare_swaps([world.sid], "s2")[world.sid]
    world.reseal_under(new, "s2")  # then the crash, before the key store finished
    after = {k: v for k, v in before.items() if k != "contact.phone"}
    assert world.values() == after  # sealed under the next key, which readers get too

    report = keyswap.settle(world.uow, world.keys, world.clock)

    assert (report.committed, report.aborted) == (1, 0)
    assert world.keys.keys_for([world.sid])[world.sid] == new != old
    assert world.keys.candidate_keys([world.sid])[world.sid] == (new,)
    assert world.uow.fake_key_swaps.rows == {}  # forgotten once the key store is done
    assert world.values() == after


def test_a_late_data_commit_after_the_swap_was_settled_fails(world: World) -> None:
    _old, new = world.keys.prepare_swaps([world.sid], "s3")[world.sid]
    keyswap.settle(world.uow, world.keys, world.clock)  # another process: aborted
    before = world.values()
    with pytest.raises(ConflictError):
        world.reseal_under(new, "s3")
    assert world.values() == before  # nothing of the late transaction was applied


def test_committed_journal_rows_of_finished_swaps_are_forgotten_aborted_ones_kept(
    world: World,
) -> None:
    with world.uow:
        world.uow.key_swaps.commit("done-long-ago", 1, world.clock.now())
        world.uow.key_swaps.claim_aborted("refused", world.clock.now())
        world.uow.commit()
    keyswap.settle(world.uow, world.keys, world.clock)
    assert world.uow.fake_key_swaps.rows == {"refused": ABORTED}


def test_new_values_are_sealed_under_the_key_the_data_database_is_committed_to(
    world: World,
) -> None:
    old, new = world.keys.prepare_swaps([world.sid], "s4")[world.sid]
    with world.uow:
        assert keyswap.sealing_key(world.uow, world.keys, world.sid) == old
    world.reseal_under(new, "s4")
    with world.uow:
        assert keyswap.sealing_key(world.uow, world.keys, world.sid) == new
    with world.uow:
        assert world.uow.key_swaps.states(["s4"]) == {"s4": COMMITTED}
    # An update in this window seals under the next key: it survives the settle.
    svc.update_values(ctx_of(world.uow, world.keys, world.clock, ACTOR), world.sid, add=[person_values(phone=PHONE)[2]])
    keyswap.settle(world.uow, world.keys, world.clock)
    assert world.values()["contact.phone"] == PHONE


def test_destroy_categories_settles_an_interrupted_one_first(world: World) -> None:
    _old, new = world.keys.prepare_swaps([world.sid], "s5")[world.sid]
    world.reseal_under(new, "s5")  # phone gone, old key still stored
    # Asked again: the phone is gone already; the interrupted swap is finished.
    with pytest.raises(NotFoundError):
        svc.destroy_categories(ctx_of(world.uow, world.keys, world.clock, ACTOR), world.sid, ["contact.phone"], "again")
    assert world.keys.pending_swaps() == []
    assert world.keys.keys_for([world.sid])[world.sid] == new
    assert set(world.values()) == KEPT


def test_a_failed_data_transaction_drops_the_new_key_at_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = world.keys.keys_for([world.sid])[world.sid]
    before = world.values()

    def broken(*_args: object, **_kw: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(world.uow.fake_vault, "put_values", broken)
    with pytest.raises(OSError, match="disk full"):
        svc.destroy_categories(ctx_of(world.uow, world.keys, world.clock, ACTOR), world.sid, ["contact.phone"], "x")
    monkeypatch.undo()
    assert world.keys.pending_swaps() == []
    assert world.keys.keys_for([world.sid])[world.sid] == old
    assert world.values() == before

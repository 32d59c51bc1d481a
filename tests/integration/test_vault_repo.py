"""The vault repository contract, held on the fake, SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from derbes.errors import ConflictError
from derbes.testing.context import context as ctx_of
from derbes.uow import UnitOfWork
from derbes.vault.model import NewValue
from derbes.vault.ports import CardToken, CategoryBlock, Lookup, SealedValue, SubjectRecord
from derbes.vault.service import subjects as svc
from tests.integration.vault_env import ACTOR, VaultEnv, open_env
from tests.vault_support import FULL_NAME, IIN, PHONE, PHONE_B, person_values, prov

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _value(subject_id: str, category: str, seq: int = 0, sealed: bytes = b"\x01" * 40
           ) -> SealedValue:
    return SealedValue(subject_id, category, seq, sealed, "text", "subject",
                       ("payment_service",), "web_form", T0, T0)


def _subject(subject_id: str, operator_id: str = "op-a") -> SubjectRecord:
    return SubjectRecord(subject_id, operator_id, T0)


def test_add_many_and_read_back(uow_factory: Callable[[], UnitOfWork]) -> None:
    with uow_factory() as uow:
        uow.vault.add_many(
            [_subject("s1"), _subject("s2", "op-b")],
            [_value("s1", "identity.full_name"), _value("s1", "contact.phone", 0),
             _value("s1", "contact.phone", 1), _value("s2", "identity.full_name")],
            [Lookup("op-a", "iin", "d1", "s1"), Lookup("op-b", "iin", "d1", "s2")],
            [CardToken("ctok_1", "s1", "411111", "1111", "visa", T0)],
        )
        uow.commit()
    with uow_factory() as uow:
        got = uow.vault.values("s1")
        assert [(v.category, v.seq) for v in got] == [
            ("contact.phone", 0), ("contact.phone", 1), ("identity.full_name", 0)]
        assert got[0].purposes == ("payment_service",)
        assert got[0].collected_at == T0
        assert [v.category for v in uow.vault.values("s1", ["identity.full_name"])] == [
            "identity.full_name"]
        # The same person may be a subject of two operators.
        assert [x.subject_id for x in uow.vault.find("iin", "d1")] == ["s1", "s2"]
        assert [x.subject_id for x in uow.vault.find("iin", "d1", "op-b")] == ["s2"]
        assert [c.token for c in uow.vault.cards("s1")] == ["ctok_1"]
        subject = uow.vault.get("s1", for_update=True)
        assert subject is not None and subject.created_at == T0 and not subject.destroyed


def test_duplicate_identifier_is_a_conflict_and_the_transaction_goes_on(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    with uow_factory() as uow:
        uow.vault.add_many([_subject("s1"), _subject("s2")], [],
                           [Lookup("op-a", "phone", "d", "s1")])
        uow.commit()
    with uow_factory() as uow:
        with pytest.raises(ConflictError):
            uow.vault.add_lookups([Lookup("op-a", "phone", "d", "s2")])
        uow.vault.add_lookups([Lookup("op-a", "phone", "e", "s2")])  # still usable
        uow.commit()
    with uow_factory() as uow:
        assert [(x.kind, x.digest) for x in uow.vault.lookups("s2")] == [("phone", "e")]


def test_put_delete_blocks_and_tombstone(uow_factory: Callable[[], UnitOfWork]) -> None:
    with uow_factory() as uow:
        uow.vault.add_many([_subject("s1")], [_value("s1", "a"), _value("s1", "b")],
                           [Lookup("op-a", "iin", "d", "s1")],
                           [CardToken("ctok_1", "s1", "411111", "1111", "visa", T0)])
        uow.vault.put_values([_value("s1", "a", sealed=b"\x02" * 40), _value("s1", "c")])
        assert {(v.category, v.sealed[:1]) for v in uow.vault.values("s1")} == {
            ("a", b"\x02"), ("b", b"\x01"), ("c", b"\x01")}
        assert uow.vault.delete_values("s1", seqs=[("b", 0)]) == 1
        uow.vault.set_block("s1", T0, "dispute")
        uow.vault.add_category_blocks([CategoryBlock("s1", "a", "why", T0)])
        assert [b.category for b in uow.vault.category_blocks("s1")] == ["a"]
        assert uow.vault.end_category_blocks("s1", ["a"], T0 + timedelta(hours=1)) == 1
        assert uow.vault.category_blocks("s1") == []
        assert len(uow.vault.category_blocks("s1", active_only=False)) == 1
        uow.commit()
    with uow_factory() as uow:
        subject = uow.vault.get("s1")
        assert subject is not None and subject.block_reason == "dispute"
        assert uow.vault.delete_values("s1") == 2
        assert uow.vault.delete_lookups("s1") == 1
        assert uow.vault.delete_cards("s1") == 1
        assert uow.vault.delete_category_blocks("s1") == 1
        uow.vault.mark_destroyed("s1", T0)
        uow.commit()
    with uow_factory() as uow:
        tomb = uow.vault.get("s1")
        assert tomb is not None and tomb.destroyed and tomb.block_reason is None
        assert uow.vault.count_values() == 0


def test_rollback_leaves_nothing(uow_factory: Callable[[], UnitOfWork]) -> None:
    with uow_factory() as uow:
        uow.vault.add_many([_subject("s1")], [_value("s1", "a")])
    with uow_factory() as uow:
        assert uow.vault.get("s1") is None


# -------------------------------------------------- services on real databases


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[VaultEnv]:
    yield from open_env(db_url, tmp_path)


def test_batch_of_many_subjects(env: VaultEnv) -> None:
    batch = [svc.NewSubject([NewValue("identity.full_name", f"Person {i}", prov())],
                            {"customer_id": f"W-{i}"}) for i in range(1500)]
    ids = svc.add_subjects(ctx_of(env.uow(), env.keys, env.clock, ACTOR), env.register, batch)
    assert len(set(ids)) == 1500
    with env.uow() as uow:
        assert uow.vault.count_values() == 1500
        entries = list(uow.audit.entries())
    assert len(entries) == 1 and len(entries[0].subject_ids) == 1500
    found = svc.find_subject(ctx_of(env.uow(), env.keys, env.clock, ACTOR), "customer_id", "W-1499", "payment_service")
    assert [f.subject_id for f in found] == [ids[1499]]
    assert [v.value for v in env.read(ids[7], "payment_service").values] == ["Person 7"]


def test_update_block_and_partial_destroy_on_sql(env: VaultEnv) -> None:
    sid = env.add(person_values())
    svc.update_values(ctx_of(env.uow(), env.keys, env.clock, ACTOR), sid, replace=[NewValue("contact.phone", PHONE_B, prov("payment_service"))])
    assert svc.find_subject(ctx_of(env.uow(), env.keys, env.clock, ACTOR), "phone", PHONE, "payment_service") == []
    svc.block(ctx_of(env.uow(), None, env.clock, ACTOR), sid, ["identity.full_name"], "dispute")
    assert svc.is_blocked(env.uow(), sid, "identity.full_name")
    view = env.read(sid, "payment_service")
    assert [v.value for v in view.values] == [PHONE_B]
    assert view.withheld == ("identity.full_name",)
    svc.destroy_categories(ctx_of(env.uow(), env.keys, env.clock, ACTOR), sid, ["identity.iin"], "request")
    assert svc.find_subject(ctx_of(env.uow(), env.keys, env.clock, ACTOR), "iin", IIN, "aml_identification") == []
    everything = env.read(sid, svc.SUBJECT_ACCESS_REQUEST)
    assert {v.category: v.value for v in everything.values}["identity.full_name"] == FULL_NAME
    assert "identity.iin" not in {v.category for v in everything.values}

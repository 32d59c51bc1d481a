"""Bulk ingest (``add_batch``: executemany on SQLite, COPY on PostgreSQL) on real databases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from derbes.errors import ConflictError
from derbes.platform.tables import pd_values, subjects
from derbes.testing.context import context as ctx_of
from derbes.uow import UnitOfWork
from derbes.vault.model import NewValue
from derbes.vault.ports import Lookup, SealedValue, SubjectBatch, SubjectRecord
from derbes.vault.service import subjects as svc
from tests.integration.vault_env import ACTOR, VaultEnv, open_env
from tests.vault_support import FULL_NAME, IIN, IIN_B, PHONE, PHONE_B, person_values, prov

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ALMATY = timezone(timedelta(hours=5))


def test_add_batch_stores_what_add_many_stores(uow_factory: Callable[[], UnitOfWork]) -> None:
    collected = datetime(2025, 12, 31, 23, 30, 15, 123456, tzinfo=ALMATY)
    with uow_factory() as uow:
        uow.vault.add_many(
            [SubjectRecord("s1", "op-a", T0)],
            [SealedValue("s1", "contact.phone", 0, b"\x01" * 40, "phone", "subject",
                         ("payment_service", "aml"), "web_form", collected, T0)],
            [Lookup("op-a", "phone", "d1", "s1")],
        )
        uow.vault.add_batch(SubjectBatch(
            "op-a", T0, ["s2"],
            [("s2", "contact.phone", 0, b"\x01" * 40, "phone", "subject",
              ("payment_service", "aml"), "web_form", collected)],
            [("phone", "d2", "s2")],
        ))
        uow.commit()
    with uow_factory() as uow:
        one, two = uow.vault.values("s1"), uow.vault.values("s2")
        assert [v.key[1:] for v in two] == [v.key[1:] for v in one]
        assert [(v.sealed, v.value_type, v.source, v.purposes, v.method, v.collected_at,
                 v.updated_at) for v in two] == [
            (v.sealed, v.value_type, v.source, v.purposes, v.method, v.collected_at,
             v.updated_at) for v in one]
        assert two[0].collected_at == collected
        assert uow.vault.get("s2") == SubjectRecord("s2", "op-a", T0)
        assert [x.subject_id for x in uow.vault.find("phone", "d2", "op-a")] == ["s2"]


def test_add_batch_conflicting_identifier_leaves_the_transaction_usable(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    with uow_factory() as uow:
        uow.vault.add_batch(SubjectBatch("op-a", T0, ["s1"], [], [("iin", "d", "s1")]))
        uow.commit()
    with uow_factory() as uow:
        with pytest.raises(ConflictError):
            uow.vault.add_batch(SubjectBatch("op-a", T0, ["s2"], [],
                                             [("iin", "e", "s2"), ("iin", "d", "s2")]))
        uow.vault.add_lookups([Lookup("op-a", "iin", "f", "s2")])  # subject s2 was inserted
        uow.commit()
    with uow_factory() as uow:
        assert [(x.kind, x.digest) for x in uow.vault.lookups("s2")] == [("iin", "f")]


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[VaultEnv]:
    yield from open_env(db_url, tmp_path)


def test_bulk_ingest_stores_timestamps_like_the_core_path(env: VaultEnv) -> None:
    sid = env.add(person_values())
    with env.engine.connect() as connection:
        stored = connection.execute(
            select(subjects.c.created_at, pd_values.c.collected_at, pd_values.c.updated_at)
            .select_from(subjects.join(pd_values, pd_values.c.subject_id == subjects.c.id))
            .where(subjects.c.id == sid)
        ).all()
        # Core binds the instant as it would for any query: on SQLite that is a
        # text comparison, so it only matches if the bulk path stored the same text.
        bound = connection.execute(
            select(subjects.c.created_at).where(subjects.c.created_at == env.clock.now())
        ).scalars().all()
    assert stored and all(row == (env.clock.now(), prov().collected_at, env.clock.now())
                          for row in stored)
    assert bound == [env.clock.now()]


def test_second_batch_with_a_known_identifier_writes_nothing(env: VaultEnv) -> None:
    first = svc.add_subjects(ctx_of(env.uow(), env.keys, env.clock, ACTOR), env.register, [svc.NewSubject(person_values(iin=IIN, phone=PHONE))])
    keys_before = env.keys.kek_counts()
    batch = [svc.NewSubject(person_values(iin=IIN_B, phone=PHONE_B, email=None)),
             svc.NewSubject(person_values(iin=IIN, phone="+77015550011", email=None))]
    with pytest.raises(ConflictError):
        svc.add_subjects(ctx_of(env.uow(), env.keys, env.clock, ACTOR), env.register, batch)
    assert env.keys.kek_counts() == keys_before  # the batch's new keys were destroyed
    with env.uow() as uow:
        assert uow.vault.count_values() == len(person_values())
        assert [e.subject_ids for e in uow.audit.entries()] == [tuple(first)]
    assert svc.find_subject(ctx_of(env.uow(), env.keys, env.clock, ACTOR), "iin", IIN_B, "aml_identification") == []


def test_bulk_ingested_subjects_read_back_and_are_found(env: VaultEnv) -> None:
    batch = [svc.NewSubject([
        NewValue("identity.full_name", f"{FULL_NAME} {i}", prov()),
        NewValue("contact.phone", f"+7701{5550000 + i}", prov()),
    ]) for i in range(300)]
    ids = svc.add_subjects(ctx_of(env.uow(), env.keys, env.clock, ACTOR), env.register, batch)
    assert ids == sorted(ids) and len(set(ids)) == 300
    view = env.read(ids[123], "payment_service")
    assert {v.category: v.value for v in view.values}["identity.full_name"] == (
        f"{FULL_NAME} 123")
    phone = next(v.value for v in view.values if v.category == "contact.phone")
    assert isinstance(phone, str)
    found = svc.find_subject(ctx_of(env.uow(), env.keys, env.clock, ACTOR), "phone", phone, "payment_service")
    assert [f.subject_id for f in found] == [ids[123]]

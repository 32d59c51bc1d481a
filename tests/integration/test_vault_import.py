"""File-import batches (``import_batch``) on SQLite and PostgreSQL: the same rows, keys and
look-ups as adding the subjects one by one; rejects with reasons; a batch stored once."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from derbes.platform import crypto, migrate
from derbes.platform.tables import pd_values, subject_imports, subject_lookups, subjects
from derbes.testing.context import context as ctx_of
from derbes.vault.model import NewValue
from derbes.vault.service import importing
from derbes.vault.service import subjects as svc
from tests.integration.conftest import _create_database, _drop_database
from tests.integration.vault_env import ACTOR, VaultEnv, open_env
from tests.vault_support import FULL_NAME, FULL_NAME_B, IIN, IIN_B, PHONE_B, prov

PURPOSE = "payment_service"


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[VaultEnv]:
    yield from open_env(db_url, tmp_path / "a")


@pytest.fixture
def other_env(db_url: str, tmp_path: Path, request: pytest.FixtureRequest
              ) -> Iterator[VaultEnv]:
    """A second, independent installation on the same backend."""
    if db_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
        migrate.upgrade(url)
        yield from open_env(url, tmp_path / "b")
        return
    server = request.getfixturevalue("pg_server_url")
    name = f"derbes_test_{secrets.token_hex(6)}"
    url = _create_database(server, name, request.getfixturevalue("pg_template"))
    try:
        yield from open_env(url, tmp_path / "b")
    finally:
        _drop_database(server, name)


@pytest.fixture(autouse=True)
def _dirs(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()


def _person(iin: str, name: str, phone: str) -> list[NewValue]:
    return [NewValue("identity.iin", iin, prov("aml_identification")),
            NewValue("identity.full_name", name, prov()),
            NewValue("contact.phone", phone, prov(PURPOSE))]


def _people() -> list[svc.NewSubject]:
    return [
        svc.NewSubject(_person(IIN, FULL_NAME, "8 (701) 765-43-21"), {"customer_id": "W-1"}),
        svc.NewSubject(_person(IIN_B, FULL_NAME_B, PHONE_B)),
        svc.NewSubject([NewValue("identity.full_name", "Сәуле Нұрланқызы", prov())],
                       {"customer_id": "W-3"}),
    ]


def _ctx(env: VaultEnv) -> Any:
    return ctx_of(env.uow(), env.keys, env.clock, ACTOR)


def _import(env: VaultEnv, people: list[svc.NewSubject], batch: int = 0,
            import_id: str = "f" * 64, **kw: Any) -> importing.ImportedBatch:
    return importing.import_batch(_ctx(env), env.register, people, import_id=import_id,
                                  batch=batch, **kw)


def _shape(env: VaultEnv, sid: str) -> dict[str, Any]:
    """What is stored of a subject, without what is random (ids, keys, nonces)."""
    view = env.read(sid, PURPOSE)
    index = crypto.BlindIndexer(env.keys.index_key())
    with env.engine.connect() as connection:
        rows = connection.execute(
            select(pd_values.c.category, pd_values.c.seq, pd_values.c.value_type,
                   pd_values.c.source, pd_values.c.purposes, pd_values.c.method,
                   pd_values.c.collected_at)
            .where(pd_values.c.subject_id == sid).order_by(pd_values.c.category)).all()
        lookups = connection.execute(
            select(subject_lookups.c.kind, subject_lookups.c.digest)
            .where(subject_lookups.c.subject_id == sid)).all()
    # Digests depend on each installation's index key: compare what they digest.
    digests = {index(kind, value): (kind, value)
               for kind, value in [("iin", IIN), ("iin", IIN_B), ("phone", "+77017654321"),
                                   ("phone", PHONE_B), ("customer_id", "W-1"),
                                   ("customer_id", "W-3")]}
    return {
        "values": [(v.category, v.seq, v.value) for v in view.values],
        "rows": [tuple(r) for r in rows],
        "lookups": sorted(digests[d] for _, d in lookups),
        "key": sid in env.keys.keys_for([sid]),
    }


def _count(env: VaultEnv, table: Any) -> int:
    with env.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_batch_stores_what_adding_one_by_one_stores(env: VaultEnv, other_env: VaultEnv
                                                      ) -> None:
    result = _import(env, _people())
    assert result.rejects == [] and [i for i, _ in result.stored] == [0, 1, 2]
    one_by_one = [svc.add_subject(_ctx(other_env), other_env.register, list(p.values),
                                  dict(p.identifiers)) for p in _people()]
    assert [_shape(env, sid) for _, sid in result.stored] == [
        _shape(other_env, sid) for sid in one_by_one]
    for table in (subjects, pd_values, subject_lookups):
        assert _count(env, table) == _count(other_env, table)
    assert _count(env, subject_imports) == 1 and _count(other_env, subject_imports) == 0
    found = svc.find_subject(_ctx(env), "iin", IIN, "aml_identification")
    assert [f.subject_id for f in found] == [result.stored[0][1]]


def test_bad_subjects_are_rejected_with_reasons_and_the_rest_stored(env: VaultEnv) -> None:
    first = env.add([NewValue("identity.iin", IIN, prov("aml_identification"))])
    p = prov()
    people = [
        svc.NewSubject([NewValue("identity.iin", IIN[:-1] + "0", p)]),  # bad control digit
        svc.NewSubject([NewValue("identity.full_name", FULL_NAME_B, p)], {"customer_id": "C"}),
        svc.NewSubject([NewValue("identity.iin", IIN, p)]),  # held by ``first``
        svc.NewSubject([NewValue("no.such_category", "x", p)]),
        svc.NewSubject([NewValue("identity.full_name", "Дана", p)], {"customer_id": "C"}),
        svc.NewSubject([]),
    ]
    result = _import(env, people)
    assert [i for i, _ in result.stored] == [1]
    assert [(r.index, r.field) for r in result.rejects] == [
        (0, "value"), (2, "identifiers"), (3, "category"), (4, "identifiers"), (5, "values")]
    assert result.rejects[1].reason == importing.TAKEN
    for reject in result.rejects:
        assert IIN[:8] not in reject.reason and "Дана" not in reject.reason
    assert _count(env, subjects) == 2
    assert svc.find_subject(_ctx(env), "iin", IIN, "aml_identification")[0].subject_id == first


def test_a_batch_is_stored_once(env: VaultEnv) -> None:
    stored = _import(env, _people(), batch=7)
    again = _import(env, _people(), batch=7)
    assert again.already and again.stored == [] and again.rejects == []
    assert importing.imported_batches(_ctx(env), "f" * 64) == {7}
    assert _count(env, subjects) == len(stored.stored) == 3
    other = _import(env, _people()[2:], batch=8, import_id="e" * 64)
    assert [r.reason for r in other.rejects] == [importing.TAKEN]


def test_a_writer_that_takes_an_identifier_first_makes_that_subject_a_reject(
        env: VaultEnv) -> None:
    # Another process stores the IIN between the batch's look-up and its commit: the
    # batch's transaction fails, its keys are destroyed, and it runs again without it.
    seen: list[list[importing.Rejected]] = []

    def meanwhile(rejects: list[importing.Rejected]) -> None:
        seen.append(list(rejects))
        if len(seen) == 1:
            env.add([NewValue("identity.iin", IIN, prov("aml_identification"))])

    keys_before = _count_keys(env)
    result = _import(env, _people(), before_store=meanwhile)
    assert [i for i, _ in result.stored] == [1, 2]
    assert [(r.index, r.reason) for r in result.rejects] == [(0, importing.TAKEN)]
    assert len(seen) == 2 and seen[-1] == result.rejects
    assert _count(env, subjects) == 3
    # One key per stored subject: the failed attempt's three keys are gone.
    assert _count_keys(env) == keys_before + 3


def _count_keys(env: VaultEnv) -> int:
    from derbes.vault.adapters.keystore_schema import data_keys

    with env.keys.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(data_keys))
                   .scalar_one())


def test_many_subjects_and_their_values_are_read_in_one_go(env: VaultEnv) -> None:
    result = _import(env, _people())
    ids = [sid for _, sid in result.stored]
    with env.uow() as uow:
        found = uow.vault.get_many([*ids, "no-such-subject"])
        ages = uow.vault.values_of_many(ids, ("identity.iin", "identity.birth_date"))
        one_by_one = {sid: uow.vault.values(sid, ["identity.iin", "identity.birth_date"])
                      for sid in ids}
    assert sorted(found) == sorted(ids) and found[ids[0]] == uow_get(env, ids[0])
    assert ages == {sid: values for sid, values in one_by_one.items() if values}
    assert sorted(ages) == sorted(ids[:2])


def uow_get(env: VaultEnv, sid: str) -> Any:
    with env.uow() as uow:
        return uow.vault.get(sid)

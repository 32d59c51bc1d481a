"""The retention clocks of a batch of subjects, read and written together, are the clocks
of each subject worked out alone — and the batch costs a fixed number of reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from derbes.lifecycle import service as lifecycle
from derbes.platform.db import make_engine
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.retention.ports import SubjectClockRows
from derbes.retention.service import clocks as retention
from derbes.testing.context import context as ctx_of
from derbes.vault.adapters import keystore_migrate
from derbes.vault.adapters.kek import LocalKek
from derbes.vault.adapters.keystore import SqlKeyStore
from derbes.vault.model import NewValue, Provenance, Source
from derbes.vault.service.ingest import NewSubject, add_subjects
from tests.context_support import make_context, shipped_rules
from tests.load_support import adult_iin
from tests.requests_support import OPERATOR, Client, World


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[tuple[World, Any]]:
    key_url = f"sqlite:///{tmp_path / 'keys.sqlite3'}"
    keystore_migrate.upgrade(key_url)
    key_engine = make_engine(key_url)
    engine = make_engine(db_url)
    keys = SqlKeyStore(key_engine, LocalKek.generate())
    try:
        yield World(lambda: SqlUnitOfWork(engine, audit_key=keys.audit_key), keys, None), engine
    finally:
        engine.dispose()
        key_engine.dispose()


def _client(n: int) -> Client:
    return Client(n, adult_iin(n), f"Тестов{n}", "Тест", f"+7701{n:07d}")


def _stored(w: World, ids: list[str]) -> dict[str, Any]:
    with w.uow() as uow:
        purposes = uow.retention.purpose_clocks(ids)
        return {sid: (sorted(purposes[sid], key=lambda c: c.purpose),
                      uow.retention.category_clocks(sid)) for sid in ids}


def _histories(w: World) -> list[str]:
    """Subjects whose clocks are moved by every source: values and consents only;
    a closed loan; purposes achieved; a legal hold; an answered access request."""
    plain = w.add_customer(_client(1))
    closed = w.add_customer(_client(2))
    w.close_loan(closed, date(2025, 9, 1))
    achieved = w.add_customer(_client(3))
    w.close_loan(achieved, date(2025, 10, 1))
    w.achieve(achieved, date(2025, 10, 2), list(w.register.purposes)[:3])
    held = w.add_customer(_client(4))
    w.close_loan(held, date(2025, 8, 1))
    lifecycle.record_event(
        make_context(w.uow(), clock=w.clock, actor="lifecycle"), f"hold-{held}", held,
        "legal_hold_set", datetime(2025, 11, 1, tzinfo=UTC),
        data={"basis": "Court ruling No. 2-77/2025", "set_by": "legal department",
              "kind": "court_decision", "categories": ["contact.phone"]})
    asked = w.add_customer(_client(5))
    filed = w.file("access", identifiers={"iin": _client(5).iin})
    w.verify(filed.id)
    w.answer(filed.id)
    return [plain, closed, achieved, held, asked]


def test_a_batch_stores_the_clocks_each_subject_gets_alone(
        world: tuple[World, Any]) -> None:
    w, _engine = world
    ids = _histories(w)
    alone = _stored(w, ids)  # each written by update_clocks as its events came
    assert any(categories for _, categories in alone.values())
    with w.uow() as uow:
        subjects = list(uow.vault.get_many(ids).values())
        register = w.register
        # Wipe them first, so the batch has to write every row itself.
        uow.retention.put_clocks_many({
            s.id: SubjectClockRows(OPERATOR, (), ()) for s in subjects}, w.clock.now())
        retention.update_clocks_of(uow, subjects, w.clock.now(),
                                   calendars=shipped_rules().calendars,
                                   registers={OPERATOR: register})
        uow.commit()
    assert _stored(w, ids) == alone
    with w.uow() as uow:
        batch = retention.sources_of(uow, ids)
        for sid in ids:
            one = retention.clocks_of(uow, sid, register, calendars=shipped_rules().calendars)
            from_batch = retention.clocks_from(batch[sid], register,
                                               calendars=shipped_rules().calendars)
            assert from_batch == one, sid
        # The sources say what happened to whom.
        assert batch[ids[4]].answered and not any(batch[s].answered for s in ids[:4])
        assert batch[ids[3]].holds and not any(batch[s].holds for s in ids[:3])
        assert not batch[ids[0]].contracts and batch[ids[1]].contracts


def test_a_batch_reads_each_store_once_whatever_its_size(world: tuple[World, Any]) -> None:
    w, engine = world
    few = [w.add_customer(_client(n)) for n in range(10, 12)]
    many = few + [w.add_customer(_client(n)) for n in range(12, 30)]
    counts = []
    for ids in (few, many):
        statements: list[str] = []

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        with w.uow() as uow:
            subjects = list(uow.vault.get_many(ids).values())
            event.listen(engine, "before_cursor_execute", count)
            try:
                retention.update_clocks_of(uow, subjects, w.clock.now(),
                                           calendars=shipped_rules().calendars,
                                           registers={OPERATOR: w.register})
            finally:
                event.remove(engine, "before_cursor_execute", count)
            uow.commit()
        counts.append(sum(1 for s in statements if s.lstrip().upper().startswith("SELECT")))
    assert counts[0] == counts[1] <= 6, counts


def test_a_bulk_import_starts_the_clocks_the_one_rule_gives(world: tuple[World, Any]) -> None:
    """The first clocks of a bulk import are worked out once per distinct set of facts
    (categories, purposes, day): each subject still gets the clocks of its own facts."""
    w, _engine = world

    def subject(n: int, day: int, categories: tuple[str, ...]) -> NewSubject:
        prov = Provenance(Source.SUBJECT, (), "branch", datetime(2025, 5, day, tzinfo=UTC))
        values = {"identity.iin": adult_iin(100 + n), "identity.full_name": f"Тестов {n}",
                  "contact.phone": f"+7702{n:07d}", "account.customer_id": str(9000 + n)}
        return NewSubject([NewValue(c, values[c], prov) for c in categories])

    kinds = [(1, ("identity.iin", "identity.full_name")),
             (2, ("identity.iin", "identity.full_name")),
             (1, ("identity.iin", "contact.phone", "account.customer_id")),
             (1, ("identity.iin",))]
    batch = [subject(n, *kinds[n % len(kinds)]) for n in range(12)]
    ids = add_subjects(ctx_of(w.uow(), w.keys, w.clock, "test:bulk"), w.register, batch)
    first = _stored(w, ids)
    assert len({repr(clocks) for clocks in first.values()}) > 1  # not one answer for all
    with w.uow() as uow:
        for sid in ids:
            retention.update_clocks(uow, sid, w.clock.now(),
                                    calendars=shipped_rules().calendars, register=w.register)
        uow.commit()
    assert _stored(w, ids) == first

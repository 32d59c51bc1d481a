"""Subject requests end to end on SQLite and PostgreSQL: the vault, a generated Kredit
Seven core database, the transfer log, letters in ru and kk."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, inspect, text

from derbes.datasets.adapters.connectors import OperatorStore
from derbes.datasets.adapters.connectors.sql import SqlStore, store_engine
from derbes.errors import LegalRestrictionError, StoreUnavailableError
from derbes.platform.db import make_engine
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.register.model.register import Register
from derbes.requests import service as svc
from derbes.requests.adapters.letters import render_letter
from derbes.requests.model import RequestState
from derbes.testing.context import context as ctx_of
from derbes.vault.adapters import keystore_migrate
from derbes.vault.adapters.kek import LocalKek
from derbes.vault.adapters.keystore import SqlKeyStore
from derbes.vault.service import subjects as vault_service
from tests.context_support import shipped_rules
from tests.integration.conftest import _create_database, _drop_database
from tests.operator_db import generator
from tests.requests_support import (
    ACTOR,
    FRIDAY,
    OPERATOR,
    PHOTO_TRAFFIC,
    World,
    busy_client,
    client_row,
    count_rows,
    dataset,
    pdf_text,
)


@pytest.fixture
def op_url(db_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A generated Kredit Seven core database on the same backend as the derbes DB."""
    if db_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'kredit-seven-core.sqlite3'}"
        generator().generate(url, 30, seed=5, batch_size=16)
        yield url
        return
    server: str = request.getfixturevalue("pg_server_url")
    name = f"derbes_op_{secrets.token_hex(5)}"
    url = _create_database(server, name)
    try:
        generator().generate(url, 30, seed=5, batch_size=16)
        yield url
    finally:
        _drop_database(server, name)


@pytest.fixture
def world(db_url: str, op_url: str, tmp_path: Path) -> Iterator[World]:
    key_url = f"sqlite:///{tmp_path / 'keys.sqlite3'}"
    keystore_migrate.upgrade(key_url)
    key_engine = make_engine(key_url)
    engine = make_engine(db_url)
    keys = SqlKeyStore(key_engine, LocalKek.generate())
    w = World(lambda: SqlUnitOfWork(engine, audit_key=keys.audit_key), keys, op_url)
    try:
        yield w
    finally:
        engine.dispose()
        key_engine.dispose()


def test_access_answer_lists_vault_and_store_data_with_purposes_retention_recipients(
    world: World, op_url: str
) -> None:
    client = busy_client(op_url)
    subject_id = world.add_customer(client)
    transfer_id = world.transfer(subject_id, "credit_bureaus", "credit_bureau_reporting",
                                 ("identity.iin", "financial.loan"))
    row = client_row(op_url, client.id)

    filed = world.file("access", "kk", identifiers={"iin": client.iin})
    assert filed.subject_id == subject_id
    assert filed.due_date == date(2026, 3, 30)  # 3 working days after the Nauryz break
    with pytest.raises(LegalRestrictionError):  # nothing before verification
        world.answer(filed.id)
    world.verify(filed.id)
    answered = world.answer(filed.id)

    assert answered.request.state is RequestState.ANSWERED
    full = answered.answer
    assert full["held"] is True
    cats = {c["id"]: c for c in full["categories"]}
    where = {v["where"] for c in full["categories"] for v in c["values"]}
    assert "vault" in where and any(w.startswith("kredit-seven-core/loans") for w in where)
    assert client.iin in [v["value"] for v in cats["identity.iin"]["values"]]
    assert PHOTO_TRAFFIC in [v["value"] for v in cats["online.traffic_source"]["values"]]
    assert row["id_doc_number"] in [v["value"] for v in cats["identity.id_document"]["values"]]
    purposes = {p["id"]: p for p in full["purposes"]}
    assert purposes["credit_dossier"]["retention"]["period"] == "5 years"
    assert purposes["credit_dossier"]["basis"] == "legal_obligation"
    recipients = {r["id"]: r for r in full["recipients"]}
    assert recipients["credit_bureaus"]["received"] == [transfer_id]
    # The policy names no country for its analytics services (p.3.8): the answer says
    # none rather than guessing one abroad.
    assert recipients["google_analytics"]["country"] is None
    assert "google_analytics" not in full["cross_border"]
    assert full["sources"] and full["methods"]
    assert [t["id"] for t in full["transfers"]] == [transfer_id]
    # The operator database's rows stay rows: each payment's date with its amount.
    payments = [r for r in full["records"] if r["table"] == "payments"]
    assert payments and payments[0]["rows"]
    names = [c["column"] for c in payments[0]["columns"]]
    for row in payments[0]["rows"]:
        paid = dict(zip(names, row, strict=True))
        assert paid["paid_at"] is not None and paid["amount"] is not None

    # What is stored in clear holds no PD; the full answer is sealed.
    shown = svc.show(world.ctx(), filed.id).as_dict()
    assert client.iin not in str(shown) and PHOTO_TRAFFIC not in str(shown)
    assert shown["answer"]["held"] is True
    assert [t["to"] for t in shown["transitions"]] == ["received", "verified", "in_progress",
                                                       "answered"]
    with world.uow() as uow:
        actions = [e.action for e in uow.audit.entries()]
    assert actions.count("request.transition") == 4

    kk = pdf_text(svc.letter(world.ctx(), filed.id, render_letter, "pdf"))
    # Text extraction may split a long value where the table cell wrapped it.
    assert client.iin in kk.replace(" ", "") and PHOTO_TRAFFIC in kk.replace(" ", "")
    assert "Кредиттік досьені" in kk or "кредиттік досье" in kk.lower()
    # The credit dossier's term is the modeller's assumption, not the policy's word
    # (p.4.5 defers to the law without stating it): the letter says it is not stated.
    assert "шарт тоқтатылғаннан кейін 5 жыл" not in kk
    assert "саясатта көрсетілмеген" in kk
    # The analytics services' countries are not stated: the letter never claims the
    # data stay in Kazakhstan.
    assert "шегінен тыс жерге берілмейді" not in kk
    assert "қай елде өңдейтіні көрсетілмеген" in kk
    assert "Кредиттік бюро" in kk or "кредиттік бюро" in kk.lower()
    ru = pdf_text(svc.letter(world.ctx(), filed.id, render_letter, "pdf",
                             "ru"))
    assert client.iin in ru.replace(" ", "") and "5 лет после прекращения договора" not in ru
    assert "Ведение и хранение кредитного досье" in ru
    assert "трансграничная передача" in ru.lower()
    assert "не указано, в какой стране" in ru
    assert "Ваши данные в информационных системах оператора" in ru


def test_unknown_person_is_accepted_and_answered_no_data_held(world: World) -> None:
    filed = world.file("access", identifiers={"iin": "900101300126"})
    assert filed.subject_id is None and filed.state is RequestState.RECEIVED
    world.verify(filed.id)
    answered = world.answer(filed.id)
    assert answered.answer["held"] is False and answered.answer["categories"] == []
    html = svc.letter(world.ctx(), filed.id, render_letter, "html", "ru").decode()
    assert "не обрабатывает и не хранит" in html


def test_destruction_of_a_dossier_customer_is_reasoned_and_destroys_the_rest(
    world: World, op_url: str
) -> None:
    client = busy_client(op_url)
    subject_id = world.add_customer(client)
    world.close_loan(subject_id, date(2025, 6, 30))
    before = count_rows(op_url, client.id)
    assert before["contacts"] > 0
    filed = world.file("destruction", "ru", identifiers={"phone": client.phone})
    assert filed.due_date == date(2026, 4, 6)  # 15 days end on Saturday 4 April
    world.verify(filed.id)
    answered = world.answer(filed.id)

    full = answered.answer
    assert answered.request.state is RequestState.ANSWERED
    assert full["partial"] is True
    assert "online.traffic_source" in full["destroy"]
    kept = {k["category"]: k for k in full["keep"]}
    dossier = next(f for f in kept["identity.iin"]["kept_for"] if f["purpose"] == "credit_dossier")
    assert dossier["until"] == "2030-06-30" and "210" in dossier["citation"]
    # Vault: the traffic source is shredded, the kept categories are blocked.
    assert full["vault"]["destroyed"] == ["account.customer_id", "online.traffic_source"]
    assert "identity.iin" in full["vault"]["blocked"]
    view = vault_service.read_subject(ctx_of(world.uow(), world.keys, world.clock, ACTOR), subject_id, "subject_access_request")
    assert {v.category for v in view.values} == set(full["vault"]["blocked"])
    # Store: the rows the dossier needs stay; what it does not need went.
    [store] = full["stores"]
    assert store["rows_deleted"] + store["rows_updated"] > 0
    assert any(k["purposes"] == ["credit_dossier"] or "credit_dossier" in k["purposes"]
               for k in store["kept"])
    after = count_rows(op_url, client.id)
    assert after["clients"] == 1 and after["applications"] == before["applications"]

    ru = pdf_text(svc.letter(world.ctx(), filed.id, render_letter, "pdf"))
    assert "Уничтожено" in ru and "30 июня 2030 г." in ru
    assert "Ведение и хранение кредитного досье" in ru
    kk = pdf_text(svc.letter(world.ctx(), filed.id, render_letter, "pdf",
                             "kk"))
    assert "Жойылды" in kk and "2030 жылғы 30 маусым" in kk


def _breaking(url: str) -> Any:
    """A store whose database fails after the first UPDATE or DELETE."""
    engine = store_engine(url)
    state = {"changed": False}
    error = engine.dialect.loaded_dbapi.OperationalError

    def mark(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if statement.lstrip().upper().startswith(("UPDATE", "DELETE")):
            state["changed"] = True

    def fail(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if state["changed"]:
            raise error("server closed the connection unexpectedly")

    event.listen(engine, "after_cursor_execute", mark)
    event.listen(engine, "before_cursor_execute", fail)
    return SqlStore(dataset(), engine, owns_engine=True)


def _snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = store_engine(url)
    try:
        with engine.connect() as c:
            return {t: [tuple(r) for r in c.execute(text(f"SELECT * FROM {t} ORDER BY id"))]
                    for t in inspect(engine).get_table_names()}
    finally:
        engine.dispose()


def test_store_down_mid_destruction_changes_nothing_and_keeps_the_request_open(
    world: World, op_url: str
) -> None:
    client = busy_client(op_url)
    subject_id = world.add_customer(client)
    # Every term is over: the loan closed in 2019, every purpose achieved then.
    world.close_loan(subject_id, date(2019, 1, 10))
    world.achieve(subject_id, date(2019, 1, 10), list(world.register.purposes))
    filed = world.file("destruction", identifiers={"iin": client.iin})
    world.verify(filed.id)
    before = _snapshot(op_url)

    def broken(operator_id: str, register: Register) -> Sequence[OperatorStore]:
        return [_breaking(op_url)]

    with pytest.raises(StoreUnavailableError) as caught:
        svc.answer_request(world.ctx(),
                           filed.id, svc.Answering(stores=broken))
    assert client.iin not in caught.value.message
    assert _snapshot(op_url) == before
    shown = svc.show(world.ctx(), filed.id).request
    assert shown.state is RequestState.IN_PROGRESS
    assert shown.pending_reason and "kredit-seven-core" in shown.pending_reason
    # The vault was not touched either: the stores go first.
    view = vault_service.read_subject(ctx_of(world.uow(), world.keys, world.clock, ACTOR), subject_id, "subject_access_request")
    assert PHOTO_TRAFFIC in [v.value for v in view.values]
    # Back up: answering again finishes the job.
    done = world.answer(filed.id)
    assert done.request.state is RequestState.ANSWERED and done.request.pending_reason is None
    assert done.answer["keep"] == [] and done.answer["vault"]["subject_destroyed"] is True
    assert count_rows(op_url, client.id) == {"clients": 0, "contacts": 0, "applications": 0}


def test_blocking_is_honoured_by_the_decision_point_at_once(world: World, op_url: str) -> None:
    from derbes.decisions.model import Action, ActionKind
    from derbes.decisions.service import DecisionPoint

    client = busy_client(op_url)
    subject_id = world.add_customer(client)
    point = DecisionPoint(world.uow, world.clock, shipped_rules().decisions, ttl=300)
    action = Action(ActionKind.USE, subject_id, purpose="credit_bureau_reporting",
                    categories=("identity.iin",))
    first = point.decide(OPERATOR, [action])[0]
    filed = world.file("blocking", identifiers={"customer_id": str(client.id)})
    assert filed.due_date == date(2026, 3, 26)
    world.verify(filed.id)
    svc.answer_request(world.ctx(),
                       filed.id, svc.Answering(decision_point=point))
    after = point.decide(OPERATOR, [action])[0]
    assert first.allowed, first.reasons
    assert not after.allowed
    assert "subject_blocked" in {r.code.value for r in after.reasons}


def test_overdue_and_due_tomorrow(world: World) -> None:
    early = world.file("access", identifiers={"iin": "900101300126"},
                       received_at=datetime(2026, 3, 2, 5, tzinfo=UTC))
    late = world.file("blocking", identifiers={"iin": "900101300126"})
    assert early.due_date == date(2026, 3, 5)
    overdue = svc.overdue(world.ctx(), date(2026, 3, 20))
    assert [r.id for r in overdue] == [early.id]
    assert [r.id for r in svc.due_tomorrow(world.ctx(), date(2026, 3, 25))] == [late.id]
    svc.refuse(world.ctx(), early.id,
               ["the requester withdrew by phone; no such right"])
    assert svc.overdue(world.ctx(), date(2026, 3, 20)) == []
    assert FRIDAY.date() == date(2026, 3, 20)


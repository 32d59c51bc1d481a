"""The SQL connector on a generated microcredit database, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text

from derbes.datasets.adapters.connectors.sql import SqlStore
from derbes.datasets.adapters.yaml import load_dataset, parse_dataset
from derbes.datasets.model import Dataset, IdentityKind, SubjectIdentity
from derbes.errors import ConfigurationError, DatasetError, StoreUnavailableError
from derbes.identifiers.adapters import phone as kz_phone
from derbes.identifiers.model import iin as kz_iin
from derbes.platform.db import parse_url
from derbes.register.adapters.yaml import load_register
from derbes.register.model.register import Register
from tests.operator_db import DATASET, REGISTER, generator

TABLES = ("clients", "applications", "loans", "payments", "contacts")


@cache
def register() -> Register:
    return load_register(REGISTER).register


@cache
def dataset() -> Dataset:
    return load_dataset(DATASET, register()).dataset


@pytest.fixture
def operator_url(empty_db_url: str) -> str:
    counts = generator().generate(empty_db_url, 40, seed=11, batch_size=16)
    assert counts["clients"] == 40 and all(counts[t] > 0 for t in TABLES)
    return empty_db_url


@pytest.fixture
def store(operator_url: str) -> Iterator[SqlStore]:
    with SqlStore.from_url(dataset(), operator_url) as s:
        yield s


@pytest.fixture
def raw(operator_url: str) -> Iterator[Engine]:
    engine = create_engine(parse_url(operator_url))
    yield engine
    engine.dispose()


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {t: [tuple(r) for r in connection.execute(text(f"SELECT * FROM {t} ORDER BY id"))]
                for t in TABLES}


def busy_client(engine: Engine) -> tuple[int, str]:
    """A client with loans, payments and contacts: (id, iin)."""
    query = text(
        "SELECT c.id, c.iin FROM clients c JOIN applications a ON a.client_id = c.id "
        "JOIN loans l ON l.application_id = a.id JOIN payments p ON p.loan_id = l.id "
        "JOIN contacts k ON k.client_id = c.id ORDER BY c.id LIMIT 1")
    with engine.connect() as connection:
        row = connection.execute(query).one()
    return int(row[0]), str(row[1])


def count_for(engine: Engine, client_id: int) -> dict[str, int]:
    queries = {
        "clients": "SELECT count(*) FROM clients WHERE id = :c",
        "applications": "SELECT count(*) FROM applications WHERE client_id = :c",
        "loans": "SELECT count(*) FROM loans l JOIN applications a ON a.id = l.application_id "
                 "WHERE a.client_id = :c",
        "payments": "SELECT count(*) FROM payments p JOIN loans l ON l.id = p.loan_id "
                    "JOIN applications a ON a.id = l.application_id WHERE a.client_id = :c",
        "contacts": "SELECT count(*) FROM contacts WHERE client_id = :c",
    }
    with engine.connect() as connection:
        return {t: int(connection.execute(text(q), {"c": client_id}).scalar_one())
                for t, q in queries.items()}


def test_generated_data_is_valid(raw: Engine) -> None:
    with raw.connect() as connection:
        rows = connection.execute(text("SELECT iin, phone, birth_date FROM clients")).all()
    for iin, phone, _ in rows:
        kz_iin.parse(iin)
        assert kz_phone.parse(phone).e164 == phone
    assert len({r[0] for r in rows}) == len(rows)


def test_dataset_matches_the_live_schema(store: SqlStore) -> None:
    assert store.check() == []


def test_collect_follows_every_reference(store: SqlStore, raw: Engine) -> None:
    client_id, iin = busy_client(raw)
    found = store.collect(SubjectIdentity(IdentityKind.IIN, iin))
    assert found.counts() == count_for(raw, client_id)
    [root] = found.rows["clients"]
    assert root.key == client_id and root.values["iin"] == iin
    assert {"identity.iin", "financial.transactions", "family.details"} <= set(found.categories)
    by_id = store.collect(SubjectIdentity(IdentityKind.CUSTOMER_ID, str(client_id)))
    assert by_id.counts() == found.counts()
    assert not store.collect(SubjectIdentity(IdentityKind.CUSTOMER_ID, "x-1")).found
    assert not store.collect(SubjectIdentity(IdentityKind.IIN, "000000000000")).found


def test_one_query_per_table(store: SqlStore, raw: Engine, operator_url: str) -> None:
    _, iin = busy_client(raw)
    statements: list[str] = []
    engine = store._engine  # the store's own engine: count what it sends

    def seen(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        store.collect(SubjectIdentity(IdentityKind.IIN, iin))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == len(TABLES)


def test_erase_each_strategy(store: SqlStore, raw: Engine) -> None:
    client_id, iin = busy_client(raw)
    with raw.connect() as connection:
        before = connection.execute(text("SELECT phone, email, last_name FROM clients "
                                         "WHERE id = :c"), {"c": client_id}).one()
    who = SubjectIdentity(IdentityKind.CUSTOMER_ID, str(client_id))
    for category in ("contact.phone", "identity.iin", "contact.email", "identity.full_name"):
        store.apply_erasure(store.plan_erasure(who, [category]))
    with raw.connect() as connection:
        after = connection.execute(text("SELECT phone, iin, email, last_name, patronymic, "
                                        "birth_date FROM clients WHERE id = :c"),
                                   {"c": client_id}).one()
        hashed = connection.execute(text("SELECT count(*) FROM clients WHERE iin = :h"),
                                    {"h": after[1]}).scalar_one()
    assert after[0] == before[0][:2] + "*" * (len(before[0]) - 4) + before[0][-2:]  # mask
    assert after[1] != iin and len(after[1]) == 12 and after[1].isdigit() and hashed == 1
    assert after[2] is None  # null
    assert after[3][0] == before[2][0] and set(after[3][1:]) == {"*"}
    assert after[4] is None and after[5] is not None  # birth date not asked for


def test_erase_everything_deletes_only_the_subjects_rows(store: SqlStore, raw: Engine) -> None:
    client_id, iin = busy_client(raw)
    mine = count_for(raw, client_id)
    total = {t: len(rows) for t, rows in snapshot(raw).items()}
    plan = store.plan_erasure(SubjectIdentity(IdentityKind.IIN, iin))
    result = store.apply_erasure(plan)
    assert dict(result.deleted) == {t: n for t, n in mine.items() if n}
    after = {t: len(rows) for t, rows in snapshot(raw).items()}
    assert after == {t: total[t] - mine[t] for t in TABLES}
    assert not store.collect(SubjectIdentity(IdentityKind.IIN, iin)).found


def test_keeping_the_credit_dossier_erases_the_rest(store: SqlStore, raw: Engine) -> None:
    client_id, iin = busy_client(raw)
    plan = store.plan_erasure(SubjectIdentity(IdentityKind.IIN, iin), None, ["credit_dossier"])
    assert plan.rows_deleted == 0 and plan.kept
    store.apply_erasure(plan)
    with raw.connect() as connection:
        ips = connection.execute(text("SELECT ip_address FROM applications WHERE client_id = :c"),
                                 {"c": client_id}).scalars().all()
        kept_iin = connection.execute(text("SELECT iin FROM clients WHERE id = :c"),
                                      {"c": client_id}).scalar_one()
    assert ips and set(ips) == {None}
    assert kept_iin == iin


def test_dry_run_changes_nothing(store: SqlStore, raw: Engine) -> None:
    _, iin = busy_client(raw)
    before = snapshot(raw)
    plan = store.plan_erasure(SubjectIdentity(IdentityKind.IIN, iin))
    assert plan.rows_deleted > 0 and plan.lines()
    assert snapshot(raw) == before


def _break_after_first_change(store: SqlStore, operator_url: str) -> None:
    """After the erasure's first UPDATE or DELETE, the store goes away."""
    engine = store._engine
    state = {"changed": False}
    if engine.dialect.name == "postgresql":
        admin = create_engine(parse_url(operator_url))

        def kill(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            if not state["changed"] and statement.lstrip().upper().startswith(("UPDATE",
                                                                               "DELETE")):
                state["changed"] = True
                pid = conn.connection.driver_connection.info.backend_pid
                with admin.connect() as c:  # the server ends the store's session
                    c.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
                admin.dispose()

        event.listen(engine, "after_cursor_execute", kill)
        return

    def mark(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if statement.lstrip().upper().startswith(("UPDATE", "DELETE")):
            state["changed"] = True

    def fail(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if state["changed"]:
            raise sqlite3.OperationalError("disk I/O error")

    event.listen(engine, "after_cursor_execute", mark)
    event.listen(engine, "before_cursor_execute", fail)


def test_store_down_mid_erasure_leaves_every_row(store: SqlStore, raw: Engine,
                                                 operator_url: str) -> None:
    _, iin = busy_client(raw)
    before = snapshot(raw)
    plan = store.plan_erasure(SubjectIdentity(IdentityKind.IIN, iin), None, ["payments"])
    assert plan.rows_deleted and plan.rows_updated  # several statements
    _break_after_first_change(store, operator_url)
    with pytest.raises(StoreUnavailableError) as caught:
        store.apply_erasure(plan)
    assert caught.value.store == "kredit-seven-core"
    assert iin not in caught.value.message
    assert snapshot(raw) == before


def test_mapping_to_a_missing_column_is_located(operator_url: str, raw: Engine) -> None:
    _, iin = busy_client(raw)
    text_ = DATASET.read_text(encoding="utf-8").replace(
        "      ip_address: {category: device.ip_address", "      ip_addr: {category: "
        "device.ip_address")
    loaded = parse_dataset(text_, "core.yaml", register())
    with SqlStore.from_url(loaded.dataset, operator_url) as broken:
        problems = loaded.locate(broken.check())
        [problem] = problems
        assert problem.path == "tables[1].columns.ip_addr"
        assert problem.line == text_[: text_.index("ip_addr:")].count("\n") + 1
        assert "applications.ip_addr does not exist" in problem.render()
        assert problem.render().startswith(f"core.yaml:{problem.line} ")
        # Used anyway, it is a dataset error, not an outage.
        with pytest.raises(DatasetError):
            broken.collect(SubjectIdentity(IdentityKind.IIN, iin))


def test_missing_table_and_unmapped_reference_are_reported(operator_url: str, raw: Engine
                                                           ) -> None:
    with raw.begin() as connection:
        connection.execute(text("CREATE TABLE sessions (id INTEGER PRIMARY KEY, client_id "
                                "BIGINT REFERENCES clients(id))"))
    text_ = DATASET.read_text(encoding="utf-8").replace("  - name: contacts\n",
                                                        "  - name: contact\n")
    loaded = parse_dataset(text_, "core.yaml", register())
    with SqlStore.from_url(loaded.dataset, operator_url) as broken:
        messages = {p.path: p.message for p in broken.check()}
    assert "does not exist" in messages["tables[4].name"]
    assert "'sessions'" in messages["tables[0]"]


def test_url_comes_from_the_environment(operator_url: str) -> None:
    with pytest.raises(ConfigurationError, match="KREDIT_SEVEN_CORE_URL"):
        SqlStore.from_env(dataset(), environ={})
    with SqlStore.from_env(dataset(), environ={"KREDIT_SEVEN_CORE_URL": operator_url}) as s:
        assert s.check() == []

"""Destruction acts on SQLite and PostgreSQL: issued, stored, listed, numbered, rendered."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text, update

from derbes.context import OperatorScope
from derbes.errors import ConflictError
from derbes.platform.clock import FixedClock
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.platform.tables import destruction_acts
from derbes.register.adapters.yaml import load_register
from derbes.register.model.register import AfterRetention, Register
from derbes.retention.adapters.acts import load_act_rules, render_act
from derbes.retention.adapters.acts_store import SqlActRepository
from derbes.retention.model import acts
from derbes.retention.service import acts as service
from derbes.testing.context import make_context
from derbes.testing.vault import InMemoryKeyStore
from tests.acts_support import (
    AML_CITATION,
    CIVIL_CITATION,
    KAZAKH_LETTERS,
    ROOT,
    qiwi,
    qiwi_run,
    subject_ids,
)
from tests.requests_support import pdf_text

T = datetime(2031, 3, 2, 6, 0, tzinfo=UTC)


def _kassa24() -> Register:
    return load_register(ROOT / "registers" / "kassa24.yaml").register


def _kassa24_run(run_id: str) -> acts.RunRecord:
    base = qiwi_run(run_id, operator_id="kassa24")
    return replace(base, groups=(acts.DestroyedGroup(
        "account_management", AfterRetention.DESTROY, ("contact.email",), subject_ids(4)),))


@pytest.fixture
def keystore() -> InMemoryKeyStore:
    return InMemoryKeyStore()


def _issue(engine: Engine, run: acts.RunRecord, register: Register, clock: FixedClock,
           keystore: InMemoryKeyStore) -> acts.Act:
    with SqlUnitOfWork(engine, audit_key=keystore.audit_key()) as uow:
        act = service.issue(make_context(uow, keystore, clock), run, register)
        uow.commit()
    return act


def test_an_issued_act_is_stored_listed_and_read_back(
    engine: Engine, keystore: InMemoryKeyStore,
) -> None:
    act = _issue(engine, qiwi_run("run-1"), qiwi(), FixedClock(T), keystore)
    headers = service.list_acts(make_context(SqlUnitOfWork(engine)))
    assert [(h.number, h.operator_id, h.subjects_total, h.groups) for h in headers] == [
        ("АУ-2031/0001", "qiwi-kz", 12, 2)]
    assert headers[0].digest == act.digest()
    assert headers[0].issued_at == T
    again = service.get(make_context(SqlUnitOfWork(engine)), "АУ-2031/0001")
    assert again == act
    assert service.get(make_context(SqlUnitOfWork(engine)), act.id) == act
    with SqlUnitOfWork(engine) as uow:
        audit = [e for e in uow.audit.entries() if e.action == service.ISSUE_ACTION]
    assert len(audit) == 1
    assert audit[0].details["act_id"] == act.id


def test_numbering_is_per_operator_per_year_and_one_act_per_run(
    engine: Engine, keystore: InMemoryKeyStore,
) -> None:
    clock = FixedClock(T)
    numbers = [str(_issue(engine, qiwi_run(f"q{i}"), qiwi(), clock, keystore).number)
               for i in range(3)]
    kassa = _issue(engine, _kassa24_run("k1"), _kassa24(), clock, keystore)
    clock.set(datetime(2032, 1, 10, 6, 0, tzinfo=UTC))
    next_year = _issue(engine, qiwi_run("q-next"), qiwi(), clock, keystore)
    repeat = _issue(engine, qiwi_run("q1"), qiwi(), clock, keystore)
    assert numbers == ["АУ-2031/0001", "АУ-2031/0002", "АУ-2031/0003"]
    assert str(kassa.number) == "АУ-2031/0001"
    assert str(next_year.number) == "АУ-2032/0001"
    assert str(repeat.number) == "АУ-2031/0002"  # the act already issued for run q1
    assert len(service.list_acts(make_context(SqlUnitOfWork(engine)))) == 5
    assert [h.number for h in service.list_acts(
        make_context(SqlUnitOfWork(engine), scope=OperatorScope.only("kassa24")))
            ] == ["АУ-2031/0001"]
    assert len(service.list_acts(
        make_context(SqlUnitOfWork(engine), scope=OperatorScope.only("qiwi-kz")), year=2031)) == 3
    with pytest.raises(ConflictError, match="operator"):
        service.get(make_context(SqlUnitOfWork(engine)), "АУ-2031/0001")
    assert service.get(make_context(SqlUnitOfWork(engine), scope=OperatorScope.only("kassa24")),
                       "АУ-2031/0001") == kassa


def test_a_number_taken_by_another_process_is_skipped(
    engine: Engine, keystore: InMemoryKeyStore, monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FixedClock(T)
    _issue(engine, qiwi_run("first"), qiwi(), clock, keystore)
    real = SqlActRepository.last_seq
    calls: list[int] = []

    def stale(self: SqlActRepository, operator_id: str, year: int) -> int | None:
        calls.append(year)
        return None if len(calls) == 1 else real(self, operator_id, year)

    monkeypatch.setattr(SqlActRepository, "last_seq", stale)
    # The unique constraint refuses the stale number inside a savepoint; the
    # transaction survives (PostgreSQL too) and the next number is taken.
    second = _issue(engine, qiwi_run("second"), qiwi(), clock, keystore)
    assert str(second.number) == "АУ-2031/0002"
    assert len(calls) == 2


def test_an_act_edited_in_the_database_is_refused(
    engine: Engine, keystore: InMemoryKeyStore,
) -> None:
    act = _issue(engine, qiwi_run("edited"), qiwi(), FixedClock(T), keystore)
    with engine.begin() as connection:
        body = connection.execute(text("SELECT body FROM destruction_acts")).scalar_one()
        connection.execute(update(destruction_acts).values(
            body=body.replace('"subjects_total":12', '"subjects_total":3')))
    with pytest.raises(ConflictError, match="checksum"):
        service.get(make_context(SqlUnitOfWork(engine)), act.id)


@pytest.fixture(scope="module")
def rendered() -> dict[str, Any]:
    keystore = InMemoryKeyStore()
    issue = acts.ActIssue("a-1", acts.ActNumber(2031, 7, "АУ"), T.date(), T,
                          acts.reference_key(keystore.audit_key()))
    rules_act = acts.build_act(qiwi_run("render"), qiwi(), load_act_rules(), issue)
    return {"act": rules_act,
            "pdf": {lang: pdf_text(render_act(rules_act, lang, "pdf"))
                    for lang in ("ru", "kk", "en")}}


CITED = {
    "ru": ("№ 191-IV", "пункт 4 статьи 11", "пункт 1 статьи 178"),
    "kk": ("№ 191-IV", "11-бабының 4-тармағы", "178-бабының 1-тармағы"),
    "en": ("AML Law No. 191-IV", "Art. 11 p.4", "Art. 178 p.1"),
}


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_the_pdf_names_the_number_categories_citations_and_totals(
    rendered: dict[str, Any], lang: str,
) -> None:
    act: acts.Act = rendered["act"]
    textual = rendered["pdf"][lang]
    assert "АУ-2031/0007" in textual
    assert "060640010247" in textual
    for group in act.groups:
        for category in group.categories:
            assert " ".join(category.labels.get(lang).split()[:3]) in textual
    # Citations in the reader's language, as the register gives them.
    for citation in CITED[lang]:
        assert citation in textual, citation
    if lang == "en":
        assert AML_CITATION.split(",")[0] in textual and CIVIL_CITATION.split(",")[0] in textual
    assert act.references[0] in textual
    assert act.digest() in textual.replace(" ", "")
    for sid in subject_ids(12):
        assert sid not in textual


def test_the_kazakh_act_is_in_kazakh(rendered: dict[str, Any]) -> None:
    textual = rendered["pdf"]["kk"]
    assert "ДЕРБЕС ДЕРЕКТЕРДІ ЖОЮ АКТІСІ" in textual
    for phrase in ("Жою әдісі", "Субъектілер саны", "Өңдеудің құқықтық негізі",
                   "Мерзімнің құқықтық негізі", "Жалпы мәліметтер"):
        assert phrase in textual
    assert len(KAZAKH_LETTERS & set(textual.lower())) >= 8
    assert "АКТ ОБ УНИЧТОЖЕНИИ" in rendered["pdf"]["ru"]
    assert "Количество субъектов" in rendered["pdf"]["ru"]


def test_json_and_html_render(rendered: dict[str, Any]) -> None:
    act: acts.Act = rendered["act"]
    body = json.loads(render_act(act, "kk", "json"))
    assert body["number"] == "АУ-2031/0007"
    assert body["sha256"] == act.digest()
    html = render_act(act, "kk", "html").decode("utf-8")
    assert "<svg" in html and "Топ 1" in html
    assert 'lang="kk"' in html

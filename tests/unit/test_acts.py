"""Destruction acts: the model, numbering, pseudonymous references, issuing on fakes."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from derbes.context import OperatorScope
from derbes.deadlines.model.periods import Period
from derbes.errors import ConfigurationError, ConflictError, InputError, NotFoundError
from derbes.platform.clock import FixedClock
from derbes.register.model.register import AfterRetention, BasisKind, RetentionTrigger
from derbes.retention.adapters.acts.rules import load_act_rules, parse_act_rules
from derbes.retention.model import acts
from derbes.retention.model.retention import DestructionMethod, RunGroup, RunSummary
from derbes.retention.service import acts as service
from derbes.testing.context import make_context
from derbes.testing.uow import FakeUnitOfWork
from derbes.testing.vault import InMemoryKeyStore
from tests.acts_support import AML_CITATION, CIVIL_CITATION, QIWI, qiwi, qiwi_run, subject_ids

REFERENCE = re.compile(r"^[0-9A-F]{4}(-[0-9A-F]{4}){3}$")
KEY = hashlib.sha256(b"test reference key").digest()
T = datetime(2031, 3, 2, 3, 5, tzinfo=UTC)


def _act(run: acts.RunRecord | None = None, seq: int = 1) -> acts.Act:
    rules = load_act_rules()
    issue = acts.ActIssue("act-1", acts.next_number(rules, 2031, seq - 1 or None),
                          date(2031, 3, 2), T, KEY)
    return acts.build_act(run or qiwi_run("run-1"), qiwi(), rules, issue)


# ------------------------------------------------------------------ numbering


def test_numbers_run_per_year_with_the_prefix_and_padding() -> None:
    rules = load_act_rules()
    first = acts.next_number(rules, 2026, None)
    assert str(first) == "АУ-2026/0001"
    assert str(acts.next_number(rules, 2026, 41)) == "АУ-2026/0042"
    assert str(acts.next_number(rules, 2026, 12344)) == "АУ-2026/12345"


def test_a_number_parses_back_and_orders_by_year_then_sequence() -> None:
    parsed = acts.ActNumber.parse(" АУ-2027/7 ")
    assert (parsed.prefix, parsed.year, parsed.seq, str(parsed)) == ("АУ", 2027, 7, "АУ-2027/0007")
    assert acts.ActNumber(2026, 9, "АУ") < acts.ActNumber(2027, 1, "АУ")
    for bad in ("2026/0001", "АУ-26/1", "АУ 2026/1", "АУ-2026/x"):
        with pytest.raises(InputError):
            acts.ActNumber.parse(bad)
    with pytest.raises(InputError):
        acts.ActNumber(2026, 0, "АУ")


def test_the_number_year_must_be_the_act_date_year() -> None:
    rules = load_act_rules()
    with pytest.raises(InputError, match="year"):
        acts.build_act(qiwi_run(), qiwi(), rules, acts.ActIssue("a", acts.next_number(
            rules, 2030, None), date(2031, 1, 1), T, KEY))


# ------------------------------------------------------------ references


def test_a_reference_is_stable_for_a_key_and_differs_between_keys() -> None:
    sid = str(uuid.uuid4())
    ref = acts.subject_reference(KEY, sid)
    assert REFERENCE.match(ref)
    assert acts.subject_reference(KEY, sid) == ref
    assert acts.subject_reference(hashlib.sha256(b"other").digest(), sid) != ref


@given(st.text(min_size=1, max_size=60))
def test_a_reference_does_not_reveal_the_subject_id(subject_id: str) -> None:
    ref = acts.subject_reference(KEY, subject_id)
    assert REFERENCE.match(ref)
    compact = ref.replace("-", "").lower()
    # Not a plain (unkeyed) hash anyone could recompute from a guessed id.
    for algorithm in ("sha256", "sha1", "md5"):
        plain = hashlib.new(algorithm, subject_id.encode("utf-8")).hexdigest()
        assert compact != plain[:16]
    assert subject_id.lower() not in ref.lower() or len(subject_id) < 3


@given(st.lists(st.uuids(), min_size=2, max_size=50, unique=True))
def test_distinct_subjects_get_distinct_references(ids: list[uuid.UUID]) -> None:
    refs = {acts.subject_reference(KEY, str(i)) for i in ids}
    assert len(refs) == len(ids)


def test_the_reference_key_is_derived_not_the_audit_key_itself() -> None:
    audit_key = bytes(range(32))
    derived = acts.reference_key(audit_key)
    assert len(derived) == 32
    assert derived != audit_key
    assert acts.reference_key(audit_key) == derived
    with pytest.raises(InputError):
        acts.reference_key(b"short")


# ------------------------------------------------------------------ the act


def test_the_act_records_operator_groups_citations_and_counts() -> None:
    act = _act()
    assert str(act.number) == "АУ-2031/0001"
    assert act.operator.bin == "060640010247"
    assert act.responsible is not None
    assert "6.1" in act.responsible.role.ru
    assert act.policy_version == "1.0"
    assert "94-V" in act.general_citation
    # In the register's order of purposes: marketing messages (p.3.4.2 row 7) before AML.
    assert [g.purpose_id for g in act.groups] == ["marketing_messages", "aml_antifraud"]
    marketing, aml = act.groups
    assert (marketing.no, aml.no) == (1, 2)
    assert marketing.retention_citation == CIVIL_CITATION
    assert marketing.period == Period.parse("3 years")
    assert marketing.trigger is RetentionTrigger.CONTRACT_CLOSED
    assert aml.retention_citation == AML_CITATION
    assert aml.basis is BasisKind.LEGAL_OBLIGATION
    assert aml.basis_citation and "191-IV" in aml.basis_citation
    assert [c.id for c in aml.categories] == ["aml.activity_details",
                                              "contact.phone_ownership_document"]
    assert aml.categories[0].labels.kk == "Сіздің қызметіңіз туралы ақпарат"
    assert (marketing.subjects, aml.subjects, act.subjects_total) == (12, 6, 12)
    assert aml.criterion is not None and "4.4" in aml.criterion.ru
    # No method given for AML: crypto-shredding of every subject is recorded.
    assert aml.methods == (acts.MethodUse(acts.Method.CRYPTO_SHREDDING, 6),)
    assert act.methods == (acts.Method.CRYPTO_SHREDDING, acts.Method.DELETION,
                           acts.Method.STORE_NULL)


def test_the_act_holds_references_never_subject_ids() -> None:
    act = _act()
    body = acts.canonical_json(acts.as_dict(act))
    for sid in subject_ids(12):
        assert sid not in body
        assert acts.subject_reference(KEY, sid) in body
    assert len(act.references) == 12
    assert all(REFERENCE.match(r) for r in act.references)


def test_json_round_trips_and_the_digest_detects_a_change() -> None:
    act = _act()
    body = acts.as_dict(act)
    assert body["format"] == acts.FORMAT
    assert acts.from_dict(body) == act
    digest = act.digest()
    body["groups"][0]["subjects"] = 11
    assert acts.body_digest(body) != digest
    with pytest.raises(InputError):
        acts.from_dict({**body, "format": "something/2"})


def test_a_purpose_or_category_gone_from_the_register_is_still_recorded() -> None:
    run = qiwi_run()
    gone = acts.DestroyedGroup("retired_purpose", AfterRetention.ANONYMISE,
                               ("retired.category",), subject_ids(2, 100))
    act = _act(replace(run, groups=(*run.groups, gone)))
    last = act.groups[-1]
    assert (last.purpose_id, last.purpose.ru, last.basis) == (
        "retired_purpose", "retired_purpose", None)
    assert last.categories[0].labels.en == "retired.category"
    assert last.methods == (acts.MethodUse(acts.Method.ANONYMISATION, 2),)
    assert act.subjects_total == 14


def test_a_run_of_another_operator_or_with_bad_times_is_refused() -> None:
    with pytest.raises(InputError, match="operators"):
        _act(qiwi_run(operator_id="kassa24"))
    run = qiwi_run()
    with pytest.raises(InputError):
        _act(replace(run, finished_at=run.started_at.replace(hour=1)))
    with pytest.raises(InputError):
        acts.MethodUse(acts.Method.STORE_MASK, 3)
    with pytest.raises(InputError):
        acts.MethodUse(acts.Method.DELETION, -1)


def test_the_retention_engine_summary_becomes_the_act_input() -> None:
    ids = subject_ids(3)
    summary = RunSummary(
        run_id="r-9", operator_id=QIWI, as_of=date(2031, 3, 2), started_at=T, finished_at=T,
        actor="cli:dpo",
        groups=(RunGroup(purpose="aml_antifraud", citation=AML_CITATION, trigger="transaction",
                         period="5 years", method=DestructionMethod.DESTROY,
                         categories=("aml.activity_details",), subject_ids=ids, items=3),),
        subjects_shredded=2, subjects_partial=1, values_deleted=7, items_skipped=1)
    record = acts.record_of(summary)
    group = record.groups[0]
    assert (group.purpose_id, group.action, group.trigger, group.period, group.items) == (
        "aml_antifraud", AfterRetention.DESTROY, RetentionTrigger.TRANSACTION,
        Period.parse("5 years"), 3)
    assert record.totals == acts.VaultTotals(2, 1, 7, 1)
    act = _act(record)
    assert act.groups[0].retention_citation == AML_CITATION
    assert act.totals == acts.VaultTotals(2, 1, 7, 1)


# ------------------------------------------------------------------ rules


def test_the_shipped_rules_load_and_bad_rules_are_refused() -> None:
    rules = load_act_rules()
    assert rules.timezone == "Asia/Almaty"
    assert "жою" in rules.general_basis.kk
    with pytest.raises(ConfigurationError):
        parse_act_rules({"number_prefix": "A U"})
    with pytest.raises(ConfigurationError):
        parse_act_rules([])


# ------------------------------------------------------------- the service


def _issue(uow: FakeUnitOfWork, run: acts.RunRecord, clock: FixedClock,
           keystore: InMemoryKeyStore) -> acts.Act:
    with uow:
        act = service.issue(make_context(uow, keystore, clock), run, qiwi())
        uow.commit()
    return act


def test_issue_stores_lists_and_gets_acts_numbered_per_year() -> None:
    uow, keystore = FakeUnitOfWork(), InMemoryKeyStore()
    clock = FixedClock(datetime(2030, 12, 31, 18, 30, tzinfo=UTC))  # 23:30 in Almaty
    first = _issue(uow, qiwi_run("r1"), clock, keystore)
    clock.set(datetime(2030, 12, 31, 19, 30, tzinfo=UTC))  # already 1 January in Almaty
    second = _issue(uow, qiwi_run("r2"), clock, keystore)
    third = _issue(uow, qiwi_run("r3"), clock, keystore)
    assert [str(a.number) for a in (first, second, third)] == [
        "АУ-2030/0001", "АУ-2031/0001", "АУ-2031/0002"]
    assert second.act_date == date(2031, 1, 1)
    listed = service.list_acts(make_context(uow, scope=OperatorScope.only(QIWI)))
    assert [h.number for h in listed] == ["АУ-2031/0002", "АУ-2031/0001", "АУ-2030/0001"]
    assert [h.number for h in service.list_acts(make_context(uow), year=2030)] == ["АУ-2030/0001"]
    assert service.get(make_context(uow), third.id) == third
    assert service.get(make_context(uow), "АУ-2031/2") == third
    with pytest.raises(NotFoundError):
        service.get(make_context(uow), "АУ-2031/0009")
    with pytest.raises(NotFoundError):
        service.get(make_context(uow, scope=OperatorScope.only("kassa24")), third.id)


def test_issuing_twice_for_one_run_returns_the_same_act() -> None:
    uow, keystore, clock = FakeUnitOfWork(), InMemoryKeyStore(), FixedClock(T)
    first = _issue(uow, qiwi_run("same"), clock, keystore)
    again = _issue(uow, qiwi_run("same"), clock, keystore)
    assert again == first
    assert len(service.list_acts(make_context(uow))) == 1


def test_issue_is_audited_without_subject_ids_and_uses_the_keystore_key() -> None:
    uow, keystore, clock = FakeUnitOfWork(), InMemoryKeyStore(), FixedClock(T)
    act = _issue(uow, qiwi_run("audited"), clock, keystore)
    entries = [e for e in uow.fake_audit.entries() if e.action == service.ISSUE_ACTION]
    assert len(entries) == 1
    assert entries[0].subject_ids == ()
    assert entries[0].details["number"] == str(act.number)
    sid = subject_ids(1)[0]
    assert service.reference_for(keystore, sid) in act.references
    assert service.reference_for(InMemoryKeyStore(), sid) not in act.references


def test_a_number_taken_meanwhile_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    uow, keystore, clock = FakeUnitOfWork(), InMemoryKeyStore(), FixedClock(T)
    _issue(uow, qiwi_run("a"), clock, keystore)
    stale = iter([None])  # the first look sees no act of the year yet
    real = uow.fake_acts.last_seq
    monkeypatch.setattr(uow.fake_acts, "last_seq",
                        lambda op, year: next(stale, real(op, year)))
    second = _issue(uow, qiwi_run("b"), clock, keystore)
    assert str(second.number) == "АУ-2031/0002"


def test_an_act_altered_in_storage_is_refused() -> None:
    uow, keystore, clock = FakeUnitOfWork(), InMemoryKeyStore(), FixedClock(T)
    act = _issue(uow, qiwi_run("x"), clock, keystore)
    row = uow.fake_acts.rows[act.id]
    row["body"] = row["body"].replace('"subjects":12', '"subjects":2')
    with pytest.raises(ConflictError, match="checksum"):
        service.get(make_context(uow), act.id)

"""Walking, planning and erasing on the in-memory store; masking and hashing rules."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from derbes.audit.model.log import AuditAction
from derbes.datasets import service as svc
from derbes.datasets.adapters.yaml import load_dataset
from derbes.datasets.model import (
    Dataset,
    HashAlphabet,
    HashRule,
    IdentityKind,
    KeepReasonKind,
    MaskRule,
    SubjectIdentity,
    hash_value,
    mask_value,
    store_identity,
    walk_order,
)
from derbes.errors import InputError, StoreUnavailableError
from derbes.identifiers.adapters.phone import PHONES
from derbes.platform.clock import FixedClock
from derbes.register.adapters.yaml import load_register
from derbes.testing.datasets import MemoryStore
from derbes.testing.uow import FakeUnitOfWork
from tests.context_support import make_context
from tests.operator_db import DATASET, REGISTER

IIN = "900101300017"  # not a real person's; valid shape for the fake
OTHER_IIN = "850202400026"


@cache
def dataset() -> Dataset:
    return load_dataset(DATASET, load_register(REGISTER).register).dataset


def client(id_: int, iin: str, phone: str) -> dict[str, Any]:
    return {
        "id": id_, "iin": iin, "last_name": "Сәрсенбаева", "first_name": "Айгерім",
        "patronymic": "Нұрланқызы", "birth_date": "1990-01-01", "sex": "F", "phone": phone,
        "email": "a@example.kz", "id_doc_number": "012345678",
        "registration_address": "Алматы қ., Абай даңғылы, 1-үй", "residence_address": None,
        "marital_status": "married", "education": None, "employer": "ТОО «Пример»",
        "monthly_income": 350000,
    }


def rows() -> dict[str, list[dict[str, Any]]]:
    return {
        "clients": [client(1, IIN, "+77011234567"), client(2, OTHER_IIN, "+77071112233")],
        "applications": [
            {"id": 10, "client_id": 1, "requested_amount": 100000, "declared_income": 1,
             "declared_expenses": 2, "credit_score": 600, "ip_address": "5.1.2.3"},
            {"id": 11, "client_id": 1, "requested_amount": 50000, "declared_income": None,
             "declared_expenses": None, "credit_score": None, "ip_address": "5.1.2.4"},
            {"id": 12, "client_id": 2, "requested_amount": 70000, "declared_income": None,
             "declared_expenses": None, "credit_score": None, "ip_address": "9.9.9.9"},
        ],
        "loans": [
            {"id": 100, "application_id": 10, "contract_number": "MK-1", "issued_on": "2025-01-01",
             "principal": 100000, "rate_percent": 45, "due_on": "2025-03-01",
             "closed_on": "2025-03-01", "status": "closed", "payout_iban": "KZ00", "card_token": None},
            {"id": 101, "application_id": 12, "contract_number": "MK-2", "issued_on": "2025-01-01",
             "principal": 70000, "rate_percent": 45, "due_on": "2025-03-01", "closed_on": None,
             "status": "active", "payout_iban": None, "card_token": None},
        ],
        "payments": [
            {"id": 1000, "loan_id": 100, "paid_at": "2025-02-01 10:00:00", "amount": 50000,
             "method": "card", "card_mask": "440043******1234"},
            {"id": 1001, "loan_id": 100, "paid_at": "2025-03-01 10:00:00", "amount": 55000,
             "method": "kaspi", "card_mask": None},
            {"id": 1002, "loan_id": 101, "paid_at": "2025-02-01 10:00:00", "amount": 1,
             "method": "kaspi", "card_mask": None},
        ],
        "contacts": [
            {"id": 7, "client_id": 1, "kind": "relative", "full_name": "Сәрсенбаев Нұрлан",
             "phone": "+77770000001", "relation": "отец"},
        ],
    }


def store(**kwargs: Any) -> MemoryStore:
    return MemoryStore(dataset(), rows(), **kwargs)


def by_iin(value: str = IIN) -> SubjectIdentity:
    return SubjectIdentity(IdentityKind.IIN, value)


# ------------------------------------------------------------------ walk


def test_walk_order_is_parents_first() -> None:
    order = walk_order(dataset(), IdentityKind.IIN)
    assert order.index("clients") < order.index("applications") < order.index("loans")
    assert order.index("loans") < order.index("payments")
    assert order.index("clients") < order.index("contacts")


def test_collect_follows_references_and_only_the_subjects_rows() -> None:
    found = store().collect(by_iin())
    assert found.counts() == {"clients": 1, "applications": 2, "contacts": 1, "loans": 1,
                              "payments": 2}
    assert {r.key for r in found.rows["payments"]} == {1000, 1001}
    assert "financial.transactions" in found.categories
    assert "identity.iin" in found.categories
    assert found.root_keys(dataset()) == ("kredit-seven-core/clients/1",)
    # PD never shows in a repr.
    assert IIN not in repr(found) and "Айгерім" not in repr(found)


def test_unknown_subject_is_no_data_not_an_error() -> None:
    found = store().collect(by_iin("000000000000"))
    assert not found.found and found.row_count == 0


def test_collect_by_phone_and_customer_id() -> None:
    assert store().collect(SubjectIdentity(IdentityKind.PHONE, "+77071112233")).counts()[
        "payments"] == 1
    assert store().collect(SubjectIdentity(IdentityKind.CUSTOMER_ID, "2")).counts()["loans"] == 1


# ------------------------------------------------------------------ plans


def test_erase_everything_deletes_children_first() -> None:
    s = store()
    plan = s.plan_erasure(by_iin())
    order = [t.table for t in plan.tables]
    assert order.index("payments") < order.index("loans") < order.index("applications")
    assert order[-1] == "clients"
    assert plan.rows_deleted == 7 and not plan.kept
    result = s.apply_erasure(plan)
    assert result.rows_deleted == 7
    assert [r["id"] for r in s.rows("clients")] == [2]
    assert [r["id"] for r in s.rows("payments")] == [1002]


def test_a_purpose_that_keeps_data_gives_reasons() -> None:
    plan = store().plan_erasure(by_iin(), None, ["credit_dossier"])
    assert plan.rows_deleted == 0
    apps = next(t for t in plan.tables if t.table == "applications")
    assert {u.columns for u in apps.updates} == {("ip_address",)}
    reasons = {(k.table, k.column): k.reason for k in plan.kept}
    assert reasons[("clients", "iin")].kind is KeepReasonKind.PURPOSE
    assert reasons[("clients", "iin")].purposes == ("credit_dossier",)
    assert reasons[("clients", "id")].kind is KeepReasonKind.ROW_NEEDED
    assert any("keep" in line and "credit_dossier" in line for line in plan.lines())


def test_surviving_children_keep_their_parents() -> None:
    # `payments` keeps payments rows and loans (financial.loan); applications reference
    # loans' parents: applications 10 is referenced by a kept loan, so it stays.
    plan = store().plan_erasure(by_iin(), None, ["payments"])
    apps = next(t for t in plan.tables if t.table == "applications")
    assert apps.deletes == (11,)
    kept = {(k.table, k.column): k for k in plan.kept}
    referenced = kept[("applications", "requested_amount")]
    assert referenced.reason.kind is KeepReasonKind.REFERENCED
    assert referenced.reason.tables == ("loans",) and referenced.rows == 1
    assert kept[("clients", "id")].reason.tables == ("applications",)
    # The kept rows' other PD still goes.
    [update] = apps.updates
    assert update.key == 10 and "ip_address" in update.columns


def test_one_category_with_each_strategy() -> None:
    s = store()
    for category in ("contact.phone", "identity.iin", "contact.email", "identity.full_name"):
        s.apply_erasure(s.plan_erasure(SubjectIdentity(IdentityKind.CUSTOMER_ID, "1"),
                                       [category]))
    row = s.rows("clients")[0]
    assert row["phone"] == "+7********67" and len(row["phone"]) == len("+77011234567")
    assert row["iin"] != IIN and len(row["iin"]) == 12 and row["iin"].isdigit()
    assert row["email"] is None
    assert row["last_name"] == "С" + "*" * (len("Сәрсенбаева") - 1)
    assert row["patronymic"] is None
    assert row["employer"] == "ТОО «Пример»"  # not asked for
    assert s.rows("contacts")[0]["full_name"] == "Сәрсенбаев Нұрлан"  # family.details: not asked
    assert s.rows("clients")[1]["phone"] == "+77071112233"  # another subject


def test_unknown_category_is_refused() -> None:
    with pytest.raises(InputError, match="maps no column"):
        store().plan_erasure(by_iin(), ["biometric.facial_image"])


def test_dry_run_plan_changes_nothing() -> None:
    s = store()
    before = {t: s.rows(t) for t in dataset().tables}
    s.plan_erasure(by_iin())
    assert {t: s.rows(t) for t in dataset().tables} == before


def test_failure_mid_erasure_changes_nothing() -> None:
    s = store(fail_after=3)
    before = {t: s.rows(t) for t in dataset().tables}
    with pytest.raises(StoreUnavailableError) as caught:
        s.apply_erasure(s.plan_erasure(by_iin()))
    assert caught.value.store == "kredit-seven-core"
    assert {t: s.rows(t) for t in dataset().tables} == before


def test_plan_for_another_store_is_refused() -> None:
    from dataclasses import replace

    plan = replace(store().plan_erasure(by_iin()), store="elsewhere")
    with pytest.raises(InputError):
        store().apply_erasure(plan)


# ------------------------------------------------------------------ services + audit


def test_collect_is_audited_without_values() -> None:
    uow, clock = FakeUnitOfWork(), FixedClock()
    found = svc.collect_subject(make_context(uow, clock=clock, actor="cli:test",
                                             request_id="r-1"),
                                store(), svc.subject_identity("iin", IIN, PHONES))
    assert found.found
    [entry] = uow.fake_audit.rows
    assert entry.action == AuditAction.SUBJECT_READ
    assert entry.subject_ids == ("kredit-seven-core/clients/1",)
    assert entry.details["rows"]["payments"] == 2
    assert IIN not in repr(entry) and "Айгерім" not in repr(entry)


def test_failed_erasure_leaves_no_destroy_entry() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(StoreUnavailableError):
        svc.erase_subject(make_context(uow, actor="cli:test"), store(fail_after=1), by_iin())
    assert uow.fake_audit.rows == []


def test_erasure_and_dry_run_are_audited() -> None:
    uow, s = FakeUnitOfWork(), store()
    dry = svc.erase_subject(make_context(uow, actor="a"), s, by_iin(), dry_run=True)
    assert not dry.applied and s.applied == 0
    done = svc.erase_subject(make_context(uow, actor="a"), s, by_iin(),
                             keep_purposes=["credit_dossier"])
    assert done.applied and done.result is not None and done.result.rows_updated == 2
    actions = [e.action for e in uow.fake_audit.rows]
    assert actions == [AuditAction.SUBJECT_READ, AuditAction.SUBJECT_DESTROY]
    assert uow.fake_audit.rows[1].categories == ("device.ip_address",)


def test_subject_identity_normalises_and_refuses_bad_input() -> None:
    assert svc.subject_identity("phone", "8 (701) 123-45-67", PHONES).value == "+77011234567"
    assert svc.subject_identity("iin", "9001 0130 0017", PHONES).value == IIN
    with pytest.raises(InputError):
        svc.subject_identity("iin", "900101300018", PHONES)
    assert "0017" in str(svc.subject_identity("iin", IIN, PHONES)) and IIN not in str(
        svc.subject_identity("iin", IIN, PHONES))


# ------------------------------------------------------------------ rules


@given(st.text(max_size=60), st.integers(0, 20), st.integers(0, 20))
def test_mask_keeps_length_and_hides_at_least_half(value: str, first: int, last: int) -> None:
    masked = mask_value(value, MaskRule(keep_first=first, keep_last=last, char="*"))
    assert len(masked) == len(value)
    clear = [i for i, (a, b) in enumerate(zip(value, masked, strict=True)) if b != "*"]
    assert len(clear) <= len(value) // 2
    assert all(masked[i] == value[i] for i in clear)
    assert masked[: min(first, len(value) // 2)] == value[: min(first, len(value) // 2)]


@given(st.text(max_size=40))
def test_mask_is_stable_once_masked(value: str) -> None:
    rule = MaskRule(keep_first=1, keep_last=2)
    once = mask_value(value, rule)
    assert mask_value(once, rule) == once


@given(st.text(max_size=40), st.integers(1, 64), st.sampled_from(list(HashAlphabet)),
       st.text(max_size=4))
def test_hash_has_its_shape_and_is_keyed(value: str, length: int, alphabet: HashAlphabet,
                                         prefix: str) -> None:
    rule = HashRule(length=length, alphabet=alphabet, prefix=prefix)
    a = hash_value(value, b"k" * 32, rule)
    assert a.startswith(prefix) and len(a) == len(prefix) + length
    body = a[len(prefix):]
    assert body.isdigit() if alphabet is HashAlphabet.DIGITS else all(
        c in "0123456789abcdef" for c in body)
    assert hash_value(value, b"k" * 32, rule) == a  # same key, same pseudonym


def test_hash_depends_on_the_key() -> None:
    rule = HashRule(length=64)
    assert hash_value(IIN, b"a" * 32, rule) != hash_value(IIN, b"b" * 32, rule)


def test_rule_bounds() -> None:
    with pytest.raises(InputError):
        HashRule(length=65)
    with pytest.raises(InputError):
        MaskRule(char="**")


def test_one_identity_order_for_every_store_search() -> None:
    """Requests and the retention sweep search a store by the same identity: the IIN
    first, then the operator's customer id, then the phone, the e-mail last; a kind the
    store has no column for is skipped, and none known means the store is not searched."""
    ds = dataset()  # identity columns: iin, customer id, phone, e-mail
    every = {IdentityKind.EMAIL: "a@b.kz", IdentityKind.PHONE: "+77011234567",
             IdentityKind.CUSTOMER_ID: "C-1", IdentityKind.IIN: IIN}
    order = []
    known = dict(every)
    while (found := store_identity(ds, known)) is not None:
        order.append(found.kind)
        del known[found.kind]
    assert order == [IdentityKind.IIN, IdentityKind.CUSTOMER_ID, IdentityKind.PHONE,
                     IdentityKind.EMAIL]
    no_customer_id = replace(ds, tables={name: replace(table, identity=tuple(
        i for i in table.identity if i.kind is not IdentityKind.CUSTOMER_ID))
        for name, table in ds.tables.items()})
    assert store_identity(no_customer_id, {k: v for k, v in every.items()
                                           if k is not IdentityKind.IIN}) == SubjectIdentity(
        IdentityKind.PHONE, "+77011234567")
    assert store_identity(no_customer_id, {IdentityKind.CUSTOMER_ID: "C-1"}) is None
    assert store_identity(ds, {}) is None

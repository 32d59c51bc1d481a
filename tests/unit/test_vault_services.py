"""Vault use cases on the fake unit of work and the in-memory key store."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from derbes.errors import (
    ConflictError,
    CryptoError,
    DerbesError,
    IdentifierError,
    InputError,
    LegalRestrictionError,
    NotFoundError,
)
from derbes.platform import crypto
from derbes.platform.clock import FixedClock
from derbes.register.model.register import Register
from derbes.register.service import registers
from derbes.testing.context import context as ctx_of
from derbes.testing.uow import FakeUnitOfWork
from derbes.testing.vault import InMemoryKeyStore
from derbes.vault.model import SUBJECT_ACCESS_REQUEST, NewValue
from derbes.vault.service import subjects as svc
from tests.vault_support import (
    EMAIL,
    FULL_NAME,
    IIN,
    IIN_B,
    PAN,
    PHONE,
    PHONE_B,
    PHONE_LOCAL,
    minimal_register,
    person_values,
    prov,
)

ACTOR = "test:dpo"


class World:
    def __init__(self, clock: FixedClock) -> None:
        self.uow = FakeUnitOfWork()
        self.keys = InMemoryKeyStore()
        self.clock = clock
        loaded = minimal_register()
        registers.publish(self.uow, [loaded], clock)
        self.register: Register = loaded.register

    def add(self, values: list[NewValue] | None = None, **ids: str) -> str:
        return svc.add_subject(ctx_of(self.uow, self.keys, self.clock, ACTOR), self.register, person_values() if values is None else values, ids)

    def read(self, subject_id: str, purpose: str | None,
             categories: list[str] | None = None) -> svc.SubjectView:
        return svc.read_subject(ctx_of(self.uow, self.keys, self.clock, ACTOR), subject_id,
                                purpose, categories)

    def find(self, kind: str, value: str, purpose: str = "payment_service"
             ) -> list[svc.SubjectRef]:
        return svc.find_subject(ctx_of(self.uow, self.keys, self.clock, ACTOR), kind, value, purpose)

    def audit(self) -> list[tuple[str, tuple[str, ...], str | None]]:
        with self.uow:
            return [(e.action, e.subject_ids, e.purpose) for e in self.uow.audit.entries()]


@pytest.fixture
def world(clock: FixedClock) -> World:
    return World(clock)


def test_add_then_read_for_a_purpose_returns_only_its_categories(world: World) -> None:
    sid = world.add()
    view = world.read(sid, "payment_service")
    assert {v.category: v.value for v in view.values} == {
        "identity.full_name": FULL_NAME, "contact.phone": PHONE}
    assert world.audit()[-1] == ("subject.read", (sid,), "payment_service")


def test_access_request_returns_everything_held(world: World) -> None:
    sid = world.add()
    view = world.read(sid, SUBJECT_ACCESS_REQUEST)
    assert {v.category for v in view.values} == {
        "identity.full_name", "identity.iin", "contact.phone", "contact.email"}
    iin = next(v for v in view.values if v.category == "identity.iin")
    assert iin.provenance.purposes == ("aml_identification",)


def test_read_without_purpose_is_refused_and_not_audited(world: World) -> None:
    sid = world.add()
    before = world.audit()
    for purpose in (None, ""):
        with pytest.raises(InputError) as caught:
            world.read(sid, purpose)
        assert caught.value.field == "purpose"
    with pytest.raises(InputError):
        world.read(sid, "astrology")
    assert world.audit() == before


def test_asking_for_a_category_the_purpose_does_not_need_is_refused(world: World) -> None:
    sid = world.add()
    with pytest.raises(LegalRestrictionError):
        world.read(sid, "newsletters", categories=["identity.iin"])


def test_minimisation_refusal_writes_nothing(world: World) -> None:
    values = [*person_values(), NewValue("identity.birth_date", "1990-01-01", prov())]
    with pytest.raises(LegalRestrictionError):
        world.add(values)
    assert world.uow.fake_vault.count_values() == 0
    assert world.keys.data == {}
    assert world.audit() == []


def test_invalid_value_in_a_batch_names_the_subject_index(world: World) -> None:
    batch = [svc.NewSubject(person_values()),
             svc.NewSubject(person_values(iin="900101300127", phone=PHONE_B))]
    with pytest.raises(IdentifierError) as caught:
        svc.add_subjects(ctx_of(world.uow, world.keys, world.clock, ACTOR), world.register, batch)
    assert caught.value.message.startswith("subjects[1]: identity.iin")
    assert "900101300127" not in caught.value.message
    assert world.uow.fake_vault.count_values() == 0


def test_batch_adds_many_with_one_audit_entry(world: World) -> None:
    batch = [svc.NewSubject(person_values(iin=IIN, phone=PHONE)),
             svc.NewSubject(person_values(iin=IIN_B, phone=PHONE_B, email=None),
                            {"customer_id": "W-2"})]
    ids = svc.add_subjects(ctx_of(world.uow, world.keys, world.clock, ACTOR), world.register, batch)
    assert len(ids) == 2
    assert world.audit() == [("subject.write", tuple(ids), None)]
    assert [r.subject_id for r in world.find("customer_id", "W-2")] == [ids[1]]


def test_find_by_each_identifier_after_normalisation(world: World) -> None:
    sid = world.add()
    assert [r.subject_id for r in world.find("iin", "900101 300126")] == [sid]
    assert [r.subject_id for r in world.find("phone", PHONE_LOCAL)] == [sid]
    assert [r.subject_id for r in world.find("email", EMAIL.upper(), "newsletters")] == [sid]
    assert world.find("iin", IIN_B) == []
    assert world.audit()[-1][0] == "subject.find"


def test_find_needs_a_purpose(world: World) -> None:
    with pytest.raises(InputError) as caught:
        svc.find_subject(ctx_of(world.uow, world.keys, world.clock, ACTOR), "iin", IIN, None)
    assert caught.value.field == "purpose"


def test_same_identifier_twice_for_one_operator_conflicts(world: World) -> None:
    world.add()
    keys_before = dict(world.keys.data)
    with pytest.raises(ConflictError):
        world.add(person_values(phone=PHONE_B))  # same IIN
    assert world.keys.data == keys_before  # the new key was destroyed again


def test_card_is_tokenised(world: World) -> None:
    sid = world.add([*person_values(), NewValue("financial.card_token", PAN, prov())])
    view = world.read(sid, "payment_service")
    card = next(v.value for v in view.values if v.category == "financial.card_token")
    assert isinstance(card, dict)
    assert card["bin6"] == "411111" and card["last4"] == "1111"
    with world.uow:
        tokens = world.uow.vault.cards(sid)
    assert [t.token for t in tokens] == [card["token"]]


def test_update_replaces_and_adds_and_moves_the_index(world: World) -> None:
    sid = world.add()
    changed = svc.update_values(ctx_of(world.uow, world.keys, world.clock, ACTOR), sid, replace=[NewValue("contact.phone", PHONE_B, prov("payment_service"))], add=[NewValue("identity.full_name", "Second Name", prov())])
    assert changed == ["contact.phone", "identity.full_name"]
    view = world.read(sid, "payment_service")
    assert sorted((v.category, v.seq, v.value) for v in view.values) == [
        ("contact.phone", 0, PHONE_B),
        ("identity.full_name", 0, FULL_NAME),
        ("identity.full_name", 1, "Second Name"),
    ]
    assert world.find("phone", PHONE) == []
    assert [r.subject_id for r in world.find("phone", PHONE_B)] == [sid]


def test_update_is_revalidated(world: World) -> None:
    sid = world.add()
    with pytest.raises(LegalRestrictionError):
        svc.update_values(ctx_of(world.uow, world.keys, world.clock, ACTOR), sid, add=[NewValue("identity.birth_date", "1990-01-01", prov())])


def test_blocked_category_is_withheld_and_cannot_change(world: World) -> None:
    sid = world.add()
    svc.block(ctx_of(world.uow, None, world.clock, ACTOR), sid, ["contact.phone"], "subject disputes accuracy")
    assert svc.is_blocked(world.uow, sid, "contact.phone")
    assert not svc.is_blocked(world.uow, sid, "identity.full_name")
    view = world.read(sid, "payment_service")
    assert [v.category for v in view.values] == ["identity.full_name"]
    assert view.withheld == ("contact.phone",)
    assert {v.category for v in world.read(sid, SUBJECT_ACCESS_REQUEST).values} >= {
        "contact.phone"}
    with pytest.raises(LegalRestrictionError):
        svc.update_values(ctx_of(world.uow, world.keys, world.clock, ACTOR), sid, replace=[NewValue("contact.phone", PHONE_B, prov())])
    svc.unblock(ctx_of(world.uow, None, world.clock, ACTOR), sid, ["contact.phone"], "resolved")
    assert not svc.is_blocked(world.uow, sid, "contact.phone")


def test_whole_subject_block(world: World) -> None:
    sid = world.add()
    blocks = svc.block(ctx_of(world.uow, None, world.clock, ACTOR), sid, None, "unlawful processing alleged")
    assert [b.category for b in blocks] == [None]
    assert svc.is_blocked(world.uow, sid, "identity.iin")
    assert world.read(sid, "payment_service").values == ()
    with pytest.raises(InputError):
        svc.block(ctx_of(world.uow, None, world.clock, ACTOR), sid, None, " ")
    svc.unblock(ctx_of(world.uow, None, world.clock, ACTOR), sid, None, "checked")
    assert not svc.is_blocked(world.uow, sid)


def test_destroy_subject_destroys_key_then_rows_keeps_tombstone(world: World) -> None:
    sid = world.add()
    other = world.add(person_values(iin=IIN_B, phone=PHONE_B, email=None))
    result = svc.destroy_subject(ctx_of(world.uow, world.keys, world.clock, ACTOR), sid, "subject request")
    assert result.key_destroyed and result.values_deleted == 4
    assert sid not in world.keys.data
    with world.uow:
        tomb = world.uow.vault.get(sid)
        assert tomb is not None and tomb.destroyed
        assert world.uow.vault.values(sid) == []
        assert world.uow.vault.lookups(sid) == []
    with pytest.raises(NotFoundError):
        world.read(sid, SUBJECT_ACCESS_REQUEST)
    assert world.find("iin", IIN) == []
    assert world.read(other, "payment_service").values
    assert world.audit()[-1][0] == "subject.read"
    with pytest.raises(NotFoundError):
        svc.destroy_subject(ctx_of(world.uow, world.keys, world.clock, ACTOR), sid, "again")


def test_destroy_rerun_after_crash_between_key_and_rows(world: World) -> None:
    sid = world.add()
    world.keys.destroy([sid])  # the crash: key gone, rows still there
    with pytest.raises(CryptoError):
        world.read(sid, "payment_service")
    result = svc.destroy_subject(ctx_of(world.uow, world.keys, world.clock, ACTOR), sid, "finish")
    assert not result.key_destroyed and result.values_deleted == 4


def test_destroy_categories_reseals_survivors_under_a_new_key(world: World) -> None:
    sid = world.add([*person_values(), NewValue("financial.card_token", PAN, prov())])
    with world.uow:
        old_sealed = {v.key: v.sealed for v in world.uow.vault.values(sid)}
    old_key = world.keys.keys_for([sid])[sid]
    result = svc.destroy_categories(ctx_of(world.uow, world.keys, world.clock, ACTOR), sid, ["contact.phone", "financial.card_token"], "withdrawn")
    assert result.values_deleted == 2
    new_key = world.keys.keys_for([sid])[sid]
    assert new_key != old_key
    view = world.read(sid, SUBJECT_ACCESS_REQUEST)
    assert {v.category for v in view.values} == {
        "identity.full_name", "identity.iin", "contact.email"}
    assert world.find("phone", PHONE) == []
    assert [r.subject_id for r in world.find("iin", IIN)] == [sid]
    with world.uow:
        assert world.uow.vault.cards(sid) == []
        survivors = world.uow.vault.values(sid)
    for stored in survivors:  # re-sealed: the old ciphertext under the old key is history
        assert stored.sealed != old_sealed[stored.key]
        with pytest.raises(CryptoError):
            crypto.open_sealed(new_key, old_sealed[stored.key],
                               crypto.value_aad(sid, stored.category, stored.seq))


def test_destroy_categories_that_are_not_held(world: World) -> None:
    sid = world.add(person_values(email=None))
    with pytest.raises(NotFoundError):
        svc.destroy_categories(ctx_of(world.uow, world.keys, world.clock, ACTOR), sid, ["contact.email"], "x")


def test_swapped_ciphertext_fails_to_open(world: World) -> None:
    a = world.add()
    b = world.add(person_values(iin=IIN_B, phone=PHONE_B, email=None))
    fake = world.uow.fake_vault
    name_a = next(v for v in fake.all_values() if v.subject_id == a
                  and v.category == "identity.full_name")
    phone_a = next(v for v in fake.all_values() if v.subject_id == a
                   and v.category == "contact.phone")
    name_b = next(v for v in fake.all_values() if v.subject_id == b
                  and v.category == "identity.full_name")
    with world.uow:  # another field of the same subject
        world.uow.vault.put_values([replace(phone_a, sealed=name_a.sealed)])
        world.uow.commit()
    with pytest.raises(CryptoError):
        world.read(a, "payment_service")
    with world.uow:  # the same field of another subject
        world.uow.vault.put_values([replace(name_b, sealed=name_a.sealed)])
        world.uow.commit()
    with pytest.raises(CryptoError):
        world.read(b, "aml_identification")


def test_no_pd_in_logs_or_errors(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sid = world.add()
    messages: list[str] = []
    for call in (
        lambda: world.add(),  # duplicate identifiers
        lambda: world.add(person_values(iin="900101300127")),
        lambda: world.add([NewValue("identity.birth_date", IIN, prov())]),
        lambda: world.find("phone", PHONE + "999"),
    ):
        with pytest.raises(DerbesError) as caught:
            call()
        messages.append(str(caught.value))
    world.read(sid, SUBJECT_ACCESS_REQUEST)
    svc.destroy_subject(ctx_of(world.uow, world.keys, world.clock, ACTOR), sid, "request")
    text = caplog.text + "\n".join(messages)
    for secret in (IIN, "900101300127", PHONE, "7017654321", EMAIL, EMAIL.lower(), FULL_NAME):
        assert secret not in text

"""The staff stores and services on the fake, SQLite and PostgreSQL: one behaviour."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta

import pytest

from derbes.access import service as apikeys
from derbes.context import Context
from derbes.errors import AuthError, ConflictError, UnauthenticatedError
from derbes.platform.clock import FixedClock
from derbes.register.adapters.yaml import READER
from derbes.register.service import registers
from derbes.staff import service
from derbes.staff.model.roles import Permission
from derbes.testing.context import make_context
from derbes.testing.staff import QuickHasher
from derbes.testing.vault import InMemoryKeyStore
from derbes.uow import UnitOfWork
from tests.api_world import REGISTERS

PASSWORD = "Көктемгі-жаңбыр-7"


def _ctx(uow_factory: Callable[[], UnitOfWork], clock: FixedClock, keys: InMemoryKeyStore,
         actor: str = "cli:test") -> Context:
    return make_context(uow_factory(), keys, clock, actor)


@pytest.fixture
def keys() -> InMemoryKeyStore:
    return InMemoryKeyStore()


def test_people_grants_and_history(uow_factory: Callable[[], UnitOfWork], clock: FixedClock,
                                   keys: InMemoryKeyStore) -> None:
    registers.publish_directory(uow_factory(), REGISTERS, clock, READER)
    hasher = QuickHasher()
    person = service.add_person(_ctx(uow_factory, clock, keys), hasher, "Dpo@Kassa24.kz",
                                "Айгерім Нұрланова", PASSWORD)
    with pytest.raises(ConflictError):
        service.add_person(_ctx(uow_factory, clock, keys), hasher, "dpo@kassa24.kz", "Other")
    first = service.grant(_ctx(uow_factory, clock, keys), "dpo@kassa24.kz", "kassa24", "dpo")
    again = service.grant(_ctx(uow_factory, clock, keys), person.id, "kassa24", "DPO")
    assert again.id == first.id  # a role held is not granted twice
    service.grant(_ctx(uow_factory, clock, keys), person.id, "qiwi-kz", "auditor")
    clock.advance(timedelta(days=1))
    service.revoke(_ctx(uow_factory, clock, keys), person.id, "qiwi-kz")
    rows = service.access_list(_ctx(uow_factory, clock, keys), "qiwi-kz", history=True)
    assert [(r.role, r.granted_by, r.revoked_by) for r in rows] == [
        ("auditor", "cli:test", "cli:test")]
    assert service.access_list(_ctx(uow_factory, clock, keys), "qiwi-kz") == []
    [(stored, grants)] = service.people(_ctx(uow_factory, clock, keys))
    assert stored.name == "Айгерім Нұрланова" and [g.operator_id for g in grants] == ["kassa24"]


def test_totp_secret_is_sealed_and_bound_to_its_person(
        uow_factory: Callable[[], UnitOfWork], clock: FixedClock,
        keys: InMemoryKeyStore) -> None:
    person = service.add_person(_ctx(uow_factory, clock, keys), QuickHasher(), "sec@x.kz", "S")
    enrolled = service.enrol_totp(_ctx(uow_factory, clock, keys), person.id)
    with uow_factory() as uow:
        stored = uow.staff.get(person.id)
    assert stored is not None and stored.totp_sealed is not None
    clear = base64.b32decode(enrolled.secret_b32 + "=" * (-len(enrolled.secret_b32) % 8))
    assert clear not in stored.totp_sealed
    assert enrolled.secret_b32.encode() not in stored.totp_sealed


def test_revoke_kills_sessions_and_keys(uow_factory: Callable[[], UnitOfWork],
                                        clock: FixedClock, keys: InMemoryKeyStore) -> None:
    registers.publish_directory(uow_factory(), REGISTERS, clock, READER)
    hasher = QuickHasher()
    person = service.add_person(_ctx(uow_factory, clock, keys), hasher, "h@x.kz", "H", PASSWORD)
    service.grant(_ctx(uow_factory, clock, keys), person.id, "kassa24", "request_handler")
    token = apikeys.create(uow_factory(), clock, name="h laptop", scopes=["read"],
                           owner=f"staff:{person.id}").token
    other = apikeys.create(uow_factory(), clock, name="scoring", scopes=["read"]).token
    signed = service.sign_in(_ctx(uow_factory, clock, keys), hasher, "h@x.kz", PASSWORD)
    assert service.who(_ctx(uow_factory, clock, keys), signed.token).person.id == person.id
    done = service.revoke(_ctx(uow_factory, clock, keys), "h@x.kz")
    assert (len(done.grants), done.sessions, len(done.keys), done.disabled) == (1, 1, 1, True)
    with pytest.raises(UnauthenticatedError):
        service.who(_ctx(uow_factory, clock, keys), signed.token)
    with pytest.raises(UnauthenticatedError):
        apikeys.authenticate(uow_factory(), clock, token)
    assert apikeys.authenticate(uow_factory(), clock, other).owner == "service:scoring"
    with pytest.raises(UnauthenticatedError):
        service.sign_in(_ctx(uow_factory, clock, keys), hasher, "h@x.kz", PASSWORD)
    with uow_factory() as uow:
        actions = [e.action for e in uow.audit.entries()]
    assert "staff.revoke" in actions


def test_require_refuses_another_operator_and_audits(
        uow_factory: Callable[[], UnitOfWork], clock: FixedClock,
        keys: InMemoryKeyStore) -> None:
    registers.publish_directory(uow_factory(), REGISTERS, clock, READER)
    hasher = QuickHasher()
    person = service.add_person(_ctx(uow_factory, clock, keys), hasher, "d@x.kz", "D", PASSWORD)
    service.grant(_ctx(uow_factory, clock, keys), person.id, "kassa24", "auditor")
    signed = service.sign_in(_ctx(uow_factory, clock, keys), hasher, "d@x.kz", PASSWORD)
    ctx = _ctx(uow_factory, clock, keys).as_principal(signed.principal)
    service.require(ctx, Permission.AUDIT_READ, "kassa24")
    with pytest.raises(AuthError):
        service.require(ctx, Permission.AUDIT_READ, "qiwi-kz")
    with uow_factory() as uow:
        denied = [e for e in uow.audit.entries() if e.action == "staff.denied"]
    assert [(e.actor, e.details["operator_id"]) for e in denied] == [
        (f"staff:{person.id}", "qiwi-kz")]

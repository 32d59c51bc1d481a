"""Replaying the chains against the projections, on the fake unit of work."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from derbes.consent.model.consent import Scope, ScopeKind
from derbes.consent.service import consent as consent_service
from derbes.decisions.model import Action, ActionKind
from derbes.decisions.service import DecisionPoint
from derbes.integrity.service import verify as integrity
from derbes.lifecycle import service as lifecycle
from derbes.platform.clock import FixedClock
from derbes.register.adapters.yaml import load_register
from derbes.register.service import registers
from derbes.testing.audit import FAKE_AUDIT_KEY
from derbes.testing.context import context as ctx_of
from derbes.testing.context import make_context
from derbes.testing.uow import FakeUnitOfWork
from derbes.testing.vault import InMemoryKeyStore
from derbes.vault.model import NewValue
from derbes.vault.ports import SubjectRecord
from derbes.vault.service import subjects as vault_service
from tests.context_support import shipped_rules
from tests.vault_support import EMAIL, FULL_NAME, IIN, IIN_B, PHONE, PHONE_B, prov

FIXTURE = Path(__file__).parents[1] / "fixtures" / "registers" / "decisions.yaml"
ACTOR = "test:integrity"


@pytest.fixture
def world() -> tuple[FakeUnitOfWork, dict[str, str], FixedClock]:
    uow = FakeUnitOfWork()
    clock = FixedClock()
    keys = InMemoryKeyStore()
    register = load_register(FIXTURE)
    registers.publish(uow, [register], clock)
    ids: dict[str, str] = {}
    for name, iin, phone in (("a", IIN, PHONE), ("b", IIN_B, PHONE_B)):
        ids[name] = vault_service.add_subject(ctx_of(uow, keys, clock, ACTOR), register.register, [NewValue("identity.full_name", FULL_NAME, prov()),
             NewValue("identity.iin", iin, prov("aml_identification")),
             NewValue("contact.phone", phone, prov("payment_service")),
             NewValue("contact.email", f"{name}.{EMAIL}", prov("newsletters"))], {})
    consent_service.give_consent(make_context(uow, keys, clock, ACTOR),
                                 None, consent_service.ConsentRequest(
        subject_id=ids["a"], channel="web_checkbox",
        scopes=[Scope(ScopeKind.PROCESSING, purposes=("newsletters",))]))
    clock.advance(timedelta(minutes=1))
    consent_service.withdraw_consent(make_context(uow, None, clock, ACTOR),
                                     ids["a"], ScopeKind.PROCESSING)
    vault_service.block(ctx_of(uow, None, clock, ACTOR), ids["b"], ["contact.email"], "disputed")
    vault_service.unblock(ctx_of(uow, None, clock, ACTOR), ids["b"], ["contact.email"], "settled")
    vault_service.block(ctx_of(uow, None, clock, ACTOR), ids["b"], None, "demand")
    lifecycle.record_event(make_context(uow, clock=clock, actor="lifecycle"), "e1", ids["b"],
                           "contract_opened", clock.now(), contract_id="K1")
    return uow, ids, clock


def test_an_untouched_fake_world_matches_its_chains(
    world: tuple[FakeUnitOfWork, dict[str, str], FixedClock],
) -> None:
    uow, _, _ = world
    report = integrity.verify_projections(uow, FAKE_AUDIT_KEY)
    assert report.ok, [m.message for m in report.mismatches]
    assert (report.consents, report.subjects, report.seals) == (1, 2, 2)


def test_each_edit_is_named_by_table_subject_and_field(
    world: tuple[FakeUnitOfWork, dict[str, str], FixedClock],
) -> None:
    uow, ids, clock = world
    (consent,) = uow.fake_consents.rows.values()
    uow.fake_consents.rows[consent.id] = replace(consent, withdrawn_at=None)
    state = uow.fake_vault._s
    state.subjects[ids["b"]] = replace(state.subjects[ids["b"]], blocked_at=None)
    state.blocks.clear()
    uow.fake_lifecycle.contracts.clear()
    state.subjects["forged"] = SubjectRecord("forged", "decide-pay", clock.now())
    found = {(m.table, m.subject_id, m.field)
             for m in integrity.verify_projections(uow, FAKE_AUDIT_KEY).mismatches}
    assert {("consents", ids["a"], "withdrawn_at"), ("subjects", ids["b"], "blocked_at"),
            ("category_blocks", ids["b"], "row"), ("contracts", ids["b"], "row"),
            ("subjects", "forged", "row"), ("subject_seals", "forged", "row"),
            ("subject_seals", ids["a"], "mac"), ("subject_seals", ids["b"], "mac")} <= found
    point = DecisionPoint(lambda: uow, clock, shipped_rules().decisions, ttl=0)
    decisions = point.decide("decide-pay", [
        Action(ActionKind.USE, ids["a"], "newsletters", None, ("contact.email",)),
        Action(ActionKind.USE, ids["b"], "aml_identification", None, ("identity.iin",))])
    assert [r.code.value for d in decisions for r in d.reasons] == \
        ["state_unverified", "state_unverified"]

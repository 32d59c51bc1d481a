"""Tampering with the database behind derbes's back, on SQLite and PostgreSQL.

Each test builds a small world through the services (consents given and
withdrawn, blocks, a destruction, contracts, an expired retention clock),
then changes rows directly with SQL — what someone with write access to the
data database, but not to the key store, can do — and checks that:

* the decision point no longer answers from the changed rows (a DENY never
  turns into an ALLOW; the subject is denied as ``state_unverified``);
* ``ledger verify`` (the replay of both chains) names the subject, the row
  and the field;
* cutting a chain's tail and rewinding its head row, or emptying a chain and
  zeroing its head, is caught against the latest anchor.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, insert, select, update

from derbes.audit import service as audit_service
from derbes.consent.model.consent import Scope, ScopeKind
from derbes.consent.model.ledger import ledger_key
from derbes.consent.service import consent as consent_service
from derbes.decisions.model import Action, ActionKind, Decision
from derbes.decisions.service import DecisionPoint
from derbes.errors import ConflictError
from derbes.identifiers.model._checksum import control_digit
from derbes.integrity.adapters.anchor_sinks import FileAnchorSink
from derbes.integrity.model.anchor import Chain
from derbes.integrity.service import verify as integrity
from derbes.integrity.service.anchors import AnchorSchedule, AnchorTargets, anchor_chain, latest
from derbes.lifecycle import service as lifecycle
from derbes.platform.chain import GENESIS, BreakKind, Verification
from derbes.platform.clock import FixedClock
from derbes.platform.db import make_engine
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.platform.tables import (
    audit_head,
    audit_log,
    category_blocks,
    consent_ledger,
    consent_ledger_head,
    consents,
    contracts,
    lifecycle_events,
    pd_values,
    retention_clocks,
    subject_seals,
    subjects,
)
from derbes.register.adapters.yaml import load_register
from derbes.register.service import registers
from derbes.testing.context import context as ctx_of
from derbes.testing.context import make_context
from derbes.testing.vault import InMemoryKeyStore
from derbes.uow import UnitOfWork
from derbes.vault.model import NewValue
from derbes.vault.service import subjects as vault_service
from tests.context_support import shipped_rules
from tests.integration.conftest import BACKENDS, _fresh_database
from tests.vault_support import FULL_NAME, prov

FIXTURE = Path(__file__).parents[1] / "fixtures" / "registers" / "decisions.yaml"
OPERATOR = "decide-pay"
ACTOR = "test:tamper"
AUDIT_KEY = b"tamper tests audit key, 32 bytes"


def _iin(n: int) -> str:
    """A valid IIN of a man born in 1985 (serial chosen so a control digit exists)."""
    serial = n * 7
    while True:
        first11 = f"8503{10 + n:02d}3{serial:04d}"
        digit = control_digit(first11)
        if digit is not None:
            return first11 + str(digit)
        serial += 1


@dataclass
class World:
    engine: Engine
    keys: InMemoryKeyStore
    clock: FixedClock
    targets: AnchorTargets
    ids: dict[str, str]

    def uow(self) -> UnitOfWork:
        return SqlUnitOfWork(self.engine, audit_key=AUDIT_KEY)

    def decide(self, name: str, purpose: str, *categories: str) -> Decision:
        point = DecisionPoint(self.uow, self.clock, shipped_rules().decisions, ttl=0)
        action = Action(ActionKind.USE, self.ids[name], purpose, None, categories)
        return point.decide(OPERATOR, [action])[0]

    def sql(self, statement: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(statement)

    def ledger(self) -> Verification:
        found = latest(AUDIT_KEY, Chain.LEDGER, self.targets).anchor
        return consent_service.verify(self.uow(), ledger_key(AUDIT_KEY), anchor=found)

    def audit(self) -> Verification:
        found = latest(AUDIT_KEY, Chain.AUDIT, self.targets).anchor
        return audit_service.verify(self.uow(), AUDIT_KEY, anchor=found)

    def anchor(self, chain: Chain) -> None:
        anchor_chain(self.uow(), AUDIT_KEY, chain, self.targets, self.clock)

    def projections(self) -> integrity.ProjectionReport:
        return integrity.verify_projections(self.uow(), AUDIT_KEY)


def codes(decision: Decision) -> list[str]:
    return [r.code.value for r in decision.reasons]


def _build(engine: Engine, tmp_path: Path) -> World:
    clock = FixedClock()
    keys = InMemoryKeyStore()
    world = World(engine, keys, clock, AnchorTargets(FileAnchorSink(tmp_path / "anchors.jsonl")),
                  {})
    register = load_register(FIXTURE)
    registers.publish(world.uow(), [register], clock)

    def add(name: str) -> str:
        iin = _iin(len(world.ids))
        values = [NewValue("identity.full_name", FULL_NAME, prov()),
                  NewValue("identity.iin", iin, prov("aml_identification")),
                  NewValue("contact.phone", "+7701" + iin[-7:], prov("payment_service")),
                  NewValue("contact.email", f"{iin}@example.kz", prov("newsletters"))]
        world.ids[name] = vault_service.add_subject(ctx_of(world.uow(), keys, clock, ACTOR), register.register, values, {})
        return world.ids[name]

    def consent(sid: str, *purposes: str) -> None:
        consent_service.give_consent(make_context(world.uow(), keys, clock, ACTOR),
                                     None, consent_service.ConsentRequest(subject_id=sid, channel="web_checkbox", scopes=[
                Scope(ScopeKind.PROCESSING, purposes=purposes)]))

    withdrawn = add("withdrawn")
    consent(withdrawn, "newsletters")
    clock.advance(timedelta(minutes=1))
    consent_service.withdraw_consent(make_context(world.uow(), None, clock, ACTOR),
                                     withdrawn, ScopeKind.PROCESSING)
    add("stranger")  # never consented
    blocked = add("category_blocked")
    consent(blocked, "newsletters")
    vault_service.block(ctx_of(world.uow(), None, clock, ACTOR), blocked, ["contact.email"], "accuracy disputed")
    whole = add("blocked")
    vault_service.block(ctx_of(world.uow(), None, clock, ACTOR), whole, None, "subject's demand")
    gone = add("destroyed")
    vault_service.destroy_subject(ctx_of(world.uow(), keys, clock, ACTOR), gone, "subject's demand")
    ended = add("contract_ended")
    consent(ended, "payment_service")
    lifecycle.record_event(make_context(world.uow(), clock=clock, actor="lifecycle"), "k-open",
                           ended, "contract_opened", clock.now() - timedelta(days=30),
                           contract_id="K1")
    lifecycle.record_event(make_context(world.uow(), clock=clock, actor="lifecycle"), "k-close",
                           ended, "contract_closed", clock.now() - timedelta(days=1),
                           contract_id="K1")
    consent_service.withdraw_consent(make_context(world.uow(), None, clock, ACTOR),
                                     ended, ScopeKind.PROCESSING)
    old = add("retention_over")
    lifecycle.record_event(make_context(world.uow(), clock=clock, actor="lifecycle"), "o-open", old,
                           "contract_opened", clock.now() - timedelta(days=7 * 366),
                           contract_id="K2")
    lifecycle.record_event(make_context(world.uow(), clock=clock, actor="lifecycle"), "o-close",
                           old, "contract_closed", clock.now() - timedelta(days=6 * 366),
                           contract_id="K2")
    shredded = add("category_destroyed")
    consent(shredded, "newsletters")
    clock.advance(timedelta(minutes=1))
    vault_service.destroy_categories(ctx_of(world.uow(), keys, clock, ACTOR), shredded, ["contact.email"], "subject's demand")
    later = add("rolled_back")
    consent(later, "newsletters")
    clock.advance(timedelta(minutes=1))
    return world


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    for url in _fresh_database(request, tmp_path, migrated=True):
        engine = make_engine(url)
        try:
            yield _build(engine, tmp_path)
        finally:
            engine.dispose()


# ---------------------------------------------------------------- the world as built


def test_the_untouched_world_verifies_and_decides_as_stored(world: World) -> None:
    assert codes(world.decide("withdrawn", "newsletters", "contact.email")) == \
        ["consent_withdrawn"]
    assert codes(world.decide("stranger", "newsletters", "contact.email")) == ["consent_absent"]
    assert codes(world.decide("category_blocked", "newsletters", "contact.email")) == \
        ["category_blocked"]
    assert codes(world.decide("blocked", "aml_identification", "identity.iin")) == \
        ["subject_blocked"]
    assert codes(world.decide("destroyed", "aml_identification", "identity.iin")) == \
        ["subject_destroyed"]
    assert codes(world.decide("contract_ended", "account_service", "contact.phone")) == \
        ["no_obligation"]
    assert codes(world.decide("retention_over", "account_service", "contact.phone")) == \
        ["retention_expired"]
    assert codes(world.decide("category_destroyed", "newsletters", "contact.email")) == \
        ["category_destroyed"]
    assert world.decide("rolled_back", "newsletters", "contact.email").allowed
    report = world.projections()
    assert report.ok, [m.message for m in report.mismatches]
    assert report.subjects == len(world.ids) and report.seals == len(world.ids)
    assert report.consents == 5 and report.ledger_entries >= 7
    assert world.ledger().ok and world.audit().ok


# ---------------------------------------------------------------- projection edits


def _consent_of(world: World, name: str) -> str:
    with world.engine.connect() as connection:
        return str(connection.execute(select(consents.c.id).where(
            consents.c.subject_id == world.ids[name])).scalar_one())


def _forged_consent(world: World) -> Any:
    sid = world.ids["stranger"]
    now = world.clock.now()
    return insert(consents).values(
        id="forged-0000-0000-0000-000000000001", act_id="forged", subject_id=sid,
        operator_id=OPERATOR, scope="processing", purposes=json.dumps(["newsletters"]),
        recipients="[]", cookie_categories="[]", policy_version="1.0",
        policy_hash="0" * 64, channel="web_checkbox", evidence_refs="{}",
        given_by="subject", given_at=now, request_hash="0" * 64)


@dataclass(frozen=True)
class Edit:
    name: str
    subject: str
    purpose: str
    categories: tuple[str, ...]
    before: str  # the reason code before the edit
    change: Callable[[World], Any]
    # what `ledger verify` must name: (table, field)
    found: tuple[str, str]


EDITS = [
    Edit("withdrawn_at cleared", "withdrawn", "newsletters", ("contact.email",),
         "consent_withdrawn",
         lambda w: update(consents).where(consents.c.subject_id == w.ids["withdrawn"])
         .values(withdrawn_at=None), ("consents", "withdrawn_at")),
    Edit("forged consent row", "stranger", "newsletters", ("contact.email",), "consent_absent",
         _forged_consent, ("consents", "row")),
    Edit("category block deleted", "category_blocked", "newsletters", ("contact.email",),
         "category_blocked",
         lambda w: delete(category_blocks).where(
             category_blocks.c.subject_id == w.ids["category_blocked"]),
         ("category_blocks", "row")),
    Edit("category block marked lifted", "category_blocked", "newsletters", ("contact.email",),
         "category_blocked",
         lambda w: update(category_blocks).where(
             category_blocks.c.subject_id == w.ids["category_blocked"])
         .values(unblocked_at=w.clock.now()), ("category_blocks", "unblocked_at")),
    Edit("subject block removed", "blocked", "aml_identification", ("identity.iin",),
         "subject_blocked",
         lambda w: update(subjects).where(subjects.c.id == w.ids["blocked"])
         .values(blocked_at=None, block_reason=None), ("subjects", "blocked_at")),
    Edit("destruction undone", "destroyed", "aml_identification", ("identity.iin",),
         "subject_destroyed",
         lambda w: update(subjects).where(subjects.c.id == w.ids["destroyed"])
         .values(destroyed_at=None), ("subjects", "destroyed_at")),
    Edit("closed contract reopened", "contract_ended", "account_service", ("contact.phone",),
         "no_obligation",
         lambda w: update(contracts).where(contracts.c.subject_id == w.ids["contract_ended"])
         .values(closed_at=None), ("contracts", "closed_at")),
    Edit("open contract forged", "contract_ended", "account_service", ("contact.phone",),
         "no_obligation",
         lambda w: insert(contracts).values(subject_id=w.ids["contract_ended"],
                                            contract_id="FORGED", opened_at=w.clock.now()),
         ("contracts", "row")),
    Edit("retention clock pushed back", "retention_over", "account_service",
         ("contact.phone",), "retention_expired",
         lambda w: update(retention_clocks).where(
             retention_clocks.c.subject_id == w.ids["retention_over"]).values(end_date=None),
         ("subject_seals", "mac")),
    Edit("seal deleted", "stranger", "newsletters", ("contact.email",), "consent_absent",
         lambda w: delete(subject_seals).where(subject_seals.c.subject_id == w.ids["stranger"]),
         ("subject_seals", "row")),
]


@pytest.mark.parametrize("edit", EDITS, ids=[e.name for e in EDITS])
def test_a_projection_edit_never_turns_a_denial_into_an_allow(world: World, edit: Edit) -> None:
    assert codes(world.decide(edit.subject, edit.purpose, *edit.categories)) == [edit.before]
    world.sql(edit.change(world))
    after = world.decide(edit.subject, edit.purpose, *edit.categories)
    assert not after.allowed
    assert codes(after) == ["state_unverified"]
    report = world.projections()
    sid = world.ids[edit.subject]
    named = {(m.table, m.field) for m in report.mismatches if m.subject_id == sid}
    assert edit.found in named, [m.message for m in report.mismatches]
    # Nobody else is blamed, and the chains themselves are intact.
    assert report.subjects_at_fault() == {sid}
    assert world.ledger().ok and world.audit().ok


def test_a_projection_restored_from_an_old_copy_is_caught(world: World) -> None:
    """The consent row and its seal as they were before the withdrawal, both genuine."""
    sid = world.ids["rolled_back"]
    with world.engine.connect() as connection:
        old_row = dict(connection.execute(select(consents).where(
            consents.c.subject_id == sid)).one()._mapping)
        old_seal = dict(connection.execute(select(subject_seals).where(
            subject_seals.c.subject_id == sid)).one()._mapping)
    consent_service.withdraw_consent(make_context(world.uow(), None, world.clock, ACTOR),
                                     sid, ScopeKind.PROCESSING)
    assert codes(world.decide("rolled_back", "newsletters", "contact.email")) == \
        ["consent_withdrawn"]
    world.sql(update(consents).where(consents.c.id == old_row["id"])
              .values(withdrawn_at=old_row["withdrawn_at"]))
    world.sql(update(subject_seals).where(subject_seals.c.subject_id == sid)
              .values(mac=old_seal["mac"], components=old_seal["components"]))
    assert codes(world.decide("rolled_back", "newsletters", "contact.email")) == \
        ["state_unverified"]
    named = {(m.table, m.field) for m in world.projections().mismatches}
    assert ("consents", "withdrawn_at") in named


def test_a_value_put_back_into_a_destroyed_category_does_not_bring_it_back(
    world: World,
) -> None:
    sid = world.ids["category_destroyed"]
    later = world.clock.now() + timedelta(minutes=5)
    world.sql(insert(pd_values).values(
        subject_id=sid, category="contact.email", seq=7, sealed=b"\x00" * 48,
        value_type="email", source="subject", purposes='["newsletters"]', method="web_form",
        collected_at=later, updated_at=later))
    # No authentic write in the audit log stored it: the category stays destroyed.
    assert codes(world.decide("category_destroyed", "newsletters", "contact.email")) == \
        ["category_destroyed"]
    found = [(m.table, m.ref, m.field) for m in world.projections().mismatches
             if m.subject_id == sid]
    assert found == [("pd_values", "contact.email", "row")]


def test_a_deleted_lifecycle_event_is_named(world: World) -> None:
    sid = world.ids["contract_ended"]
    world.sql(delete(lifecycle_events).where(lifecycle_events.c.event_id == "k-close"))
    found = [m for m in world.projections().mismatches if m.table == "lifecycle_events"]
    assert [(m.subject_id, m.ref, m.field) for m in found] == [(sid, "k-close", "row")]


def test_ledger_seal_reseals_only_subjects_that_match_the_chains(world: World) -> None:
    edited = world.ids["withdrawn"]
    unsealed = world.ids["stranger"]
    world.sql(update(consents).where(consents.c.subject_id == edited).values(withdrawn_at=None))
    world.sql(delete(subject_seals).where(subject_seals.c.subject_id == unsealed))
    done = integrity.seal_subjects(world.uow(), AUDIT_KEY)
    assert done.sealed == 1 and done.refused == (edited,)
    assert codes(world.decide("stranger", "newsletters", "contact.email")) == ["consent_absent"]
    assert codes(world.decide("withdrawn", "newsletters", "contact.email")) == \
        ["state_unverified"]


# ---------------------------------------------------------------- chain edits


@dataclass(frozen=True)
class ChainTables:
    chain: Chain
    log: Any
    head: Any
    payload: str  # a hashed text column


LEDGER = ChainTables(Chain.LEDGER, consent_ledger, consent_ledger_head, "payload")
AUDIT = ChainTables(Chain.AUDIT, audit_log, audit_head, "details")


def _rows(world: World, t: ChainTables) -> list[dict[str, Any]]:
    with world.engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(select(t.log).order_by(t.log.c.seq))]


def _verify(world: World, t: ChainTables) -> Verification:
    return world.ledger() if t.chain is Chain.LEDGER else world.audit()


def _kinds(result: Verification) -> set[BreakKind]:
    return {b.kind for b in result.breaks}


def _edit(world: World, t: ChainTables, rows: list[dict[str, Any]]) -> None:
    target = rows[1]
    text = json.loads(target[t.payload])
    text["tampered"] = True
    world.sql(update(t.log).where(t.log.c.seq == target["seq"])
              .values({t.payload: json.dumps(text)}))


def _delete(world: World, t: ChainTables, rows: list[dict[str, Any]]) -> None:
    world.sql(delete(t.log).where(t.log.c.seq == rows[1]["seq"]))


def _insert(world: World, t: ChainTables, rows: list[dict[str, Any]]) -> None:
    copy = dict(rows[-1])
    copy["seq"] = rows[-1]["seq"] + 1
    copy["prev_hash"] = rows[-1]["hash"]
    copy["hash"] = "f" * 64
    world.sql(insert(t.log).values(copy))


def _reorder(world: World, t: ChainTables, rows: list[dict[str, Any]]) -> None:
    a, b = rows[1]["seq"], rows[2]["seq"]
    world.sql(update(t.log).where(t.log.c.seq == a).values(seq=-1))
    world.sql(update(t.log).where(t.log.c.seq == b).values(seq=a))
    world.sql(update(t.log).where(t.log.c.seq == -1).values(seq=b))


def _truncate(world: World, t: ChainTables, rows: list[dict[str, Any]]) -> None:
    world.sql(delete(t.log).where(t.log.c.seq > rows[-3]["seq"]))


def _truncate_and_rewind(world: World, t: ChainTables, rows: list[dict[str, Any]]) -> None:
    _truncate(world, t, rows)
    world.sql(update(t.head).values(seq=rows[-3]["seq"], hash=rows[-3]["hash"]))


def _reset(world: World, t: ChainTables, rows: list[dict[str, Any]]) -> None:
    world.sql(delete(t.log))
    world.sql(update(t.head).values(seq=0, hash=GENESIS))


CHAIN_EDITS: list[tuple[str, Callable[[World, ChainTables, list[dict[str, Any]]], None],
                        BreakKind, bool]] = [
    # (name, edit, the break it must show, found without an anchor)
    ("edit", _edit, BreakKind.EDITED, True),
    ("delete", _delete, BreakKind.DELETED, True),
    ("insert", _insert, BreakKind.INSERTED, True),
    ("reorder", _reorder, BreakKind.REORDERED, True),
    ("truncate", _truncate, BreakKind.TRUNCATED, True),
    ("truncate + head rewind", _truncate_and_rewind, BreakKind.TRUNCATED, False),
    ("full reset", _reset, BreakKind.TRUNCATED, False),
]


@pytest.mark.parametrize("tables", [LEDGER, AUDIT], ids=["ledger", "audit"])
@pytest.mark.parametrize(("name", "change", "kind", "without_anchor"), CHAIN_EDITS,
                         ids=[c[0] for c in CHAIN_EDITS])
def test_a_chain_edit_is_caught(world: World, tables: ChainTables, name: str,
                                change: Callable[[World, ChainTables, list[dict[str, Any]]],
                                                 None],
                                kind: BreakKind, without_anchor: bool) -> None:
    rows = _rows(world, tables)
    assert len(rows) >= 4
    # Before any anchor: what the chain alone can tell.
    change(world, tables, rows)
    alone = _verify(world, tables)
    assert (kind in _kinds(alone)) is without_anchor, [b.message for b in alone.breaks]


@pytest.mark.parametrize("tables", [LEDGER, AUDIT], ids=["ledger", "audit"])
@pytest.mark.parametrize(("name", "change", "kind", "without_anchor"), CHAIN_EDITS,
                         ids=[c[0] for c in CHAIN_EDITS])
def test_a_chain_edit_is_caught_against_the_anchor(
    world: World, tables: ChainTables, name: str,
    change: Callable[[World, ChainTables, list[dict[str, Any]]], None], kind: BreakKind,
    without_anchor: bool,
) -> None:
    world.anchor(tables.chain)
    rows = _rows(world, tables)
    change(world, tables, rows)
    result = _verify(world, tables)
    assert not result.ok
    assert kind in _kinds(result), [b.message for b in result.breaks]
    # A scheduled anchor now refuses to bless what is left.
    if kind is BreakKind.TRUNCATED:
        before = (world.targets.file.path.read_text())
        with pytest.raises(ConflictError):
            world.anchor(tables.chain)
        assert world.targets.file.path.read_text() == before


def test_the_schedule_anchors_both_chains_and_verification_follows_the_latest(
    world: World,
) -> None:
    schedule = AnchorSchedule(world.anchor, minutes=5)
    schedule.run_once()
    first = {c: latest(AUDIT_KEY, c, world.targets).anchor for c in Chain}
    assert all(a is not None for a in first.values())
    schedule.run_once()  # nothing moved: nothing written
    assert len(world.targets.file.path.read_text().splitlines()) == 2
    consent_service.withdraw_consent(make_context(world.uow(), None, world.clock, ACTOR),
                                     world.ids["rolled_back"], ScopeKind.PROCESSING)
    schedule.run_once()
    ledger_anchor = latest(AUDIT_KEY, Chain.LEDGER, world.targets).anchor
    assert ledger_anchor is not None and first[Chain.LEDGER] is not None
    assert ledger_anchor.seq > first[Chain.LEDGER].seq
    assert world.ledger().ok and world.audit().ok
    # A line of the anchor file edited by hand is counted, and not used.
    lines = world.targets.file.path.read_text().splitlines()
    edited = json.loads(lines[-1])
    edited["seq"] = 1
    world.targets.file.path.write_text("\n".join([*lines, json.dumps(edited)]) + "\n")
    found = latest(AUDIT_KEY, Chain.LEDGER, world.targets)
    assert found.forged == 1 and found.anchor == ledger_anchor

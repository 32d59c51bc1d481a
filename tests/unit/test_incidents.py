"""Incidents: the state machine (hypothesis), the notification clock on the working
calendar, the register on fakes, detection from alerts and refused access."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from derbes.audit.model.log import AuditRecord
from derbes.audit.ports import NewAlert
from derbes.errors import ConflictError, InputError, NotFoundError
from derbes.incidents import service as incidents
from derbes.incidents.model import (
    ClockState,
    Incident,
    Severity,
    Source,
    State,
    Transition,
    allowed,
    apply,
    next_moves,
)
from derbes.platform.clock import FixedClock
from tests.consent_support import World

ALMATY = ZoneInfo("Asia/Almaty")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _incident(state: State = State.CANDIDATE) -> Incident:
    return Incident(id="i1", operator_id="op", state=state, source=Source.ALERT,
                    detected_at=T0, summary="x", severity=Severity.HIGH, created_at=T0,
                    created_by="t", updated_at=T0)


@given(st.lists(st.sampled_from(list(Transition)), max_size=12),
       st.sampled_from(["", "false positive"]), st.sampled_from(["", "rotate keys"]))
def test_every_sequence_keeps_the_invariants(moves: list[Transition], reason: str,
                                            measures: str) -> None:
    incident = _incident()
    incident = Incident(**{**incident.__dict__, "measures_taken": measures})
    at = T0
    for move in moves:
        at += timedelta(minutes=1)
        before = incident
        try:
            incident = apply(incident, move, at, reason=reason, lessons="lesson")
        except (ConflictError, InputError):
            assert incident == before
            continue
        assert move in allowed(before.state) and move in next_moves(before)
        assert not before.finished
    if incident.state is State.CLOSED:
        assert incident.notified_at is not None and incident.measures_taken and incident.lessons
        assert incident.contained_at is not None
    if incident.state is State.DISMISSED:
        assert incident.dismiss_reason and incident.notified_at is None


def test_terminal_states_allow_nothing_and_notifying_twice_is_refused() -> None:
    assert allowed(State.CLOSED) == () and allowed(State.DISMISSED) == ()
    notified = apply(apply(_incident(), Transition.CONFIRM, T0), Transition.NOTIFY, T0)
    contained = apply(notified, Transition.CONTAIN, T0)
    with pytest.raises(ConflictError, match="already notified"):
        apply(contained, Transition.NOTIFY, T0)
    with pytest.raises(InputError, match="reason"):
        apply(_incident(), Transition.DISMISS, T0, reason="  ")


@pytest.fixture
def world() -> World:
    return World(FixedClock(datetime(2026, 3, 20, 14, 0, tzinfo=UTC)))  # Fri 19:00 Almaty


def _open(world: World, **kw: object) -> Incident:
    new = incidents.NewIncident(**{  # type: ignore[arg-type]
        "operator_id": world.loaded.register.operator.id, "detected_at": world.clock.now(),
        "source": Source.STAFF_REPORT, "summary": "Laptop with an export stolen",
        "categories": ("identity.iin",), "subject_count": 40, **kw})
    return incidents.open_incident(world.ctx(), new)


def test_friday_evening_before_nauryz_is_due_after_the_days_off(world: World) -> None:
    # Fri 20 Mar 2026 19:00 Almaty; 21-23 Mar Nauryz, 24-25 Mar decreed days off, so the
    # one working day is Thu 26 Mar and the term is over at midnight after it.
    incident = _open(world)
    clock = incidents.notification_clock(world.ctx(), incident)
    assert clock.due_at == datetime(2026, 3, 27, 0, 0, tzinfo=ALMATY)
    assert clock.state is ClockState.RUNNING
    assert "Art. 25 p.2 sp.8" in clock.citation


def test_a_weekend_moves_the_term_and_the_clock_runs_out(world: World) -> None:
    world.clock.current = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)  # Fri 10 Apr
    incident = _open(world)
    clock = incidents.notification_clock(world.ctx(), incident)
    assert clock.due_at == datetime(2026, 4, 14, 0, 0, tzinfo=ALMATY)  # end of Mon 13 Apr
    world.clock.current = datetime(2026, 4, 13, 15, 0, tzinfo=UTC)
    assert incidents.notification_clock(world.ctx(), incident).state is ClockState.NEAR
    world.clock.current = datetime(2026, 4, 14, 1, 0, tzinfo=UTC)
    assert incidents.notification_clock(world.ctx(), incident).state is ClockState.OVERDUE
    alerts = incidents.alert_due(world.ctx(), world.couriers)
    assert [a.level for a in alerts] == [ClockState.OVERDUE]
    assert incidents.alert_due(world.ctx(), world.couriers) == []  # once per level
    shown = incidents.show(world.ctx(), incident.id)
    assert [e.kind for e in shown.events] == ["open", "due_alert"]


def test_open_checks_input_and_refusals_change_nothing(world: World) -> None:
    operator = world.loaded.register.operator.id
    with pytest.raises(NotFoundError):
        _open(world, operator_id="no-such-operator")
    with pytest.raises(InputError) as future:
        _open(world, detected_at=world.clock.now() + timedelta(hours=1))
    assert future.value.field == "detected_at"
    with pytest.raises(InputError) as naive:
        _open(world, detected_at=datetime(2026, 3, 20, 10, 0))
    assert naive.value.field == "detected_at"
    with pytest.raises(InputError) as unknown:
        _open(world, subject_ids=("not-a-subject",))
    assert unknown.value.field == "subject_ids"
    assert incidents.listing(world.ctx(), operator) == []
    with world.uow() as uow:
        refused = [e for e in uow.audit.entries() if e.action == "incident.open.refused"]
    assert len(refused) == 4


def test_dismiss_needs_a_reason_and_close_needs_notice_measures_lessons(world: World) -> None:
    candidate = _open(world, state=State.CANDIDATE)
    with pytest.raises(InputError):
        incidents.move(world.ctx(), candidate.id, Transition.DISMISS)
    assert incidents.get(world.ctx(), candidate.id).state is State.CANDIDATE
    incidents.move(world.ctx(), candidate.id, Transition.CONFIRM)
    with pytest.raises(ConflictError):
        incidents.move(world.ctx(), candidate.id, Transition.CLOSE, lessons="x")
    incidents.move(world.ctx(), candidate.id, Transition.NOTIFY)
    incidents.move(world.ctx(), candidate.id, Transition.CONTAIN)
    with pytest.raises(InputError) as no_measures:
        incidents.move(world.ctx(), candidate.id, Transition.CLOSE, lessons="x")
    assert no_measures.value.field == "measures_taken"
    subject = world.subject()
    incidents.update(world.ctx(), candidate.id, incidents.Changes(
        measures_taken="Passwords reset", subject_ids=(subject,)))
    closed = incidents.move(world.ctx(), candidate.id, Transition.CLOSE, lessons="Encrypt")
    assert closed.state is State.CLOSED and closed.subject_count == 1
    shown = incidents.show(world.ctx(), candidate.id)
    assert shown.subject_ids == [subject]
    assert [e.kind for e in shown.events] == ["open", "confirm", "notify", "contain",
                                              "update", "close"]


def test_detect_opens_one_candidate_per_signal_and_is_idempotent(world: World) -> None:
    operator = world.loaded.register.operator.id
    now = world.clock.now()
    with world.uow() as uow:
        uow.audit.record(AuditRecord(at=now, actor="staff:mole", action="subject.read",
                                     details={"operator_id": operator}))
        uow.alerts.add(NewAlert(at=now, actor="staff:mole", rule="bulk", count=500,
                                window_seconds=600, first_at=now, last_at=now,
                                details={"actions": ["subject.read"]}))
        uow.audit.record(AuditRecord(at=now, actor="staff:gone", action="staff.denied",
                                     details={"operator_id": operator,
                                              "reason": "no role at this operator"}))
        uow.audit.record(AuditRecord(at=now, actor="staff:gone", action="staff.denied",
                                     details={"operator_id": operator, "reason": "again"}))
        uow.audit.record(AuditRecord(at=now, actor="staff:other", action="staff.denied",
                                     details={"operator_id": "another-operator",
                                              "reason": "no role"}))
        uow.commit()
    chain = incidents.ChainFailure(7, "edited", now)
    opened = incidents.detect(world.ctx(), operator, chain)
    assert sorted(i.trigger.value for i in opened if i.trigger) == [
        "bulk_read", "chain_break", "denied_access"]
    assert all(i.state is State.CANDIDATE for i in opened)
    assert incidents.detect(world.ctx(), operator, chain) == []
    assert len(incidents.listing(world.ctx(), operator)) == 3


def test_contained_then_notified_is_closed_without_containing_again() -> None:
    opened = apply(_incident(), Transition.CONFIRM, T0)
    contained = apply(opened, Transition.CONTAIN, T0)
    notified = apply(contained, Transition.NOTIFY, T0)
    assert notified.state is State.NOTIFIED and next_moves(notified) == (Transition.CLOSE,)
    with pytest.raises(ConflictError, match="cannot contain"):
        apply(notified, Transition.CONTAIN, T0)
    done = apply(replace(notified, measures_taken="keys rotated"), Transition.CLOSE, T0,
                 lessons="audit buckets")
    assert done.state is State.CLOSED
    # Notified first and not contained: closing waits for the containment.
    first = apply(opened, Transition.NOTIFY, T0)
    assert next_moves(first) == (Transition.CONTAIN,)
    with pytest.raises(ConflictError, match="cannot close"):
        apply(replace(first, measures_taken="x"), Transition.CLOSE, T0, lessons="y")


def test_affected_subjects_sealed_list_and_notifications_on_the_fake(world: World) -> None:
    from tests.incident_subjects_support import run_scenario

    run_scenario(world)


def test_evidence_is_sealed_fingerprinted_and_refused_when_bad(world: World) -> None:
    from tests.incident_subjects_support import run_evidence_scenario

    run_evidence_scenario(world)


def test_a_sealed_list_opens_only_for_its_own_incident_and_unaltered(world: World) -> None:
    subject = world.subject()
    first = _open(world, subject_ids=(subject,))
    second = _open(world, subject_ids=(subject,))
    export = incidents.seal_list(world.ctx(), first.id)
    with pytest.raises(NotFoundError) as elsewhere:
        incidents.open_list(world.ctx(), second.id, export.id)
    assert elsewhere.value.field == "export_id"
    # Moved to the other incident in the store: the sealed bytes are bound to the first.
    with world.uow() as uow:
        uow.incidents.add_export(replace(export, incident_id=second.id))
        uow.commit()
    with pytest.raises(ConflictError):
        incidents.open_list(world.ctx(), second.id, export.id)
    # A flipped byte does not open either.
    tampered = bytearray(export.sealed)
    tampered[-1] ^= 1
    with world.uow() as uow:
        uow.incidents.add_export(replace(export, sealed=bytes(tampered)))
        uow.commit()
    with pytest.raises(ConflictError):
        incidents.open_list(world.ctx(), first.id, export.id)
    with world.uow() as uow:
        refused = [e for e in uow.audit.entries() if e.action == "incident.list_opened.refused"]
        opened = [e for e in uow.audit.entries() if e.action == "incident.list_opened"]
    assert len(refused) == 3 and opened == []

"""The incident register on the fake, SQLite and PostgreSQL: the same store, timeline and
transitions on each; refusals change nothing; no subject's value in any incident column
or in what was logged."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from derbes.errors import ConflictError, InputError
from derbes.incidents import service as incidents
from derbes.incidents.model import Severity, Source, State, Transition
from derbes.incidents.ports import IncidentFilter
from derbes.platform.clock import FixedClock
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.platform.tables import audit_log, deliveries
from derbes.platform.tables.incidents import (
    incident_events,
    incident_evidence,
    incident_exports,
    incident_notifications,
    incident_scans,
    incident_subjects,
)
from derbes.platform.tables.incidents import (
    incidents as incidents_table,
)
from derbes.testing.audit import FAKE_AUDIT_KEY
from derbes.uow import UnitOfWork
from tests.consent_support import ACTOR, ADULT_IIN, FULL_NAME, PHONE, World
from tests.load_support import adult_iin

NOW = datetime(2026, 3, 20, 14, 0, tzinfo=UTC)  # Friday 19:00 in Almaty


def _new(world: World, **kw: object) -> incidents.NewIncident:
    return incidents.NewIncident(**{  # type: ignore[arg-type]
        "operator_id": world.loaded.register.operator.id,
        "detected_at": NOW - timedelta(hours=1), "source": Source.PROCESSOR_REPORT,
        "summary": "The processor's backup bucket was public for two days",
        "categories": ("identity.iin", "contact.phone"), "systems": ("backup",), **kw})


def test_store_timeline_and_transitions_agree_on_every_backend(
        uow_factory: Callable[[], UnitOfWork]) -> None:
    world = World(FixedClock(NOW), uow_factory)
    subjects = [world.subject(), world.subject(adult_iin(7), "+77011234567")]
    opened = incidents.open_incident(world.ctx(), _new(world, subject_ids=tuple(subjects)))
    assert opened.subject_count == 2
    candidate = incidents.open_incident(world.ctx(), _new(
        world, source=Source.ALERT, state=State.CANDIDATE, summary="Bulk read by api:crm",
        trigger_ref="alert:7"))

    world.clock.advance(timedelta(minutes=30))
    incidents.move(world.ctx(), opened.id, Transition.CONTAIN)
    world.clock.advance(timedelta(minutes=30))
    incidents.move(world.ctx(), opened.id, Transition.NOTIFY)
    with pytest.raises(ConflictError):
        incidents.move(world.ctx(), opened.id, Transition.NOTIFY)
    with pytest.raises(InputError):
        incidents.move(world.ctx(), opened.id, Transition.CLOSE, lessons="Rotate keys")
    incidents.update(world.ctx(), opened.id, incidents.Changes(
        measures_taken="Bucket closed, keys rotated", severity=Severity.HIGH,
        subject_ids=(subjects[0],)))
    closed = incidents.move(world.ctx(), opened.id, Transition.CLOSE, lessons="Audit buckets")
    with pytest.raises(InputError):
        incidents.move(world.ctx(), candidate.id, Transition.DISMISS, reason=" ")
    dismissed = incidents.move(world.ctx(), candidate.id, Transition.DISMISS,
                               reason="A planned export")

    # Read back through a fresh unit of work: what the use cases returned is what is stored.
    with world.uow() as uow:
        stored = uow.incidents.get(opened.id)
        events = uow.incidents.events(opened.id)
        named = uow.incidents.subjects(opened.id)
        by_trigger = uow.incidents.by_trigger(candidate.operator_id, "alert:7")
        closed_only = uow.incidents.list(IncidentFilter(states=(State.CLOSED,)))
        every = uow.incidents.list(IncidentFilter((opened.operator_id,)))
        refused = [e.action for e in uow.audit.entries() if e.action.endswith(".refused")]
    assert stored == closed
    assert stored.state is State.CLOSED and stored.notified_at == NOW + timedelta(hours=1)
    assert stored.contained_at == NOW + timedelta(minutes=30)
    assert stored.detected_at == NOW - timedelta(hours=1)
    assert stored.categories == ("identity.iin", "contact.phone")
    assert stored.subject_count == 1 and named == [subjects[0]]
    assert [(e.seq, e.kind) for e in events] == [
        (1, "open"), (2, "contain"), (3, "notify"), (4, "update"), (5, "close")]
    assert events[3].details["fields"] == ["severity", "subject_ids", "measures_taken"]
    assert {e.actor for e in events} == {ACTOR}
    assert by_trigger == dismissed and dismissed.dismiss_reason == "A planned export"
    assert [i.id for i in closed_only] == [opened.id]
    assert {i.id for i in every} == {opened.id, candidate.id}
    assert refused == ["incident.notify.refused", "incident.close.refused",
                       "incident.dismiss.refused"]


def test_a_refused_change_leaves_the_record_and_timeline_as_they_were(
        uow_factory: Callable[[], UnitOfWork]) -> None:
    world = World(FixedClock(NOW), uow_factory)
    opened = incidents.open_incident(world.ctx(), _new(world))
    before = incidents.show(world.ctx(), opened.id)
    for bad in (incidents.Changes(subject_ids=("not-a-subject",)),
                incidents.Changes(summary="   "),
                incidents.Changes(summary="x" * 5000)):
        with pytest.raises(InputError):
            incidents.update(world.ctx(), opened.id, bad)
    with pytest.raises(InputError):
        incidents.open_incident(world.ctx(), _new(world, detected_at=NOW + timedelta(days=1)))
    after = incidents.show(world.ctx(), opened.id)
    assert after == before
    with world.uow() as uow:
        assert len(uow.incidents.list(IncidentFilter())) == 1


def test_no_subject_value_in_any_incident_column_or_log(
        engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    world = World(FixedClock(NOW), lambda: SqlUnitOfWork(engine, audit_key=FAKE_AUDIT_KEY))
    subject = world.subject()
    opened = incidents.open_incident(world.ctx(), _new(world, subject_ids=(subject,)))
    incidents.update(world.ctx(), opened.id, incidents.Changes(
        measures_taken="Reset", planned_measures="Notify the subjects"))
    export = incidents.seal_list(world.ctx(), opened.id)
    assert incidents.open_list(world.ctx(), opened.id, export.id)[0].iin == ADULT_IIN
    incidents.notify_subjects(world.ctx(), world.couriers, opened.id, default_language="kk")
    for move in (Transition.NOTIFY, Transition.CONTAIN):
        incidents.move(world.ctx(), opened.id, move)
    with pytest.raises(InputError):
        incidents.update(world.ctx(), opened.id, incidents.Changes(subject_ids=(ADULT_IIN,)))
    dump = []
    with engine.connect() as connection:
        for table in (incidents_table, incident_events, incident_subjects, incident_exports,
                      incident_scans, incident_notifications, incident_evidence, deliveries,
                      audit_log):
            dump += [repr(tuple(row)) for row in connection.execute(select(table))]
    text = "\n".join(dump)
    assert subject in text  # the list names the subject by internal id
    assert len(world.sms.sent) == 1  # it was sent, and is stored nowhere in clear
    logged = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    # The IIN, its digits and the phone's, the name: in no column and no log line.
    for value in (ADULT_IIN, FULL_NAME, PHONE, PHONE.lstrip("+"), FULL_NAME.split()[0]):
        assert value not in text
        assert value not in logged


def test_affected_subjects_list_and_notifications_on_every_backend(
        uow_factory: Callable[[], UnitOfWork]) -> None:
    from tests.incident_subjects_support import run_scenario

    run_scenario(World(FixedClock(NOW), uow_factory))


def test_evidence_on_every_backend(uow_factory: Callable[[], UnitOfWork]) -> None:
    from tests.incident_subjects_support import run_evidence_scenario

    run_evidence_scenario(World(FixedClock(NOW), uow_factory))


def test_due_alerts_e_mail_the_responsible_person_once_per_level(
        uow_factory: Callable[[], UnitOfWork]) -> None:
    from derbes.incidents.model import ClockState
    from derbes.register.adapters.yaml import READER
    from derbes.register.service import registers
    from tests.consent_support import EXPRESS

    world = World(FixedClock(datetime(2026, 4, 10, 12, 0, tzinfo=UTC)), uow_factory)  # Fri
    text = EXPRESS.read_text("utf-8").replace(
        "  contacts:\n", "  responsible_person:\n    role: {ru: \"Ответственный\", "
        "kk: \"Жауапты тұлға\", en: \"Responsible\"}\n    email: dpo@expressavans.kz\n"
        "  contacts:\n", 1)
    registers.publish(world.uow(), [READER.parse(text, "express-avans.yaml")], world.clock)
    opened = incidents.open_incident(world.ctx(), _new(world, detected_at=world.clock.now()))
    assert incidents.alert_due(world.ctx(), world.couriers) == []  # running: nothing
    world.clock.current = datetime(2026, 4, 13, 15, 0, tzinfo=UTC)  # Mon 20:00, due at 24:00
    (near,) = incidents.alert_due(world.ctx(), world.couriers)
    assert near.level is ClockState.NEAR and near.delivery_state == "sent"
    assert incidents.alert_due(world.ctx(), world.couriers) == []
    world.clock.current = datetime(2026, 4, 14, 1, 0, tzinfo=UTC)
    (late,) = incidents.alert_due(world.ctx(), world.couriers)
    assert late.level is ClockState.OVERDUE
    assert incidents.alert_due(world.ctx(), world.couriers) == []
    mails = world.couriers.mail.sent  # type: ignore[attr-defined]
    assert [m.to for m in mails] == ["dpo@expressavans.kz"] * 2
    assert opened.id[:8] in mails[0].subject
    kinds = [(e.kind, e.details.get("level")) for e in
             incidents.show(world.ctx(), opened.id).events]
    assert kinds == [("open", None), ("due_alert", "near"), ("due_alert", "overdue")]
    with world.uow() as uow:
        delivered = uow.deliveries.get(str(near.delivery_id))
    assert delivered is not None and delivered.recipient_masked.startswith("d•••@")


def test_two_runs_at_once_notify_each_subject_once(engine: Engine) -> None:
    import threading

    world = World(FixedClock(NOW), lambda: SqlUnitOfWork(engine, audit_key=FAKE_AUDIT_KEY))
    subjects = (world.subject(), world.subject(adult_iin(7), "+77011234567"))
    opened = incidents.open_incident(world.ctx(), _new(
        world, subject_ids=subjects, measures_taken="Bucket closed"))
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        start.wait()
        try:
            report = incidents.notify_subjects(world.ctx(), world.couriers, opened.id)
            outcomes.append(f"sent {len(report.notified)}")
        except ConflictError as exc:
            outcomes.append(f"refused {exc.field}")

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused subject_ids", "sent 2"]
    assert sorted(s.phone for s in world.sms.sent) == sorted([PHONE, "+77011234567"])
    assert len(incidents.notifications(world.ctx(), opened.id)) == 2


def _appoint(world: World, operator_id: str) -> None:
    from derbes.compliance.model import NewAppointment

    with world.uow() as uow:
        uow.responsible.add(NewAppointment(
            operator_id, "Айгерім Сәдуақасова", "Комплаенс қызметінің басшысы",
            world.clock.now().date(), email="aigerim@expressavans.kz", phone="+77010000001"),
            world.clock.now(), ACTOR)
        uow.commit()


def test_the_recorded_appointment_comes_first_then_the_register_then_nothing(
        uow_factory: Callable[[], UnitOfWork]) -> None:
    from derbes.register.adapters.yaml import READER
    from derbes.register.service import registers
    from tests.consent_support import EXPRESS

    world = World(FixedClock(datetime(2026, 4, 10, 12, 0, tzinfo=UTC)), uow_factory)
    operator = world.loaded.register.operator.id
    bare = incidents.open_incident(world.ctx(), _new(world, detected_at=world.clock.now()))
    # The seed names no responsible person and nothing is appointed: both say so.
    assert world.loaded.register.operator.responsible_person is None
    none = incidents.body_notice(world.ctx(), bare.id)
    assert (none.responsible_source, none.responsible_name, none.responsible_email) == (
        "none", None, None)
    world.clock.current = datetime(2026, 4, 14, 1, 0, tzinfo=UTC)
    (unsent,) = incidents.alert_due(world.ctx(), world.couriers)
    assert unsent.delivery_id is None
    reasons = [e.details.get("reason") for e in
               incidents.show(world.ctx(), bare.id).events if e.kind == "due_alert"]
    assert reasons == ["no e-mail of the responsible person"]
    world.clock.current = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)
    text = EXPRESS.read_text("utf-8").replace(
        "  contacts:\n", "  responsible_person:\n    role: {ru: \"Ответственный\", "
        "kk: \"Жауапты тұлға\", en: \"Responsible\"}\n    email: dpo@expressavans.kz\n"
        "  contacts:\n", 1)
    registers.publish(world.uow(), [READER.parse(text, "express-avans.yaml")], world.clock)
    opened = incidents.open_incident(world.ctx(), _new(world, detected_at=world.clock.now()))
    by_register = incidents.body_notice(world.ctx(), opened.id)
    assert (by_register.responsible_source, by_register.responsible_email) == (
        "register", "dpo@expressavans.kz")
    _appoint(world, operator)
    appointed = incidents.body_notice(world.ctx(), opened.id)
    assert (appointed.responsible_source, appointed.responsible_name,
            appointed.responsible_position, appointed.responsible_email) == (
        "appointment", "Айгерім Сәдуақасова", "Комплаенс қызметінің басшысы",
        "aigerim@expressavans.kz")
    world.clock.current = datetime(2026, 4, 14, 1, 0, tzinfo=UTC)
    sent = [a for a in incidents.alert_due(world.ctx(), world.couriers)
            if a.incident_id == opened.id]
    assert sent and sent[0].delivery_state == "sent"
    mails = world.couriers.mail.sent  # type: ignore[attr-defined]
    assert [m.to for m in mails] == ["aigerim@expressavans.kz"]

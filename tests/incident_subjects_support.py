"""One scenario of an incident's affected subjects, run on the fake unit of work (unit)
and on SQLite and PostgreSQL (integration): the sealed list, its opening, the
notifications in the subject's language, and the bad input around them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from derbes.errors import ConflictError, InputError
from derbes.incidents import service as incidents
from derbes.incidents.model import Source, Transition
from derbes.vault.model import NewValue, Provenance
from derbes.vault.model import Source as ValueSource
from derbes.vault.service import subjects as vault_service
from tests.consent_support import ACTOR, ADULT_IIN, FULL_NAME, PHONE, World
from tests.load_support import adult_iin

NOW = datetime(2026, 3, 20, 14, 0, tzinfo=UTC)  # Friday 19:00 in Almaty
EMAIL = "aigerim.testova@mail.kz"
SECOND_NAME = "Айгерім Нұрланқызы Тестова"


def mailbox_only(world: World) -> str:
    """A subject whose only contact is an e-mail address."""
    prov = Provenance(source=ValueSource.SUBJECT, purposes=(), method="web_form",
                      collected_at=datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    values = [NewValue("identity.full_name", SECOND_NAME, prov),
              NewValue("identity.iin", adult_iin(11), prov),
              NewValue("contact.email", EMAIL, prov)]
    return vault_service.add_subject(world.ctx(ACTOR), world.loaded.register, values, {})


def run_scenario(world: World) -> None:
    phone_subject, mail_subject = world.subject(), mailbox_only(world)
    opened = incidents.open_incident(world.ctx(), incidents.NewIncident(
        operator_id=world.loaded.register.operator.id, detected_at=NOW - timedelta(hours=2),
        source=Source.PROCESSOR_REPORT, summary="The processor's bucket was public",
        categories=("identity.iin", "contact.phone"),
        subject_ids=(phone_subject, mail_subject)))
    # Bad input: no measures yet, a subject not named, nothing changes.
    with pytest.raises(InputError) as no_measures:
        incidents.notify_subjects(world.ctx(), world.couriers, opened.id)
    assert no_measures.value.field == "measures_taken"
    incidents.update(world.ctx(), opened.id, incidents.Changes(
        measures_taken="Bucket closed, keys rotated"))
    with pytest.raises(InputError) as stranger:
        incidents.notify_subjects(world.ctx(), world.couriers, opened.id,
                                  subject_ids=(phone_subject, "not-a-subject"))
    assert stranger.value.field == "subject_ids"
    with pytest.raises(InputError) as channel:
        incidents.notify_subjects(world.ctx(), world.couriers, opened.id, channel="pigeon")
    assert channel.value.field == "channel"
    assert incidents.notifications(world.ctx(), opened.id) == []
    assert world.sms.sent == []

    # The sealed list: nothing of it in clear where it is stored; opened, it is complete.
    export = incidents.seal_list(world.ctx(), opened.id)
    assert export.subjects == 2
    for value in (ADULT_IIN, FULL_NAME, PHONE, EMAIL, SECOND_NAME):
        assert value.encode() not in export.sealed
    rows = {c.subject_id: c for c in incidents.open_list(world.ctx(), opened.id, export.id)}
    assert (rows[phone_subject].name, rows[phone_subject].iin, rows[phone_subject].phone) == (
        FULL_NAME, ADULT_IIN, PHONE)
    assert (rows[mail_subject].email, rows[mail_subject].phone) == (EMAIL, None)
    assert [e.id for e in incidents.exports(world.ctx(), opened.id)] == [export.id]

    # Notified in Kazakh by SMS and by e-mail, each delivery recorded against the incident.
    report = incidents.notify_subjects(world.ctx(), world.couriers, opened.id,
                                       default_language="kk")
    by_subject = {n.subject_id: n for n in report.notified}
    assert by_subject[phone_subject].channel == "sms"
    assert by_subject[mail_subject].channel == "email"
    assert {n.outcome for n in report.notified} == {"sent"}
    assert all(n.delivery_id and n.language == "kk" for n in report.notified)
    (sms,) = world.sms.sent
    assert sms.phone == PHONE and "Сіздің дербес деректеріңізді" in sms.text
    mailer = world.couriers.mail
    (mail,) = mailer.sent  # type: ignore[attr-defined]
    assert mail.to == EMAIL and "Қабылданған шаралар: Bucket closed" in mail.body
    assert "Жеке сәйкестендіру нөмірі" in mail.body  # the category's Kazakh label
    stored = incidents.notifications(world.ctx(), opened.id)
    assert {n.subject_id: n.delivery_id for n in stored} == {
        s: by_subject[s].delivery_id for s in by_subject}

    # Notifying twice is refused and sends nothing more.
    with pytest.raises(ConflictError) as twice:
        incidents.notify_subjects(world.ctx(), world.couriers, opened.id)
    assert twice.value.field == "subject_ids" and "already notified" in str(twice.value)
    assert len(world.sms.sent) == 1

    shown = incidents.show(world.ctx(), opened.id)
    kinds = [e.kind for e in shown.events]
    assert kinds == ["open", "update", "list_sealed", "list_opened", "subjects_notified"]
    with world.uow() as uow:
        entries = list(uow.audit.entries())
    opening = [e for e in entries if e.action == "incident.list_opened"]
    assert [sorted(e.subject_ids) for e in opening] == [sorted([phone_subject, mail_subject])]
    refused = [e.details["field"] for e in entries
               if e.action == "incident.subjects_notified.refused"]
    assert refused == ["measures_taken", "subject_ids", "channel", "subject_ids"]

    # Done with the incident: the list's key goes, the list opens no more.
    for move in (Transition.NOTIFY, Transition.CONTAIN):
        incidents.move(world.ctx(), opened.id, move)
    incidents.move(world.ctx(), opened.id, Transition.CLOSE, lessons="Audit buckets weekly")
    with pytest.raises(ConflictError) as shredded:
        incidents.open_list(world.ctx(), opened.id, export.id)
    assert shredded.value.field == "export_id"


def run_evidence_scenario(world: World) -> None:
    """Evidence: sealed with the name it was given, fingerprinted, refused when bad,
    opened and audited; a finished incident takes no more."""
    import hashlib

    from derbes.errors import NotFoundError
    from derbes.incidents.service.evidence import MAX_BYTES

    opened = incidents.open_incident(world.ctx(), incidents.NewIncident(
        operator_id=world.loaded.register.operator.id, detected_at=NOW - timedelta(hours=1),
        source=Source.STAFF_REPORT, summary="An export was mailed outside"))
    name = f"Выписка {FULL_NAME}.csv"  # a file's name may itself name a subject
    content = f"iin;name\n{ADULT_IIN};{FULL_NAME}\n".encode()
    bad = [("", "text/csv", content, "name"), ("../../etc/passwd\x00", "text/csv", content,
                                                 "name"),
           (name, "application/x-msdownload", content, "media_type"),
           (name, "text/csv", b"", "file"), (name, "text/csv", b"x" * (MAX_BYTES + 1), "file")]
    for given, media, data, field_at_fault in bad:
        with pytest.raises(InputError) as refused:
            incidents.attach(world.ctx(), opened.id, given, media, data)
        assert refused.value.field == field_at_fault
    assert incidents.evidence(world.ctx(), opened.id) == []
    item = incidents.attach(world.ctx(), opened.id, f"C:\\Users\\sec\\{name}", "text/csv",
                            content)
    assert item.name == "evidence-1.csv" and item.size == len(content)
    assert item.sha256 == hashlib.sha256(content).hexdigest()
    for value in (ADULT_IIN, FULL_NAME, "Выписка"):
        assert value.encode() not in item.sealed and value not in repr(item)
    (listed,) = incidents.evidence(world.ctx(), opened.id)
    assert listed.id == item.id
    got = incidents.open_evidence(world.ctx(), opened.id, item.id)
    assert (got.name, got.content) == (name, content)
    with pytest.raises(NotFoundError):
        incidents.open_evidence(world.ctx(), opened.id, "nope")
    incidents.move(world.ctx(), opened.id, Transition.NOTIFY)
    incidents.move(world.ctx(), opened.id, Transition.CONTAIN)
    incidents.update(world.ctx(), opened.id, incidents.Changes(measures_taken="Recalled"))
    incidents.move(world.ctx(), opened.id, Transition.CLOSE, lessons="DLP on mail")
    with pytest.raises(ConflictError):
        incidents.attach(world.ctx(), opened.id, "late.txt", "text/plain", b"late")
    # Still readable after closing: evidence is part of the incident's record.
    assert incidents.open_evidence(world.ctx(), opened.id, item.id).content == content
    kinds = [e.kind for e in incidents.show(world.ctx(), opened.id).events]
    assert kinds.count("evidence") == 1 and kinds.count("evidence_opened") == 2
    events = repr(incidents.show(world.ctx(), opened.id).events)
    assert FULL_NAME not in events and ADULT_IIN not in events

"""The affected subjects of an incident: the sealed list for their notification, and
the notifications themselves.

The rules for notifying subjects of a breach (Order 481/НҚ of 09.08.2024) need
the subjects' name and/or IIN and/or mobile number. The incident record names
subjects by internal id only; :func:`seal_list` resolves them from the vault
and seals the list (name, IIN, mobile, e-mail) under a key of its own in the key
store (``incident-export:<id>``), outside the data database. Only a person with
``incidents.export`` at the operator opens it (:func:`open_list`), and each
opening is a line of the timeline and an entry of the access audit log naming
the subjects by id (Order 179/НҚ: each access to PD is logged). Closing or
dismissing the incident destroys the lists' keys: the lists then exist nowhere
(Law 94-V Art. 7: no longer than the purpose needs).

:func:`notify_subjects` sends each named subject a message through the delivery
port, in their language (the language of their latest request to the operator,
else the one the caller chose), by SMS when a mobile number is held, else by
e-mail. Each subject is claimed in the incident's row lock before anything is
sent, so a subject is notified of an incident once, even by two runs at a time;
each delivery is recorded against the incident.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

from derbes.context import Context
from derbes.delivery import model as delivery_model
from derbes.delivery import service as delivery
from derbes.delivery.model import Message, Template
from derbes.delivery.ports import Couriers
from derbes.errors import ConflictError, CryptoError, InputError, NotFoundError
from derbes.incidents.model import Incident, State
from derbes.incidents.ports import Notified, SealedExport
from derbes.incidents.service.record import get as get_incident
from derbes.incidents.service.record import guarded, record_event
from derbes.platform import crypto
from derbes.platform.clock import KZ_ZONE
from derbes.register.service.in_force import find_in_force
from derbes.requests.ports import RequestFilter
from derbes.staff.model.roles import Permission
from derbes.vault.service.contacts import NotificationDetails, notification_details

__all__ = ["Contact", "NotifyReport", "exports", "notifications", "notify_subjects",
           "open_list", "seal_list"]

CHANNELS = ("auto", "sms", "email")
CLAIMED = "claimed"
UNREACHABLE = "unreachable"
INVALID = "invalid_recipient"


Contact = NotificationDetails
"""One line of a sealed list: the subject's details as the vault held them when the
list was sealed (``gone``: the subject was destroyed by then)."""


@dataclass(frozen=True)
class NotifyReport:
    incident_id: str
    notified: list[Notified]
    already: int  # subjects notified of this incident before this run


def _key_id(export_id: str) -> str:
    return f"incident-export:{export_id}"


def _aad(export: SealedExport | tuple[str, str]) -> bytes:
    export_id, incident_id = ((export.id, export.incident_id)
                              if isinstance(export, SealedExport) else export)
    return f"incident-export:{export_id}:{incident_id}".encode()


def _named(ctx: Context, incident: Incident) -> list[str]:
    with ctx.uow:
        named = ctx.uow.incidents.subjects(incident.id)
    if not named:
        raise InputError("no affected subjects are named for this incident (name them by "
                         "subject id with an update first)", field="subject_ids")
    return named


def seal_list(ctx: Context, incident_id: str) -> SealedExport:
    """Resolve the named subjects from the vault and seal the list (``incidents.export``)."""
    incident = get_incident(ctx, incident_id, Permission.INCIDENTS_EXPORT)

    def work() -> SealedExport:
        if incident.finished:
            raise ConflictError(f"a {incident.state.value} incident's list is not drawn up",
                                field="state")
        named = _named(ctx, incident)
        details = notification_details(ctx, named)
        export_id = uuid.uuid4().hex
        key_id = _key_id(export_id)
        key = ctx.keystore.create_keys([key_id])[key_id]
        payload = json.dumps([asdict(d) for d in details], ensure_ascii=False).encode("utf-8")
        export = SealedExport(
            id=export_id, incident_id=incident.id, key_id=key_id,
            sealed=crypto.seal(key, payload, _aad((export_id, incident.id))),
            subjects=len(details), created_at=ctx.now(), created_by=ctx.actor)
        with ctx.uow:
            ctx.uow.incidents.add_export(export)
            record_event(ctx, incident, "list_sealed", {
                "export": export_id, "subjects": len(details),
                "gone": sum(d.gone for d in details)}, subject_ids=named)
            ctx.uow.commit()
        return export

    return guarded(ctx, "incident.list_sealed", incident.operator_id, incident.id, work)


def exports(ctx: Context, incident_id: str) -> list[SealedExport]:
    """The lists sealed for an incident (what they hold stays sealed)."""
    incident = get_incident(ctx, incident_id)
    with ctx.uow:
        return list(ctx.uow.incidents.exports(incident.id))


def open_list(ctx: Context, incident_id: str, export_id: str) -> list[Contact]:
    """Open a sealed list (``incidents.export``); the opening is audited before the
    list is returned."""
    incident = get_incident(ctx, incident_id, Permission.INCIDENTS_EXPORT)

    def work() -> list[Contact]:
        with ctx.uow:
            export = ctx.uow.incidents.export(export_id)
        if export is None or export.incident_id != incident.id:
            raise NotFoundError(f"no list {export_id[:40]!r} of this incident",
                                field="export_id")
        key = ctx.keystore.keys_for([export.key_id]).get(export.key_id)
        try:
            if key is None:
                raise CryptoError("key destroyed")
            rows = json.loads(crypto.open_sealed(key, export.sealed, _aad(export)))
        except CryptoError:
            raise ConflictError("this list does not open: its key was destroyed (the "
                                "incident was closed or dismissed) or it was altered",
                                field="export_id") from None
        contacts = [Contact(**r) for r in rows]
        with ctx.uow:
            record_event(ctx, incident, "list_opened", {
                "export": export.id, "subjects": len(contacts)},
                subject_ids=[c.subject_id for c in contacts])
            ctx.uow.commit()
        return contacts

    return guarded(ctx, "incident.list_opened", incident.operator_id, incident.id, work)


# ------------------------------------------------------------------ notifications


def _language(ctx: Context, subject_id: str, default: str) -> str:
    with ctx.uow:
        asked = ctx.uow.requests.list(RequestFilter(subject_id=subject_id, limit=50))
    latest = max(asked, key=lambda r: r.received_at, default=None)
    if latest is not None and latest.language in delivery_model.LANGUAGES:
        return latest.language
    return default


def _chosen(ctx: Context, incident: Incident, subject_ids: Sequence[str] | None) -> list[str]:
    named = _named(ctx, incident)
    if subject_ids is None:
        return named
    asked = list(dict.fromkeys(s.strip() for s in subject_ids if s.strip()))
    unknown = [s for s in asked if s not in set(named)]
    if unknown:
        raise InputError(f"{len(unknown)} subject id(s) are not named in this incident, "
                         f"e.g. {unknown[0][:36]!r}", field="subject_ids")
    if not asked:
        raise InputError("no subject ids given", field="subject_ids")
    return asked


@dataclass(frozen=True)
class _Texts:
    """What every subject's message says, per language (no subject's value in it)."""

    operator: dict[str, str]
    categories: dict[str, str]
    detected: str
    measures: str
    contact: str


def _texts(ctx: Context, incident: Incident) -> _Texts:
    with ctx.uow:
        loaded = find_in_force(ctx.uow, incident.operator_id)
    register = loaded.register if loaded else None
    operator = register.operator if register else None
    person = operator.responsible_person if operator else None
    contact = (person.phone or person.email) if person else None
    if not contact and operator is not None:
        # The policy names no such person's contact: the operator's own, or its site.
        contact = (operator.contacts.phone or operator.contacts.email
                   or operator.contacts.website)
    if not contact:
        raise ConflictError("the register names no contact (of the responsible person or "
                            "the operator) for subjects to turn to", field="contacts")
    known = register.categories if register else {}
    langs = delivery_model.LANGUAGES
    return _Texts(
        operator={lang: operator.names.get(lang) if operator else incident.operator_id
                  for lang in langs},
        categories={lang: ", ".join(known[c].labels.get(lang) if c in known else c
                                    for c in incident.categories) or "—" for lang in langs},
        detected=incident.detected_at.astimezone(KZ_ZONE).strftime("%d.%m.%Y"),
        measures=incident.measures_taken, contact=contact)


def _message(texts: _Texts, details: NotificationDetails, language: str, channel: str,
             operator_id: str) -> Message | None:
    use_sms = details.phone is not None and channel in ("auto", "sms")
    use_mail = details.email is not None and channel in ("auto", "email") and not use_sms
    if use_sms and details.phone:
        return Message(Template.INCIDENT_SUBJECT_SMS, language, details.phone, {
            "operator": texts.operator[language], "detected": texts.detected,
            "contact": texts.contact}, operator_id=operator_id)
    if use_mail and details.email:
        return Message(Template.INCIDENT_SUBJECT_EMAIL, language, details.email, {
            "operator": texts.operator[language], "detected": texts.detected,
            "categories": texts.categories[language], "measures": texts.measures,
            "contact": texts.contact}, operator_id=operator_id)
    return None


def _claim(ctx: Context, incident: Incident, subject_ids: list[str], default_language: str
           ) -> tuple[list[Notified], int]:
    """Claim the subjects not notified yet, under the incident's row lock."""
    with ctx.uow:
        ctx.uow.incidents.get(incident.id, for_update=True)
        done = {n.subject_id for n in ctx.uow.incidents.notified(incident.id)}
    todo = [s for s in subject_ids if s not in done]
    if not todo:
        raise ConflictError(f"the {len(subject_ids)} subject(s) were already notified of "
                            "this incident: each subject is notified once",
                            field="subject_ids")
    rows = [Notified(incident.id, s, _language(ctx, s, default_language), None, None,
                     CLAIMED, ctx.now(), ctx.actor) for s in todo]
    with ctx.uow:
        ctx.uow.incidents.get(incident.id, for_update=True)
        if {n.subject_id for n in ctx.uow.incidents.notified(incident.id)} & set(todo):
            raise ConflictError("another run is notifying these subjects", field="subject_ids")
        ctx.uow.incidents.claim(rows)
        ctx.uow.commit()
    return rows, len(done & set(subject_ids))


def notify_subjects(ctx: Context, couriers: Couriers, incident_id: str, *,
                    subject_ids: Sequence[str] | None = None, channel: str = "auto",
                    default_language: str = "ru") -> NotifyReport:
    """Notify the named subjects (or ``subject_ids``, each named in the incident) of a
    confirmed incident, once each; the rows recorded."""
    incident = get_incident(ctx, incident_id, Permission.INCIDENTS_MANAGE)

    def work() -> NotifyReport:
        if channel not in CHANNELS:
            raise InputError(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
        if default_language not in delivery_model.LANGUAGES:
            raise InputError(f"language must be one of {', '.join(delivery_model.LANGUAGES)}",
                             field="language")
        if incident.state in (State.CANDIDATE, State.DISMISSED, State.CLOSED):
            raise ConflictError(f"a {incident.state.value} incident's subjects are not "
                                "notified (confirm a candidate first)", field="state")
        if not incident.measures_taken:
            raise InputError("write down the measures taken first: the subjects are told "
                             "them (Order 481/НҚ)", field="measures_taken")
        chosen = _chosen(ctx, incident, subject_ids)
        texts = _texts(ctx, incident)
        claimed, already = _claim(ctx, incident, chosen, default_language)
        details = {d.subject_id: d for d in notification_details(
            ctx, [r.subject_id for r in claimed])}
        out = [_deliver(ctx, couriers, incident, texts, row, details[row.subject_id],
                        channel) for row in claimed]
        with ctx.uow:
            outcomes: dict[str, int] = {}
            for row in out:
                outcomes[row.outcome] = outcomes.get(row.outcome, 0) + 1
            record_event(ctx, incident, "subjects_notified", {
                "subjects": len(out), "outcomes": outcomes, "channel": channel},
                subject_ids=[r.subject_id for r in out])
            ctx.uow.commit()
        return NotifyReport(incident.id, out, already)

    return guarded(ctx, "incident.subjects_notified", incident.operator_id, incident.id, work)


def _deliver(ctx: Context, couriers: Couriers, incident: Incident, texts: _Texts,
             row: Notified, details: NotificationDetails, channel: str) -> Notified:
    message = _message(texts, details, row.language, channel, incident.operator_id)
    if message is None:
        done = replace(row, outcome=UNREACHABLE)
    else:
        try:
            sent = delivery.send(ctx, couriers, message)
        except InputError:
            # A number or address the vault holds but no gateway takes: said, not sent.
            done = replace(row, outcome=INVALID)
        else:
            done = replace(row, channel=sent.channel.value, delivery_id=sent.id,
                           outcome=sent.state.value)
    with ctx.uow:
        ctx.uow.incidents.settle(done)
        ctx.uow.commit()
    return done


def notifications(ctx: Context, incident_id: str) -> list[Notified]:
    """Who was notified of an incident, how, and how it went (``incidents.read``)."""
    incident = get_incident(ctx, incident_id)
    with ctx.uow:
        return ctx.uow.incidents.notified(incident.id)

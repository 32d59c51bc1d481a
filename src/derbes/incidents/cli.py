"""``derbes incident``: the register of PD security incidents.

    derbes incident open --operator express-avans --detected-at 2026-03-20T19:00+05:00 \\
        --how staff_report --what "Laptop with an export stolen" --category identity.iin
    derbes incident list --operator express-avans
    derbes incident show ID
    derbes incident update ID --measures "Passwords reset"
    derbes incident confirm|notify|contain ID
    derbes incident dismiss ID --reason "A planned export"
    derbes incident close ID --lessons "Encrypt laptops"
    derbes incident detect --operator express-avans     (candidates from alerts)
    derbes incident alert-due                          (e-mail near and overdue clocks)
    derbes incident notice ID --lang kk --format pdf -o notice.pdf
    derbes incident seal-list ID                        (the subjects' list, sealed)
    derbes incident open-list ID LIST_ID -o list.csv    (incidents.export; audited)
    derbes incident notify-subjects ID --lang kk        (SMS / e-mail, once each)
    derbes incident attach ID FILE                      (evidence, sealed)
    derbes incident evidence ID [EVIDENCE_ID -o FILE]   (list, or open one)
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from derbes.cli.app import command_group
from derbes.cli.common import actor, bootstrap, console, language, lazy
from derbes.errors import InputError
from derbes.incidents.model import Incident, Severity, Source, State, Transition, describe_left
from derbes.platform.files import write_private

if TYPE_CHECKING:
    from derbes.incidents import service as incidents
else:
    incidents = lazy("derbes.incidents.service")

incident_app = command_group("incident", "PD security incidents: register, clocks, candidates.")


def _instant(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise InputError("the detection time must be ISO 8601 with a zone, "
                         "e.g. 2026-03-20T19:00+05:00", field="detected_at") from None


def _choice(kind: type[Source] | type[Severity] | type[State], value: str, field: str
            ) -> str:
    known = [m.value for m in kind]
    if value not in known:
        raise InputError(f"{field} must be one of {', '.join(known)}", field=field)
    return value


def _as_dict(incident: Incident) -> dict[str, object]:
    return {"id": incident.id, "operator": incident.operator_id, "state": incident.state.value,
            "source": incident.source.value, "detected_at": incident.detected_at.isoformat(),
            "summary": incident.summary, "severity": incident.severity.value,
            "categories": list(incident.categories), "systems": list(incident.systems),
            "subject_count": incident.subject_count, "measures_taken": incident.measures_taken,
            "planned_measures": incident.planned_measures, "lessons": incident.lessons,
            "dismiss_reason": incident.dismiss_reason,
            "trigger": incident.trigger.value if incident.trigger else None,
            "notified_at": incident.notified_at.isoformat() if incident.notified_at else None}


@incident_app.command("open")
def open_command(
    operator: str = typer.Option(..., "--operator"),
    detected_at: str = typer.Option(..., "--detected-at", help="ISO 8601 with a zone."),
    how: str = typer.Option(..., "--how", help="alert | staff_report | processor_report | "
                            "subject_complaint"),
    what: str = typer.Option(..., "--what", help="What happened."),
    severity: str = typer.Option("medium", "--severity"),
    category: list[str] = typer.Option([], "--category"),
    system: list[str] = typer.Option([], "--system"),
    subjects: int | None = typer.Option(None, "--subjects", help="Approximate count."),
    subject: list[str] = typer.Option([], "--subject", help="Subject id (repeatable)."),
    measures: str = typer.Option("", "--measures"),
    planned: str = typer.Option("", "--planned"),
) -> None:
    """Register an incident; the notification clock starts at its detection."""
    new = incidents.NewIncident(
        operator_id=operator, detected_at=_instant(detected_at),
        source=Source(_choice(Source, how, "source")), summary=what,
        severity=Severity(_choice(Severity, severity, "severity")),
        categories=tuple(category), systems=tuple(system), subject_count=subjects,
        subject_ids=tuple(subject), measures_taken=measures, planned_measures=planned)
    container = bootstrap()
    ctx = container.context(actor())
    incident = incidents.open_incident(ctx, new)
    clock = incidents.notification_clock(ctx, incident)
    console.print(f"opened incident {incident.id}; notify the authorised body by "
                  f"{clock.due_at.isoformat(timespec='minutes')} "
                  f"({describe_left(clock.left)} left; {clock.citation})", markup=False)


@incident_app.command("list")
def list_command(
    operator: str | None = typer.Option(None, "--operator"),
    state: list[str] = typer.Option([], "--state"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Incidents, the latest detected first, with their notification clocks."""
    states = tuple(State(_choice(State, s, "state")) for s in state)
    ctx = bootstrap().context(actor(), read_only=True)
    found = incidents.listing(ctx, operator, states)
    if as_json:
        console.print_json(json.dumps([_as_dict(i) for i in found], ensure_ascii=False))
        return
    table = Table("id", "operator", "state", "detected (Asia/Almaty)", "severity", "clock")
    for i in found:
        clock = incidents.notification_clock(ctx, i)
        table.add_row(i.id, i.operator_id, i.state.value,
                      i.detected_at.astimezone(clock.due_at.tzinfo).isoformat(
                          timespec="minutes"),
                      i.severity.value, f"{clock.state.value} {describe_left(clock.left)}")
    console.print(table)


@incident_app.command("show")
def show_command(incident_id: str = typer.Argument(...),
                 as_json: bool = typer.Option(False, "--json")) -> None:
    """One incident: what is known, its clock and its timeline."""
    ctx = bootstrap().context(actor(), read_only=True)
    shown = incidents.show(ctx, incident_id)
    clock = incidents.notification_clock(ctx, shown.incident)
    lists = incidents.exports(ctx, incident_id)
    notified = incidents.notifications(ctx, incident_id)
    files = incidents.evidence(ctx, incident_id)
    data = {**_as_dict(shown.incident), "subjects_named": len(shown.subject_ids),
            "lists": [{"id": e.id, "subjects": e.subjects, "created_at": e.created_at.isoformat(),
                       "created_by": e.created_by} for e in lists],
            "subjects_notified": [{"subject_id": n.subject_id, "language": n.language,
                                   "channel": n.channel, "delivery_id": n.delivery_id,
                                   "outcome": n.outcome} for n in notified],
            "evidence": [{"id": e.id, "name": e.name, "media_type": e.media_type,
                          "size": e.size, "sha256": e.sha256} for e in files],
            "clock": {"state": clock.state.value, "due_at": clock.due_at.isoformat(),
                      "left": describe_left(clock.left), "citation": clock.citation},
            "timeline": [{"at": e.at.isoformat(), "actor": e.actor, "kind": e.kind,
                          "details": e.details} for e in shown.events]}
    if as_json:
        console.print_json(json.dumps(data, ensure_ascii=False, default=str))
        return
    for key, value in data.items():
        console.print(f"{key}: {value}", markup=False)


@incident_app.command("update")
def update_command(
    incident_id: str = typer.Argument(...),
    what: str | None = typer.Option(None, "--what"),
    severity: str | None = typer.Option(None, "--severity"),
    subjects: int | None = typer.Option(None, "--subjects"),
    subject: list[str] = typer.Option([], "--subject"),
    measures: str | None = typer.Option(None, "--measures"),
    planned: str | None = typer.Option(None, "--planned"),
) -> None:
    """Change what is known of an incident (recorded in its timeline)."""
    changes = incidents.Changes(
        summary=what, severity=Severity(_choice(Severity, severity, "severity"))
        if severity else None, subject_count=subjects,
        subject_ids=tuple(subject) or None, measures_taken=measures, planned_measures=planned)
    done = incidents.update(bootstrap().context(actor()), incident_id, changes)
    console.print(f"updated incident {done.id}", markup=False)


def _move(incident_id: str, move: Transition, reason: str = "", lessons: str = "") -> None:
    done = incidents.move(bootstrap().context(actor()), incident_id, move, reason=reason,
                          lessons=lessons)
    console.print(f"incident {done.id} is {done.state.value}", markup=False)


@incident_app.command("confirm")
def confirm_command(incident_id: str = typer.Argument(...),
                    reason: str = typer.Option("", "--reason",
                                               help="Why it is an incident (recorded).")
                    ) -> None:
    """Confirm a candidate: it is an incident."""
    _move(incident_id, Transition.CONFIRM, reason=reason)


@incident_app.command("notify")
def notify_command(incident_id: str = typer.Argument(...)) -> None:
    """Record that the authorised body was notified (Law 94-V Art. 25 p.2 sp.8)."""
    _move(incident_id, Transition.NOTIFY)


@incident_app.command("contain")
def contain_command(incident_id: str = typer.Argument(...)) -> None:
    """Record that the breach is contained."""
    _move(incident_id, Transition.CONTAIN)


@incident_app.command("dismiss")
def dismiss_command(incident_id: str = typer.Argument(...),
                    reason: str = typer.Option("", "--reason")) -> None:
    """Dismiss a candidate, with the reason."""
    _move(incident_id, Transition.DISMISS, reason=reason)


@incident_app.command("close")
def close_command(incident_id: str = typer.Argument(...),
                  lessons: str = typer.Option("", "--lessons")) -> None:
    """Close a contained, notified incident, with its lessons."""
    _move(incident_id, Transition.CLOSE, lessons=lessons)


@incident_app.command("detect")
def detect_command(operator: str = typer.Option(..., "--operator")) -> None:
    """Open candidates from what arrived since the last run (alerts, refused access,
    unfinished destruction)."""
    opened = incidents.detect(bootstrap().context(actor()), operator)
    console.print(f"{len(opened)} candidate(s) opened", markup=False)
    for i in opened:
        console.print(f"  {i.id} {i.trigger.value if i.trigger else ''}", markup=False)


@incident_app.command("alert-due")
def alert_due_command(hours: float | None = typer.Option(
        None, "--within-hours", help="Warn when less than this is left (default 6).")) -> None:
    """E-mail the responsible person about near and overdue notification clocks."""
    container = bootstrap()
    within = incidents.WARN_WITHIN if hours is None else timedelta(hours=hours)
    sent = incidents.alert_due(container.context(actor()), container.couriers, within)
    console.print(f"{len(sent)} alert(s)", markup=False)
    for a in sent:
        console.print(f"  {a.incident_id} {a.level.value} delivery={a.delivery_id} "
                      f"{a.delivery_state}", markup=False)


@incident_app.command("notice")
def notice_command(
    incident_id: str = typer.Argument(...),
    lang: str = typer.Option("ru", "--lang", help="ru, kk or en."),
    fmt: str = typer.Option("pdf", "--format", help="json, html or pdf."),
    out: Path | None = typer.Option(None, "--output", "-o", help="File; default stdout."),
) -> None:
    """The notice to the authorised body (Law 94-V Art. 25 p.2 sp.8): operator, BIN, the
    responsible person's contact, what, when, categories, subjects, measures."""
    from derbes.incidents.adapters.notice import FORMATS, render_notice

    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}", field="format")
    chosen = language(lang)
    notice = incidents.body_notice(bootstrap().context(actor(), read_only=True), incident_id)
    data = render_notice(notice, chosen, fmt)
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    write_private(out, data)
    console.print(f"wrote {out}", markup=False)


@incident_app.command("seal-list")
def seal_list_command(incident_id: str = typer.Argument(...)) -> None:
    """Resolve the named subjects from the vault (name, IIN, mobile, e-mail) and seal the
    list for their notification (Order 481/НҚ); it opens only with incidents.export."""
    export = incidents.seal_list(bootstrap().context(actor()), incident_id)
    console.print(f"sealed list {export.id}: {export.subjects} subject(s); open it with "
                  f"derbes incident open-list {incident_id} {export.id} -o FILE", markup=False)


@incident_app.command("open-list")
def open_list_command(
    incident_id: str = typer.Argument(...),
    export_id: str = typer.Argument(..., metavar="LIST_ID"),
    out: Path = typer.Option(..., "--output", "-o",
                             help="CSV file, written readable by you only."),
) -> None:
    """Open a sealed list into a CSV file (personal data in clear: the opening is kept in
    the access audit log with the subjects' ids)."""
    import csv
    import io

    contacts = incidents.open_list(bootstrap().context(actor()), incident_id, export_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["subject_id", "name", "iin", "phone", "email", "destroyed"])
    for c in contacts:
        writer.writerow([c.subject_id, c.name or "", c.iin or "", c.phone or "",
                         c.email or "", "yes" if c.gone else ""])
    write_private(out, buffer.getvalue().encode("utf-8-sig"))
    console.print(f"wrote {len(contacts)} subject(s) to {out}", markup=False)


@incident_app.command("notify-subjects")
def notify_subjects_command(
    incident_id: str = typer.Argument(...),
    subject: list[str] = typer.Option([], "--subject",
                                      help="Only these named subjects (repeatable)."),
    channel: str = typer.Option("auto", "--channel", help="auto | sms | email"),
    lang: str = typer.Option("ru", "--lang", help="For a subject whose language is not "
                             "known from a request: ru, kk or en."),
) -> None:
    """Notify the affected subjects by SMS or e-mail in their language, once each."""
    container = bootstrap()
    report = incidents.notify_subjects(
        container.context(actor()), container.couriers, incident_id,
        subject_ids=tuple(subject) or None, channel=channel, default_language=lang)
    counts: dict[str, int] = {}
    for n in report.notified:
        counts[n.outcome] = counts.get(n.outcome, 0) + 1
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
    console.print(f"notified {len(report.notified)} subject(s) ({summary}); "
                  f"{report.already} notified before", markup=False)
    for n in report.notified:
        console.print(f"  {n.subject_id} {n.language} {n.channel or '-'} {n.outcome} "
                      f"delivery={n.delivery_id or '-'}", markup=False)


@incident_app.command("attach")
def attach_command(
    incident_id: str = typer.Argument(...),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    media_type: str | None = typer.Option(None, "--media-type",
                                          help="Default: guessed from the file's name."),
) -> None:
    """Attach a file as evidence (sealed: it may hold PD); prints its SHA-256."""
    import mimetypes

    chosen = media_type or mimetypes.guess_type(file.name)[0]
    if chosen is None:
        raise InputError("cannot tell the file's media type from its name: give "
                         "--media-type (e.g. text/plain)", field="media_type")
    data = file.read_bytes()
    item = incidents.attach(bootstrap().context(actor()), incident_id, file.name, chosen, data)
    console.print(f"attached {item.id} as {item.name} ({item.size} bytes, sha256 "
                  f"{item.sha256})", markup=False)


@incident_app.command("evidence")
def evidence_command(
    incident_id: str = typer.Argument(...),
    evidence_id: str | None = typer.Argument(None),
    out: Path | None = typer.Option(None, "--output", "-o",
                                    help="Where to write the opened file."),
) -> None:
    """The evidence attached to an incident; with an id and -o, open one into a file."""
    if evidence_id is None:
        found = incidents.evidence(bootstrap().context(actor(), read_only=True), incident_id)
        console.print(f"{len(found)} file(s)", markup=False)
        for e in found:  # one line each: an id and a fingerprint are copied whole
            console.print(f"  {e.id} {e.name} {e.media_type} {e.size} bytes sha256 "
                          f"{e.sha256} {e.added_at.isoformat(timespec='seconds')} "
                          f"{e.added_by}", markup=False, soft_wrap=True)
        return
    if out is None:
        raise InputError("say where to write the file (-o FILE)", field="output")
    opened = incidents.open_evidence(bootstrap().context(actor()), incident_id, evidence_id)
    write_private(out, opened.content)
    console.print(f"wrote {opened.evidence.size} bytes to {out}", markup=False)

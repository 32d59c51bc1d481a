"""``derbes request …`` and ``derbes requests overdue``: data-subject requests (Law 94-V Art. 24).

Identifiers given on a command line are visible to every user of the
machine (``ps``) and land in shell history: ``--iin -`` / ``--phone -`` read
the value from stdin, and ``--payload-file -`` reads the payload's JSON from
stdin. The actor of every audited step is ``cli:<os user>``.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from derbes.cli.app import command_group
from derbes.cli.common import actor as _actor
from derbes.cli.common import bootstrap, console, lazy, stdin_if_dash
from derbes.errors import InputError
from derbes.platform.dates import check_date, check_moment
from derbes.platform.files import write_private
from derbes.platform.text import check_text
from derbes.requests.model import SubjectRequest, parse_state

if TYPE_CHECKING:
    from derbes.requests import service
else:
    service = lazy("derbes.requests.service")

if TYPE_CHECKING:
    from derbes.bootstrap import Container
    from derbes.context import Context


def _ctx(container: Container) -> Context:
    """The terminal user's world: every operator (the CLI runs on the server)."""
    return container.context(_actor())

request_app = command_group("request", "Data-subject requests: file, verify, show, answer, list.")
requests_app = command_group("requests", "Requests across the register: overdue, due tomorrow.")
otp_app = command_group(
    "otp",
    "SMS one-time codes that verify a requester (the OTP port).", parent=request_app)


def _stdin_if_dash(value: str | None, what: str) -> str | None:
    return None if value is None else stdin_if_dash(value, what)


def _payload(path: str | None) -> dict[str, Any]:
    if path is None:
        return {}
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise InputError("the payload is not valid JSON", field="payload") from None
    if not isinstance(data, dict):
        raise InputError("the payload must be a JSON object", field="payload")
    check_text(data, "payload")
    return data


def _row(r: SubjectRequest, today: date) -> list[str]:
    return [r.id, r.operator_id, r.type.value, r.state.value, r.due_date.isoformat(),
            "yes" if r.overdue_on(today) else "", r.pending_reason or ""]


def _print_list(found: list[SubjectRequest], today: date, as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps([{
            "id": r.id, "operator_id": r.operator_id, "type": r.type.value,
            "state": r.state.value, "due_date": r.due_date.isoformat(),
            "overdue": r.overdue_on(today), "pending_reason": r.pending_reason}
            for r in found]))
        return
    table = Table("id", "operator", "type", "state", "due", "overdue", "pending")
    for r in found:
        table.add_row(*_row(r, today))
    console.print(table)


@request_app.command("file")
def file_request(
    operator: str = typer.Option(..., "--operator", help="Operator id."),
    type_: str = typer.Option(..., "--type", help="access, rectification, blocking, "
                              "destruction, consent_withdrawal, complaint, pretrial_claim"),
    lang: str = typer.Option("ru", "--lang", help="The subject's language: ru, kk, en."),
    iin: str | None = typer.Option(None, "--iin", help="IIN, or - to read it from stdin."),
    phone: str | None = typer.Option(None, "--phone", help="Phone, or - for stdin."),
    email: str | None = typer.Option(None, "--email"),
    customer_id: str | None = typer.Option(None, "--customer-id"),
    subject_id: str | None = typer.Option(None, "--subject-id"),
    representative_document: str | None = typer.Option(
        None, "--representative-document",
        help="Filed by a representative: their power of attorney / document reference."),
    payload_file: str | None = typer.Option(None, "--payload-file",
                                            help="JSON payload file, or - for stdin."),
    received_at: datetime | None = typer.Option(None, "--received-at",
                                                help="ISO instant with zone (default: now)."),
) -> None:
    """File a request; prints its id and due date."""
    if received_at is not None:
        check_moment(received_at, "received_at")
    container = bootstrap()
    identifiers = {k: v for k, v in (("iin", _stdin_if_dash(iin, "iin")),
                                     ("phone", _stdin_if_dash(phone, "phone")),
                                     ("email", email), ("customer_id", customer_id)) if v}
    filed = service.file_request(
        _ctx(container),
        service.NewRequest(operator_id=operator, type=type_, language=lang,
                           identifiers=identifiers, subject_id=subject_id,
                           requester="representative" if representative_document else "subject",
                           representative_document=representative_document,
                           payload=_payload(payload_file), received_at=received_at))
    console.print(f"{filed.id} due {filed.due_date.isoformat()}")


@request_app.command("verify")
def verify(
    request_id: str = typer.Argument(...),
    document: str | None = typer.Option(None, "--document",
                                        help="Staff saw this identity document (reference)."),
    reason: str | None = typer.Option(
        None, "--reason", help="With --document: why the document proves who the requester "
        "is (recorded with who verified)."),
    otp_reference: str | None = typer.Option(None, "--otp-reference"),
    otp_code: str | None = typer.Option(None, "--otp-code"),
) -> None:
    """Verify the requester: a staff document check, or the SMS code they typed back."""
    container = bootstrap()
    if document:
        request = service.verify_by_staff(_ctx(container), request_id, document,
                                          reason=reason or "")
    elif otp_reference:
        request = service.verify_by_otp(_ctx(container), container.otp, request_id,
                                        otp_reference, otp_code or "")
    else:
        raise InputError("give --document, or --otp-reference and --otp-code",
                         field="verification")
    console.print(f"{request.id} {request.state.value}")


@otp_app.command("issue")
def otp_issue(request_id: str = typer.Argument(...)) -> None:
    """Send a code by SMS to the subject's phone on record (or the number given with the
    request); prints its reference (never the code).

    The SMS goes through DERBES_SMS_GATEWAY (`derbes delivery list` shows any that
    did not get through); with DERBES_SMS_GATEWAY=log (development) it is printed.
    """
    container = bootstrap()
    issued = service.issue_otp(_ctx(container), container.otp, container.couriers, request_id)
    console.print(f"{issued.reference} expires {issued.expires_at.isoformat()}")


@otp_app.command("verify")
def otp_verify(
    request_id: str = typer.Argument(...),
    reference: str = typer.Option(..., "--reference", help="The reference `otp issue` printed."),
    code: str = typer.Option(..., "--code", help="The code the subject read out; - for stdin."),
) -> None:
    """The subject typed back the code: received -> verified."""
    container = bootstrap()
    typed = _stdin_if_dash(code, "otp_code") or ""
    request = service.verify_by_otp(_ctx(container), container.otp, request_id, reference,
                                    typed)
    console.print(f"{request.id} {request.state.value}")


@request_app.command("show")
def show(
    request_id: str = typer.Argument(...),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The request: state, due date, transitions, answer summary (no PD)."""
    container = bootstrap()
    view = service.show(_ctx(container), request_id).as_dict()
    if as_json:
        console.print_json(json.dumps(view))
        return
    for key in ("id", "operator_id", "type", "state", "language", "received_at", "due_date",
                "requester", "pending_reason"):
        console.print(f"{key}: {view[key]}")
    console.print(f"deadline: {view['deadline']['id']} ({view['deadline']['citation']})")
    for t in view["transitions"]:
        console.print(f"  {t['at']}  {t['from'] or '-'} -> {t['to']}  {t['actor']}"
                      + (f"  ({t['reason']})" if t["reason"] else ""))


def _letter(container: Container, request_id: str, fmt: str, lang: str | None) -> bytes:
    from derbes.requests.adapters.letters import render_letter

    return service.letter(_ctx(container), request_id, render_letter, fmt, lang)


@request_app.command("answer")
def answer(
    request_id: str = typer.Argument(...),
    response: str | None = typer.Option(None, "--response",
                                        help="Complaints and claims: the operator's answer."),
    letter: Path | None = typer.Option(None, "--letter", help="Also write the letter here."),
    fmt: str = typer.Option("pdf", "--format", help="Letter format: pdf or html."),
    as_json: bool = typer.Option(False, "--json", help="Print the full answer (may hold PD)."),
) -> None:
    """Execute and answer the request (the requester must be verified)."""
    container = bootstrap()
    from derbes.datasets.adapters.directory import stores_from_dir

    result = service.answer_request(_ctx(container), request_id, service.Answering(
        stores=stores_from_dir(container.settings.datasets_dir),
        decision_point=container.decision_point, response=response))
    if as_json:
        console.print_json(json.dumps(result.answer, ensure_ascii=False))
    else:
        console.print(f"{result.request.id} {result.request.state.value}")
    if letter is not None:
        write_private(letter, _letter(container, request_id, fmt, None))


@request_app.command("letter")
def write_letter(
    request_id: str = typer.Argument(...),
    out: Path = typer.Option(..., "--out"),
    fmt: str = typer.Option("pdf", "--format"),
    lang: str | None = typer.Option(None, "--lang", help="Default: the subject's language."),
) -> None:
    """Write the answer or refusal letter (HTML or PDF)."""
    container = bootstrap()
    write_private(out, _letter(container, request_id, fmt, lang))
    console.print(str(out))


@request_app.command("refuse")
def refuse(
    request_id: str = typer.Argument(...),
    reason: list[str] = typer.Option(..., "--reason", help="A reason (repeatable); no PD."),
) -> None:
    """Refuse the request with reasons."""
    container = bootstrap()
    request = service.refuse(_ctx(container), request_id, reason)
    console.print(f"{request.id} {request.state.value}")


@request_app.command("withdraw")
def withdraw(
    request_id: str = typer.Argument(...),
    reason: str | None = typer.Option(None, "--reason"),
) -> None:
    """The requester takes the request back."""
    container = bootstrap()
    request = service.withdraw_request(_ctx(container), request_id, reason=reason)
    console.print(f"{request.id} {request.state.value}")


@request_app.command("list")
def list_requests(
    state: list[str] = typer.Option([], "--state", help="Only these states (repeatable)."),
    operator: str | None = typer.Option(None, "--operator"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Requests, the soonest due first."""
    container = bootstrap()
    found = service.list_requests(_ctx(container), service.RequestFilter(
        operator_id=operator, states=tuple(parse_state(s) for s in state)))
    _print_list(found, service.today(container.clock, container.rules.regime), as_json)


@requests_app.command("overdue")
def overdue(
    as_of: str | None = typer.Option(None, "--as-of", help="Local date (default: today)."),
    tomorrow: bool = typer.Option(False, "--tomorrow", help="Those due tomorrow instead."),
    operator: str | None = typer.Option(None, "--operator"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Open requests past their due date (or due tomorrow); exit 1 when some are late."""
    container = bootstrap()
    if as_of is None:
        day = service.today(container.clock, container.rules.regime)
    else:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            raise InputError("--as-of must be an ISO date", field="as_of") from None
        check_date(day, "as_of")
    ctx = _ctx(container)
    if operator is not None:
        ctx = ctx.within(ctx.scope.narrowed(operator))
    found = service.due_tomorrow(ctx, day) if tomorrow else service.overdue(ctx, day)
    _print_list(found, day, as_json)
    if found and not tomorrow:
        raise typer.Exit(1)

"""``derbes consent give|withdraw|show|export``, ``derbes ledger verify``, ``derbes event``.

Scopes are written ``KIND[:ID,ID…]``: ``processing:credit_bureau_inquiry,statistics``,
``third_party_transfer:credit_bureaus``, ``third_party_transfer:*``, ``publication``,
``marketing`` (the register's marketing purposes), ``cookies:analytics``.
Evidence that is PD (IP, user agent, document numbers) is read from a JSON
file or stdin (``--evidence-file -``), never from the command line, which
other users of the machine can see.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from derbes.cli.app import app, command_group
from derbes.cli.common import Format, actor, bootstrap, console, notes, request_id, write_out
from derbes.consent.model.consent import Evidence, Representative, Scope, parse_scope_kind
from derbes.errors import InputError
from derbes.platform.dates import check_moment
from derbes.platform.text import check_text

consent_app = command_group("consent", "Consents: give, withdraw, show, export evidence.")
ledger_app = command_group("ledger", "The consent ledger (hash chain).")


class ExportFormat(StrEnum):
    JSON = "json"
    PDF = "pdf"
    HTML = "html"


def parse_scope(text: str) -> Scope:
    """``KIND[:ID,ID…]`` → a scope (ids go to purposes, recipients or cookie categories)."""
    kind_text, _, rest = text.partition(":")
    kind = parse_scope_kind(kind_text.strip(), "scope")
    ids = tuple(i.strip() for i in rest.split(",") if i.strip())
    if kind.value in ("processing", "marketing"):
        return Scope(kind, purposes=ids)
    if kind.value in ("third_party_transfer", "cross_border_transfer"):
        return Scope(kind, recipients=ids)
    if kind.value == "cookies":
        return Scope(kind, cookie_categories=ids)
    if ids:
        raise InputError(f"scope {kind.value} takes no ids", field="scope")
    return Scope(kind)


def _json_file(path: str | None, what: str) -> dict[str, Any]:
    if path is None:
        return {}
    text = sys.stdin.read() if path == "-" else Path(path).read_text("utf-8")
    try:
        data = json.loads(text)
    except ValueError:
        raise InputError(f"{what} is not JSON", field=what) from None
    if not isinstance(data, dict):
        raise InputError(f"{what} must be a JSON object", field=what)
    check_text(data, what)
    return data


def _aware(value: datetime | None, what: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise InputError(f"{what} must carry a time zone (…+05:00 or …Z)", field=what)
    return value.astimezone(UTC)


def _parse_time(text: str | None, what: str) -> datetime | None:
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{what} must be an ISO date-time with a time zone",
                         field=what) from None
    check_moment(parsed, what)
    return _aware(parsed, what)


@consent_app.command("code")
def code(
    subject: str = typer.Option(..., "--subject", help="The subject's internal id."),
    lang: str = typer.Option("ru", "--language", help="ru, kk or en: the SMS's language."),
) -> None:
    """Send the subject a one-time code by SMS (to their phone on record) for a consent
    by sms_otp; prints the reference to give with --evidence-file (never the code)."""
    from derbes.cli.common import language
    from derbes.consent.service.codes import send_code

    container = bootstrap()
    issued = send_code(container.context(actor(), request_id()), container.otp,
                       container.couriers, subject, language(lang).value)
    typer.echo(f"{issued.reference} expires {issued.expires_at.isoformat()}")


@consent_app.command("give")
def give(
    subject: str = typer.Option(..., "--subject", help="The subject's internal id."),
    scope: list[str] = typer.Option(..., "--scope", help="KIND[:ID,ID…] (repeat)."),
    channel: str = typer.Option(..., "--channel", help="web_checkbox, sms_otp, signed_paper…"),
    evidence_file: str | None = typer.Option(
        None, "--evidence-file",
        help="JSON evidence (ip, user_agent, document_number, otp_reference, otp_code, …); "
             "'-' reads stdin."),
    representative_file: str | None = typer.Option(
        None, "--representative-file",
        help="JSON {full_name, document_type, document_number, relation}: given by a legal "
             "representative."),
    valid_until: str | None = typer.Option(None, "--valid-until", help="ISO date-time."),
    idempotency_key: str | None = typer.Option(None, "--idempotency-key"),
) -> None:
    """Record an act of consent; prints the consent ids, one per scope."""
    from derbes.consent.service import consent as service

    container = bootstrap()
    raw = _json_file(evidence_file, "evidence")
    allowed = {*Evidence.SEALED, *Evidence.REFERENCES, "otp_code"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise InputError(f"unknown evidence field(s): {', '.join(unknown)}", field="evidence")
    rep_raw = _json_file(representative_file, "representative")
    representative = Representative(**{k: str(v) for k, v in rep_raw.items()}) \
        if rep_raw else None
    result = service.give_consent(
        container.context(actor(), request_id()), container.otp,
        service.ConsentRequest(
            subject_id=subject, scopes=[parse_scope(s) for s in scope], channel=channel,
            evidence=Evidence(**{k: str(v) for k, v in raw.items()}),
            given_by="representative" if representative else "subject",
            representative=representative,
            valid_until=_parse_time(valid_until, "valid_until"),
            idempotency_key=idempotency_key,
        ),
    )
    notes.print(f"consent act {result.act_id}" + (" (already recorded)" if result.replayed
                                                  else ""))
    for c in result.consents:
        typer.echo(f"{c.id} {c.scope.kind.value}")


@consent_app.command("import")
def import_(
    file: Path = typer.Argument(..., help="JSON lines, one act of consent per line, with "
                                          "given_at (see derbes.consent.adapters.import_file)."),
    batch: int = typer.Option(500, "--batch", help="Acts per transaction."),
    rejects: Path | None = typer.Option(
        None, "--rejects", help="Lines and reasons of the acts left out "
                                "(default: FILE.rejects.jsonl)."),
) -> None:
    """Migrate consents from an earlier system with their original times and evidence;
    run it again to resume (stored acts are replayed, not stored twice)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from derbes.consent.adapters.import_file import Line, read_acts
    from derbes.consent.service.importing import import_acts
    from derbes.platform.files import write_private
    from derbes.vault.adapters.import_files import digest_and_count

    if not file.is_file():
        raise InputError(f"{file} is not a file", field="file")
    if batch < 1:
        raise InputError("--batch must be at least 1", field="batch")
    container = bootstrap()
    ctx = container.context(actor(), request_id())
    file_id, lines = digest_and_count(file, "consent-import")
    out = rejects if rejects is not None else file.with_name(file.name + ".rejects.jsonl")
    stored = replayed = 0
    left_out: list[dict[str, Any]] = []

    def run(chunk: list[Line]) -> None:
        nonlocal stored, replayed
        results = import_acts(ctx, [line.act for line in chunk if line.act is not None])
        for line, result in zip(chunk, results, strict=True):
            if isinstance(result, Exception):
                left_out.append({"line": line.number, "field": result.field,
                                 "reason": result.message})
            elif result.replayed:
                replayed += 1
            else:
                stored += 1

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=notes) as progress:
        task = progress.add_task(f"importing {file.name}", total=max(lines, 1))
        chunk: list[Line] = []
        for line in read_acts(file, file_id, parse_scope):
            if line.act is None:
                left_out.append({"line": line.number, "field": line.field,
                                 "reason": line.problem})
            else:
                chunk.append(line)
            if len(chunk) >= batch:
                run(chunk)
                progress.update(task, completed=line.number)
                chunk = []
        if chunk:
            run(chunk)
        progress.update(task, completed=max(lines, 1))
    left_out.sort(key=lambda r: int(r["line"]))
    write_private(out, "".join(json.dumps(r, ensure_ascii=False) + "\n"
                               for r in left_out).encode("utf-8"))
    notes.print(f"stored {stored} act(s), {replayed} stored before (replayed), "
                f"{len(left_out)} rejected (lines and reasons in {out})")
    if left_out:
        raise typer.Exit(1)


@consent_app.command("withdraw")
def withdraw(
    subject: str = typer.Option(..., "--subject", help="The subject's internal id."),
    scope: str = typer.Option(..., "--scope", help="The scope kind to withdraw."),
    output: Format = typer.Option(Format.TEXT, "--format"),
) -> None:
    """Withdraw one scope; prints per purpose what stops and what continues (and why)."""
    from derbes.consent.service import consent as service

    container = bootstrap()
    result = service.withdraw_consent(container.context(actor(), request_id()), subject,
                                      scope)
    if output is Format.JSON:
        typer.echo(json.dumps({
            "withdrawal_id": result.withdrawal_id, "event": result.event.value,
            "scope": result.scope.value, "outcomes": [o.as_dict() for o in result.outcomes],
        }, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"withdrawal of {result.scope.value}: {result.event.value}")
    for column in ("purpose", "recipient", "status", "reason", "until", "citation"):
        table.add_column(column)
    for o in result.outcomes:
        table.add_row(o.purpose or o.cookie_category or "—", o.recipient or "",
                      o.status.value, o.reason.value,
                      o.until.isoformat() if o.until else "", o.citation)
    console.print(table)


@consent_app.command("show")
def show(
    subject: str = typer.Option(..., "--subject", help="The subject's internal id."),
    output: Format = typer.Option(Format.TEXT, "--format"),
) -> None:
    """The subject's consents and their status."""
    from derbes.consent.service import consent as service

    container = bootstrap()
    found = service.consents_of(container.context(actor()), subject)
    rows: list[dict[str, Any]] = [
            {"id": c.id, "scope": c.scope.kind.value,
             "items": list(c.scope.purposes or c.scope.recipients or c.scope.cookie_categories),
             "status": c.status_on(found.at).value, "channel": c.channel.value,
             "given_at": c.given_at.isoformat(),
             "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
             "needs_reconsent": c.needs_reconsent_since is not None}
            for c in found.consents]
    if output is Format.JSON:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"consents of {found.subject_id} ({found.operator_id})")
    for column in ("id", "scope", "covers", "status", "channel", "given at"):
        table.add_column(column)
    for r in rows:
        table.add_row(str(r["id"]), str(r["scope"]), ", ".join(r["items"]), str(r["status"]),
                      str(r["channel"]), str(r["given_at"]))
    console.print(table)


@consent_app.command("export")
def export(
    subject: str = typer.Option(..., "--subject", help="The subject's internal id."),
    fmt: ExportFormat = typer.Option(ExportFormat.JSON, "--format"),
    lang: str = typer.Option("ru", "--lang", help="ru, kk or en (certificate)."),
    out: Path | None = typer.Option(None, "--output", "-o", help="File; default stdout."),
) -> None:
    """The subject's consent evidence: JSON, or a certificate (PDF, HTML)."""
    from derbes.consent.adapters.evidence import render_certificate
    from derbes.consent.service import evidence

    container = bootstrap()
    data = evidence.export_evidence(container.context(actor(), request_id()),
                                    container.ledger_key, subject)
    payload = (json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
               if fmt is ExportFormat.JSON else render_certificate(data, lang, fmt.value))
    write_out(payload, out)


@ledger_app.command("verify")
def verify(
    expect: str | None = typer.Option(
        None, "--expect", metavar="SEQ:HASH",
        help="A head printed by an earlier run: it must still be there."),
    output: Format = typer.Option(Format.TEXT, "--format"),
) -> None:
    """Check the consent ledger (links, head, latest anchor) and replay both chains
    against every projection the decision point reads. Exit 0 when all holds, 1 otherwise."""
    from derbes.integrity import cli as chains
    from derbes.integrity.model.anchor import Chain

    chains.run_verify(Chain.LEDGER, expect, output)


@app.command("event")
def event(
    subject: str = typer.Option(..., "--subject", help="The subject's internal id."),
    type_: str = typer.Option(..., "--type", help="contract_opened, contract_closed, …"),
    event_id: str = typer.Option(..., "--event-id", help="Your id of the event (idempotency)."),
    contract: str | None = typer.Option(None, "--contract", help="Contract id."),
    occurred_at: str | None = typer.Option(None, "--occurred-at",
                                           help="ISO date-time; default now."),
    data: str | None = typer.Option(None, "--data", help="JSON object (no PD)."),
) -> None:
    """Record a lifecycle event (contract opened / closed, account closed, …)."""
    from derbes.lifecycle import service as lifecycle

    container = bootstrap()
    extra: dict[str, Any] = {}
    if data:
        try:
            loaded = json.loads(data)
        except ValueError:
            raise InputError("--data is not JSON", field="data") from None
        if not isinstance(loaded, dict):
            raise InputError("--data must be a JSON object", field="data")
        check_text(loaded, "data")
        extra = loaded
    when = _parse_time(occurred_at, "occurred_at") or container.clock.now()
    result = lifecycle.record_event(container.context(actor()), event_id, subject, type_, when,
                                    contract, extra)
    state = "recorded" if result.recorded else "already recorded"
    suffix = ""
    if result.contract is not None:
        suffix = f"; contract {result.contract.contract_id} " + (
            "open" if result.contract.is_open else "closed")
    typer.echo(f"event {result.event.event_id} {state}{suffix}")

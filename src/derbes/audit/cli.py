"""``derbes audit``: verify the hash-chained access log, read it, list access alerts."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.table import Table

from derbes.cli.app import command_group
from derbes.cli.common import Format, bootstrap, console

audit_app = command_group(
    "audit",
    "Access audit log: verify its hash chain, show entries, list alerts.")


MAX_LIMIT = 100_000  # entries shown at once; a larger number is refused, not stored


_FORMAT = typer.Option(Format.TEXT, "--format", help="Output format.")


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@audit_app.command("verify")
def verify(
    expect: str | None = typer.Option(
        None, "--expect", metavar="SEQ:HASH",
        help="A head printed by an earlier run (or kept by an auditor): it must still be there.",
    ),
    output: Format = _FORMAT,
) -> None:
    """Check every link of the audit log, its head and its latest anchor. Exit 0 when
    intact, 1 with each break otherwise."""
    from derbes.integrity import cli as chains
    from derbes.integrity.model.anchor import Chain

    chains.run_verify(Chain.AUDIT, expect, output)


@audit_app.command("show")
def show(
    subject: str | None = typer.Option(None, "--subject", help="Internal subject id."),
    actor: str | None = typer.Option(None, "--actor", help="Who acted."),
    action: str | None = typer.Option(None, "--action", help="e.g. subject.read"),
    limit: int = typer.Option(50, "--limit", min=1, max=MAX_LIMIT,
                              help="At most this many, newest first."),
    output: Format = _FORMAT,
) -> None:
    """The newest audit entries, filtered by subject, actor or action."""
    from derbes.audit import service as audit

    entries = audit.show(bootstrap().uow(), subject_id=subject, actor=actor, action=action,
                         limit=limit)
    if output is Format.JSON:
        _print_json([
            {"seq": e.seq, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
             "subject_ids": list(e.subject_ids), "subject_count": e.subject_count,
             "categories": list(e.categories), "purpose": e.purpose,
             "request_id": e.request_id, "details": dict(e.details), "hash": e.hash}
            for e in entries
        ])
        return
    if not entries:
        console.print("no audit entries match")
        return
    table = Table(title=f"audit log ({len(entries)} newest entries)")
    for column in ("seq", "at", "actor", "action", "subjects", "categories", "purpose",
                   "request"):
        table.add_column(column, overflow="fold")
    for e in entries:
        subjects = (", ".join(e.subject_ids) if e.subject_count <= 3
                    else f"{e.subject_count} subjects")
        table.add_row(str(e.seq), e.at.isoformat(timespec="seconds"), e.actor, e.action,
                      subjects, ", ".join(e.categories), e.purpose or "", e.request_id or "")
    console.print(table)


@audit_app.command("alerts")
def alerts(
    actor: str | None = typer.Option(None, "--actor", help="Only this actor's alerts."),
    limit: int = typer.Option(100, "--limit", min=1, max=MAX_LIMIT,
                              help="At most this many, newest first."),
    output: Format = _FORMAT,
) -> None:
    """Alerts on unusual access (e.g. one actor reading many subjects in a short window)."""
    from derbes.audit import service as audit

    found = audit.alerts(bootstrap().uow(), actor=actor, limit=limit)
    if output is Format.JSON:
        _print_json([
            {"id": a.id, "at": a.at.isoformat(), "actor": a.actor, "rule": a.rule,
             "count": a.count, "window_seconds": a.window_seconds,
             "first_at": a.first_at.isoformat(), "last_at": a.last_at.isoformat(),
             "details": dict(a.details)}
            for a in found
        ])
        return
    if not found:
        console.print("no access alerts")
        return
    table = Table(title="access alerts")
    for column in ("id", "at", "actor", "rule", "subjects", "window", "first", "last"):
        table.add_column(column, overflow="fold")
    for a in found:
        table.add_row(str(a.id), a.at.isoformat(timespec="seconds"), a.actor, a.rule,
                      str(a.count), f"{a.window_seconds}s",
                      a.first_at.isoformat(timespec="seconds"),
                      a.last_at.isoformat(timespec="seconds"))
    console.print(table)

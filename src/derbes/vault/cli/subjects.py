"""``derbes subject``: add, show, find, block, destroy subjects of the PD vault.

Personal data given on a command line is visible to every user of the
machine (``ps``) and lands in shell history: ``find`` reads the identifier
from stdin when given ``-``, and ``add`` reads ``category=value`` lines from
``--values-file -``. The actor of every audited action is ``cli:<os user>``.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from derbes.cli.app import command_group
from derbes.cli.common import actor, bootstrap, console, notes, request_id, stdin_if_dash
from derbes.errors import InputError
from derbes.platform.text import check_text
from derbes.register.model.register import Register
from derbes.vault.model import LookupKind, NewValue, Provenance, Source

if TYPE_CHECKING:
    from derbes.bootstrap import Container
    from derbes.context import Context

subject_app = command_group(
    "subject",
    "Subjects of the PD vault: add, show, find, block, destroy.")


def _pairs(items: list[str], what: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            # The item may hold PD: name the option, never the text.
            raise InputError(f"{what} must look like name=value", field=what)
        out.append((key.strip(), value.strip()))
    return out


def _register(container: Container, operator: str, register_file: Path | None) -> Register:
    from derbes.register.adapters.yaml import load_register
    from derbes.register.service import registers

    if register_file is not None:
        loaded = load_register(register_file)
        if loaded.register.operator.id != operator:
            raise InputError(f"{register_file} is the register of "
                             f"{loaded.register.operator.id!r}, not {operator!r}",
                             field="register")
        registers.publish(container.uow(), [loaded], container.clock)
    return registers.in_force(container.uow(), operator).register


def _context(container: Container, operator: str | None = None) -> Context:
    """The command's world: the user at the terminal, for ``operator`` or every operator."""
    from derbes.context import OperatorScope

    scope = OperatorScope.every() if operator is None else OperatorScope.only(operator)
    return container.context(actor(), request_id(), scope)


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@subject_app.command("add")
def add(
    operator: str = typer.Option(..., "--operator", help="Operator id (its register in force)."),
    value: list[str] = typer.Option(
        [], "--value", help="category=value (repeat). Visible in `ps`: prefer --values-file -."
    ),
    values_file: str | None = typer.Option(
        None, "--values-file", help="File of category=value lines; '-' reads stdin."
    ),
    identifier: list[str] = typer.Option(
        [], "--id", help="kind=value look-up identifier not stored as a value (customer_id=…)."
    ),
    source: Source = typer.Option(Source.SUBJECT, "--source", help="Where the values came from."),
    purpose: list[str] = typer.Option(
        [], "--purpose",
        help="Purpose(s) the values are collected for; default: none named (only what the "
             "register applies to everyone). A consent or a contract later widens it."
    ),
    method: str = typer.Option("cli", "--method", help="How the values were collected."),
    register_file: Path | None = typer.Option(
        None, "--register", help="Publish this register file first (if not yet in force)."
    ),
) -> None:
    """Store a new subject; prints its id."""
    from derbes.vault.service import subjects as vault

    container = bootstrap()
    lines = list(value)
    if values_file is not None:
        text = sys.stdin.read() if values_file == "-" else Path(values_file).read_text("utf-8")
        check_text(text, "values_file")
        lines += [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise InputError("give at least one --value or --values-file", field="value")
    now = container.clock.now()
    provenance = Provenance(source=source, purposes=tuple(purpose), method=method,
                            collected_at=now)
    values = [NewValue(category, raw, provenance) for category, raw in _pairs(lines, "value")]
    ids = dict(_pairs(identifier, "id"))
    register = _register(container, operator, register_file)
    subject_id = vault.add_subject(_context(container, operator), register, values, ids)
    notes.print(f"added subject with {len(values)} value(s) for {operator}")
    typer.echo(subject_id)


@subject_app.command("import")
def import_(
    file: Path = typer.Argument(..., help="CSV with a header, or JSON lines: one subject per "
                                          "record, a category per column (id:<kind> for "
                                          "look-up identifiers)."),
    operator: str = typer.Option(..., "--operator", help="Operator id (its register in force)."),
    workers: int = typer.Option(1, "--workers", help="Processes, each with its own connection."),
    batch: int = typer.Option(2000, "--batch", help="Records per batch (one transaction)."),
    rejects: Path | None = typer.Option(
        None, "--rejects", help="Where the rejected records' lines and reasons go "
                                "(default: FILE.rejects.jsonl)."),
    fmt: str | None = typer.Option(None, "--format", help="csv or jsonl (default: by extension)."),
    source: Source = typer.Option(Source.SUBJECT, "--source", help="Where the values came from."),
    purpose: list[str] = typer.Option([], "--purpose", help="Purpose(s) of the collection."),
    method: str = typer.Option("import", "--method", help="How the values were collected."),
    collected_at: str | None = typer.Option(
        None, "--collected-at", help="When the values were collected (ISO 8601; default now)."),
    register_file: Path | None = typer.Option(
        None, "--register", help="Publish this register file first (if not yet in force)."
    ),
) -> None:
    """Import subjects from a file; resumable (run it again after a crash)."""
    from derbes.vault.adapters.import_files import file_format
    from derbes.vault.cli.importing import ImportJob, run_import

    if not file.is_file():
        raise InputError(f"{file} is not a file", field="file")
    kind = file_format(file, fmt)
    container = bootstrap()
    when = container.clock.now()
    if collected_at is not None:
        try:
            when = datetime.fromisoformat(collected_at)
        except ValueError:
            raise InputError("--collected-at must be an ISO 8601 date-time",
                             field="collected_at") from None
        if when.tzinfo is None:
            raise InputError("--collected-at needs a time zone (…+05:00 or …Z)",
                             field="collected_at")
    register = _register(container, operator, register_file)
    out = rejects if rejects is not None else file.with_name(file.name + ".rejects.jsonl")
    options = {"operator": operator, "source": source.value, "purposes": tuple(purpose),
               "method": method, "collected_at": when.isoformat()}
    summary = run_import(container, register, ImportJob(file, kind, batch, workers, out,
                                                        options))
    notes.print(f"stored {summary.stored} subject(s) of {summary.records} record(s) read; "
                f"{summary.rejected} rejected (lines and reasons in {out})"
                + (f"; {summary.batches_before} batch(es) stored by an earlier run"
                   if summary.batches_before else ""))
    if summary.rejected:
        raise typer.Exit(1)


@subject_app.command("show")
def show(
    subject_id: str = typer.Argument(..., help="The subject's internal id."),
    purpose: str | None = typer.Option(
        None, "--purpose", help="Why you read it: a register purpose or subject_access_request."
    ),
    category: list[str] = typer.Option([], "--category", help="Only these categories."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Decrypt and print what the purpose needs (the read is audited)."""
    from derbes.vault.service import subjects as vault

    container = bootstrap()
    view = vault.read_subject(_context(container), subject_id, purpose,
                              categories=category or None)
    if as_json:
        typer.echo(json.dumps({
            "subject_id": view.subject_id, "operator_id": view.operator_id,
            "purpose": view.purpose,
            "values": [{"category": v.category, "seq": v.seq, "value": v.value,
                        "source": v.provenance.source.value,
                        "purposes": list(v.provenance.purposes)} for v in view.values],
            "withheld": list(view.withheld),
            "blocks": [{"category": b.category, "reason": b.reason,
                        "blocked_at": b.blocked_at.isoformat()} for b in view.blocks],
        }, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"subject {view.subject_id} ({view.operator_id}), "
                        f"purpose {view.purpose}")
    for column in ("category", "#", "value", "source", "purposes"):
        table.add_column(column)
    for v in view.values:
        table.add_row(v.category, str(v.seq), _plain(v.value), v.provenance.source.value,
                      ", ".join(v.provenance.purposes))
    console.print(table)
    if view.withheld:
        console.print("withheld (blocked): " + ", ".join(view.withheld))


@subject_app.command("find")
def find(
    iin: str | None = typer.Option(None, "--iin", help="IIN, or '-' to read it from stdin."),
    phone: str | None = typer.Option(None, "--phone", help="Phone, or '-' for stdin."),
    email: str | None = typer.Option(None, "--email", help="E-mail, or '-' for stdin."),
    customer_id: str | None = typer.Option(
        None, "--customer-id", help="Customer / wallet id, or '-' for stdin."
    ),
    purpose: str | None = typer.Option(None, "--purpose", help="Why you look the subject up."),
    operator: str | None = typer.Option(None, "--operator", help="Only this operator."),
) -> None:
    """Find subjects by one identifier (blind index); prints 'subject_id operator' lines."""
    from derbes.vault.service import subjects as vault

    given = [(k, v) for k, v in ((LookupKind.IIN, iin), (LookupKind.PHONE, phone),
                                 (LookupKind.EMAIL, email),
                                 (LookupKind.CUSTOMER_ID, customer_id)) if v is not None]
    if len(given) != 1:
        raise InputError("give exactly one of --iin, --phone, --email, --customer-id",
                         field="kind")
    kind, raw = given[0]
    container = bootstrap()
    found = vault.find_subject(_context(container, operator), kind.value,
                               stdin_if_dash(raw), purpose)
    if not found:
        notes.print("no subject found")
        raise typer.Exit(3)
    for ref in found:
        typer.echo(f"{ref.subject_id} {ref.operator_id}")


@subject_app.command("block")
def block(
    subject_id: str = typer.Argument(..., help="The subject's internal id."),
    reason: str = typer.Option(..., "--reason", help="Why (a request number, a complaint…)."),
    category: list[str] = typer.Option(
        [], "--category", help="Block only these categories (default: the whole subject)."
    ),
) -> None:
    """Block the subject or some categories: processing of them is suspended."""
    from derbes.vault.service import subjects as vault

    container = bootstrap()
    blocks = vault.block(_context(container), subject_id, category or None, reason)
    for b in blocks:
        console.print(f"blocked {b.category or 'subject'} since {b.blocked_at.isoformat()}: "
                      f"{b.reason}")


@subject_app.command("unblock")
def unblock(
    subject_id: str = typer.Argument(..., help="The subject's internal id."),
    reason: str = typer.Option(..., "--reason", help="Why the block is lifted."),
    category: list[str] = typer.Option(
        [], "--category", help="Lift only these categories' blocks (default: all)."
    ),
) -> None:
    """Lift blocks of the subject or of some categories."""
    from derbes.vault.service import subjects as vault

    container = bootstrap()
    left = vault.unblock(_context(container), subject_id, category or None, reason)
    console.print(f"{len(left)} block(s) remain")


@subject_app.command("destroy")
def destroy(
    subject_id: str = typer.Argument(..., help="The subject's internal id."),
    reason: str = typer.Option(..., "--reason", help="Why (request number, legal ground)."),
    category: list[str] = typer.Option(
        [], "--category", help="Destroy only these categories (partial crypto-shredding)."
    ),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Crypto-shred the subject (or categories): the key is destroyed, rows deleted."""
    from derbes.vault.service import subjects as vault

    what = ", ".join(category) if category else "ALL personal data"
    if not yes and not typer.confirm(
            f"destroy {what} of subject {subject_id}? This cannot be undone: the data key is "
            "destroyed now, so backups of the data database no longer open it; copies of the "
            "key store (its backups, PostgreSQL's WAL) stop opening it when the key epoch is "
            "closed (`derbes keys epoch close`)"):
        raise typer.Exit(1)
    container = bootstrap()
    ctx = _context(container)
    if category:
        result = vault.destroy_categories(ctx, subject_id, category, reason)
    else:
        result = vault.destroy_subject(ctx, subject_id, reason)
    console.print(f"destroyed {result.values_deleted} value(s) of subject {subject_id} "
                  f"({', '.join(result.categories) or 'none held'}); "
                  f"data key {'destroyed' if result.key_destroyed else 'already gone'}")
    console.print("copies of the key store forget it when the key epoch is closed: "
                  "`derbes keys epoch status` shows when that is due")

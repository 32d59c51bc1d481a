"""``derbes compliance``: the responsible person's register and the compliance pack.

    derbes compliance responsible set --operator kassa24 --name "A. Sadykova" \\
        --position "Head of compliance" --email dpo@kassa24.kz --appointed-on 2026-01-15
    derbes compliance responsible show --operator kassa24
    derbes compliance pack --operator kassa24 --from 2026-01-01 --to 2026-12-31 \\
        --lang kk -o pack.pdf
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from derbes.cli.app import command_group
from derbes.cli.common import actor, bootstrap, console, language, lazy, write_out
from derbes.errors import InputError

if TYPE_CHECKING:
    from derbes.compliance import service as compliance
else:
    compliance = lazy("derbes.compliance.service")

compliance_app = command_group(
    "compliance",
    "The responsible person's register and the compliance pack "
    "(Law 94-V Art. 25).")
responsible_app = command_group(
    "responsible",
    "Who is responsible for organising PD processing.", parent=compliance_app)


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"--{field.replace('_', '-')} must be a date, e.g. 2026-01-15",
                         field=field) from None


@responsible_app.command("set")
def set_command(
    operator: str = typer.Option(..., "--operator"),
    name: str = typer.Option(..., "--name"),
    position: str = typer.Option(..., "--position"),
    appointed_on: str = typer.Option(..., "--appointed-on", help="YYYY-MM-DD"),
    email: str | None = typer.Option(None, "--email"),
    phone: str | None = typer.Option(None, "--phone"),
    document: str | None = typer.Option(None, "--document",
                                        help="The order that appointed the person."),
) -> None:
    """Record who is appointed (audited); the latest appointment is the one in force."""
    made = compliance.appoint(bootstrap().context(actor()), compliance.NewAppointment(
        operator, name, position, _day(appointed_on, "appointed_on"), email, phone, document))
    console.print(f"{operator}: {made.name} appointed on {made.appointed_on.isoformat()} "
                  f"(record {made.id})", markup=False)


@responsible_app.command("show")
def show_command(operator: str = typer.Option(..., "--operator"),
                 as_json: bool = typer.Option(False, "--json")) -> None:
    """The appointment in force first, then the earlier ones."""
    found = compliance.responsible(bootstrap().context(actor(), read_only=True), operator)
    if as_json:
        rows = [{"name": a.name, "position": a.position, "email": a.email, "phone": a.phone,
                 "appointed_on": a.appointed_on.isoformat(), "document": a.document,
                 "recorded_at": a.recorded_at.isoformat(), "recorded_by": a.recorded_by}
                for a in found.history]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("appointed on", "name", "position", "contact", "document", "recorded")
    for a in found.history:
        table.add_row(a.appointed_on.isoformat(), a.name, a.position,
                      ", ".join(c for c in (a.email, a.phone) if c), a.document or "—",
                      f"{a.recorded_at:%Y-%m-%d %H:%M} {a.recorded_by}")
    if not found.history:
        console.print(f"{operator}: no appointment recorded", markup=False)
        return
    console.print(table)


@compliance_app.command("pack")
def pack_command(
    operator: str = typer.Option(..., "--operator"),
    since: str | None = typer.Option(None, "--from", help="First day (default: 1 January)."),
    until: str | None = typer.Option(None, "--to", help="Last day (default: today)."),
    lang: str = typer.Option("ru", "--lang", help="ru | kk | en"),
    fmt: str = typer.Option("pdf", "--format", help="pdf | html"),
    verify: bool = typer.Option(True, "--verify/--no-verify",
                                help="Walk the audit chains in full for the pack."),
    out: Path | None = typer.Option(None, "-o", "--output"),
) -> None:
    """The compliance pack of an operator for a period, as PDF (or HTML)."""
    from derbes.compliance.adapters.pack import FORMATS, render_pack

    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}", field="format")
    chosen = language(lang)
    from derbes.compliance.adapters.chains import chain_walker

    container = bootstrap()
    walker = chain_walker(container)

    def walk() -> compliance.ChainResult:
        with console.status("walking the audit log and the consent ledger"):
            return walker()

    pack = compliance.compliance_pack(container.context(actor()), operator,
                                      _day(since, "since"), _day(until, "until"),
                                      walk if verify else None)
    write_out(render_pack(pack, chosen, fmt), out)

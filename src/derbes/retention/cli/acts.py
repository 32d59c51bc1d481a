"""``derbes acts list|show``: the destruction acts the retention sweep issued."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from derbes.cli.app import command_group
from derbes.cli.common import Format, actor, bootstrap, console, lazy, write_out
from derbes.context import Context, OperatorScope
from derbes.platform.dates import EARLIEST, LATEST
from derbes.platform.labels import N_, Lang

if TYPE_CHECKING:
    from derbes.bootstrap import Container
    from derbes.platform import i18n
else:
    i18n = lazy("derbes.platform.i18n")

acts_app = command_group(
    "acts",
    "Destruction acts: list them, show or export one (JSON, PDF, HTML).")


class ShowFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    PDF = "pdf"
    HTML = "html"


HEADINGS = {
    "list_title": N_("Personal data destruction acts"),
    "number": N_("Number"),
    "date": N_("Date"),
    "operator": N_("Operator"),
    "subjects": N_("Subjects"),
    "groups": N_("Groups"),
    "run": N_("Run"),
    "empty": N_("No acts."),
    "numbering": N_(
        "Act numbers restart for each operator every year: "
        "derbes acts show NUMBER --operator OPERATOR (or by id)."
    ),
}


def _lang(value: str) -> Lang:
    from derbes.platform.i18n import as_lang

    return as_lang(value)


def _context(container: Container, operator: str | None) -> Context:
    """The user at the terminal, for every operator or the one named."""
    scope = OperatorScope.every() if operator is None else OperatorScope.only(operator)
    return container.context(actor(), scope=scope, read_only=True)


@acts_app.command("list")
def list_(
    operator: str | None = typer.Option(None, "--operator", help="Only this operator's acts."),
    year: int | None = typer.Option(None, "--year", min=EARLIEST.year, max=LATEST.year,
                                    help="Only acts of this year."),
    limit: int = typer.Option(200, "--limit", min=1, max=1000),
    lang: str = typer.Option("ru", "--lang", help="ru, kk or en."),
    fmt: Format = typer.Option(Format.TEXT, "--format"),
) -> None:
    """Acts, the newest first."""
    from derbes.platform.i18n import format_date
    from derbes.retention.service import acts

    language = _lang(lang)
    container = bootstrap()
    headers = acts.list_acts(_context(container, operator), year=year, limit=limit)
    if fmt is Format.JSON:
        rows = [{"id": h.id, "number": h.number, "operator_id": h.operator_id,
                 "date": h.act_date.isoformat(), "issued_at": h.issued_at.isoformat(),
                 "run_id": h.run_id, "subjects": h.subjects_total, "groups": h.groups,
                 "sha256": h.digest} for h in headers]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    t = {k: i18n.gettext(language, v) for k, v in HEADINGS.items()}
    if not headers:
        console.print(t["empty"])
        return
    table = Table(title=t["list_title"], title_justify="left")
    for column in ("number", "operator", "date", "subjects", "groups"):
        table.add_column(t[column], justify="right" if column in ("subjects", "groups")
                         else "left", no_wrap=column in ("number", "date"))
    for h in headers:
        table.add_row(h.number, h.operator_id, format_date(h.act_date, language),
                      str(h.subjects_total), str(h.groups))
    console.print(table)
    console.print(t["numbering"])


@acts_app.command("show")
def show(
    act: str = typer.Argument(..., help="The act's id or number (АУ-2026/0001)."),
    operator: str | None = typer.Option(
        None, "--operator",
        help="The operator: act numbers restart for each operator every year."),
    fmt: ShowFormat = typer.Option(ShowFormat.TEXT, "--format"),
    lang: str = typer.Option("ru", "--lang", help="ru, kk or en."),
    out: Path | None = typer.Option(None, "--output", "-o", help="File; default stdout."),
) -> None:
    """One act: a summary, or the document as JSON, PDF or HTML."""
    from derbes.retention.adapters.acts import render_act
    from derbes.retention.adapters.acts.render import view
    from derbes.retention.service import acts

    language = _lang(lang)
    container = bootstrap()
    found = acts.get(_context(container, operator), act)
    if fmt is not ShowFormat.TEXT:
        write_out(render_act(found, language, fmt.value), out)
        return
    v = view(found, language)
    t = v["t"]
    lines = [f"[bold]{t['title']} {t['no']} {v['number']}[/]", v["date"], "",
             f"{t['operator']}: {v['operator']['name']}",
             f"{t['bin']}: {v['operator']['bin'] or t['not_stated']}",
             f"{t['general_basis']}: {v['general_basis']}",
             f"{t['run']}: {v['run_id']}",
             f"{t['as_of']}: {v['as_of']}",
             f"{t['window']}: {v['window']}", ""]
    for g in v["groups"]:
        lines.append(f"[bold]{t['group']} {g['no']}[/]: {g['purpose']}")
        lines.append(f"  {t['basis']}: {g['basis']}"
                     + (f" ({g['basis_citation']})" if g["basis_citation"] else ""))
        lines.append(f"  {t['retention']}: {g['retention']} — {g['retention_citation']}")
        lines.append(f"  {t['categories']}: "
                     + "; ".join(c["label"] for c in g["categories"]))
        lines.append(f"  {t['action']}: {g['action']}")
        lines.append(f"  {t['subjects']}: {g['subjects']}")
    if not v["groups"]:
        lines.append(t["none"])
    lines += ["", f"{t['total']}: {v['subjects_total']}",
              f"{t['digest']}: {v['digest']}"]
    for line in lines:
        console.print(line)

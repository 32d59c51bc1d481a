"""The scan report as a table in the terminal (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from derbes.platform.labels import Lang
from derbes.scanner.adapters.reports.texts import text
from derbes.scanner.model.findings import Finding, Status
from derbes.scanner.service import ScanReport, counts

_STYLES = {Status.UNDECLARED: "bold red", Status.MISPLACED: "bold magenta",
           Status.DECLARED: "green", Status.NOT_PERSONAL: "dim"}


def _where(finding: Finding, lang: Lang | str) -> str:
    where = finding.location.describe()
    if finding.first_unit is not None and finding.location.kind.value == "file":
        where += f" ({text('first', lang)} {finding.first_unit})"
    return where


def print_report(report: ScanReport, console: Console, lang: Lang | str = Lang.EN) -> None:
    table = Table(title=f"{text('title', lang)} — {report.operator}", show_lines=False,
                  expand=False)
    for key in ("status", "where", "what", "values", "confidence", "examples", "rule"):
        table.add_column(text(key, lang), overflow="fold")
    for f in report.findings:
        share = f"{f.values}/{f.scanned}" if f.scanned else str(f.values)
        table.add_row(
            f"[{_STYLES[f.status]}]{f.status.label(lang)}[/]",
            escape(_where(f, lang)),
            escape(f.entity.label(lang) + (f" → {f.category}" if f.category else "")),
            share,
            f"{f.confidence:.2f}",
            escape(", ".join(f.examples)),
            f.rule or "",
        )
    if report.findings:
        console.print(table)
    else:
        console.print(text("none", lang))
    summary = ", ".join(f"{Status(k).label(lang)}: {v}" for k, v in counts(report.findings).items())
    console.print(f"{text('summary', lang)}: {summary or '0'}; {text('units', lang)}: "
                  f"{report.units}" + (f" ({report.resumed} {text('resumed', lang)})"
                                       if report.resumed else ""))
    for skipped in report.skipped:
        console.print(f"[yellow]{text('skipped', lang)}:[/] "
                      f"{escape(skipped.where)}: {escape(skipped.reason)}",
                      markup=True, highlight=False)

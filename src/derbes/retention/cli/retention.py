"""``derbes retention plan|run``: what is due for destruction, and the sweep itself.

``plan`` shows the (subject, category) pairs due on a date per governing
purpose and category, with the retention rule's citation, and a bar chart of
the pairs falling due in the coming months. ``run`` destroys them in batches
with a progress bar; killed, it is resumed by running it again.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from derbes.cli.app import command_group
from derbes.cli.common import actor, bootstrap, console, lazy, notes
from derbes.context import OperatorScope
from derbes.errors import InputError
from derbes.platform.dates import check_date
from derbes.retention.model.retention import DEFAULT_BATCH, MAX_BATCH

if TYPE_CHECKING:
    from derbes.retention.service import sweep as retention
else:
    retention = lazy("derbes.retention.service.sweep")

retention_app = command_group("retention", "Retention: plan and run the destruction sweep.")


_BAR = 40  # characters of the longest histogram bar


def _as_of(text: str | None, today: date) -> date:
    if text is None:
        return today
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InputError("--as-of must be a date (YYYY-MM-DD)", field="as_of") from None
    return check_date(day, "as_of")


def _bars(histogram: tuple[tuple[date, int], ...]) -> list[str]:
    top = max((n for _m, n in histogram), default=0)
    lines = []
    for month, n in histogram:
        width = 0 if top == 0 else max(1 if n else 0, round(n * _BAR / top))
        lines.append(f"{month.isoformat()[:7]}  {'█' * width}{' ' if width else ''}{n}")
    return lines


@retention_app.command("plan")
def plan_command(
    operator: str = typer.Option(..., "--operator", "-o", help="Operator id of the register."),
    as_of: str | None = typer.Option(None, "--as-of", help="Date (YYYY-MM-DD); default today."),
    months: int = typer.Option(12, "--months", min=1, max=120,
                               help="Months of upcoming due dates to chart."),
    output: str = typer.Option("text", "--format", help="text or json."),
) -> None:
    """Show what is due for destruction, per purpose and category, what comes next, and
    what is kept with no end date (and why).

    Rehearse a future date with --as-of: the figures are those `run` would produce on
    that day if no new event arrives (`run` itself refuses a date in the future).
    """
    container = bootstrap()
    day = _as_of(as_of, container.clock.now().date())
    ctx = container.context(actor(), scope=OperatorScope.only(operator))
    found = retention.plan(ctx, operator, day, months=months)
    if output == "json":
        console.print_json(json.dumps(found.as_dict(), ensure_ascii=False))
        return
    if output != "text":
        raise InputError("--format is text or json", field="format")
    console.print(f"[bold]Retention plan[/] of {operator} on {day.isoformat()}: "
                  f"{found.subjects} subject(s), {found.pairs} (subject, category) pair(s) due")
    if found.unfinished_run:
        notes.print(f"an unfinished run ({found.unfinished_run}) will be resumed first")
    if found.lines:
        table = Table()
        for name in ("purpose", "category", "subjects", "method", "period", "citation"):
            table.add_column(name, overflow="fold")
        for line in found.lines:
            table.add_row(line.purpose or "—", line.category, str(line.subjects),
                          line.method.value, line.period or "—", line.citation or "—")
        console.print(table)
    console.print(f"[bold]Falling due[/] (pairs per month, next {months}):")
    for text in _bars(found.histogram):
        console.print(text)
    no_end = [k for k in found.kept if k.state in (retention.KeptState.NO_END_DATE,
                                                    retention.KeptState.UNLINKED)]
    if no_end:
        console.print(f"[bold]Kept with no end date[/]: {found.kept_with_no_end_date} "
                      "(subject, category) pair(s)")
        table = Table()
        for name in ("purpose", "category", "subjects", "why"):
            table.add_column(name, overflow="fold")
        for k in no_end:
            table.add_row(k.purpose or "—", k.category, str(k.subjects), k.finding or "—")
        console.print(table)
    running = sum(k.subjects for k in found.kept if k.state is retention.KeptState.RUNNING)
    held = sum(k.subjects for k in found.kept if k.state is retention.KeptState.HELD)
    if running or held:
        console.print(f"still running (waiting for their trigger): {running} pair(s); "
                      f"under a legal hold with no end: {held} pair(s)")


@retention_app.command("run")
def run_command(
    operator: str = typer.Option(..., "--operator", "-o", help="Operator id of the register."),
    as_of: str | None = typer.Option(None, "--as-of", help="Date (YYYY-MM-DD); default today."),
    batch_size: int = typer.Option(DEFAULT_BATCH, "--batch-size", min=1,
                                   max=MAX_BATCH, help="Subjects per transaction."),
) -> None:
    """Destroy what is due (crypto-shredding in the vault), resumably, and issue the act."""
    from derbes.datasets.adapters.directory import stores_from_dir
    container = bootstrap()
    day = _as_of(as_of, container.clock.now().date())
    ctx = container.context(actor(), scope=OperatorScope.only(operator))
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=notes,
                  transient=False) as bar:
        task = bar.add_task("destroying", total=None)

        def progress(p: retention.Progress) -> None:
            bar.update(task, completed=p.done, total=p.total)

        while True:
            report = retention.run(ctx, operator, day, batch_size=batch_size,
                                   on_progress=progress,
                                   stores=stores_from_dir(container.settings.datasets_dir))
            if report.resumed and report.run is not None:
                notes.print(f"resumed and finished run {report.run.id} "
                            f"(as of {report.run.as_of.isoformat()})")
                if report.run.as_of != day:
                    continue
            break
    if report.run is None:
        console.print(f"nothing is due on {day.isoformat()}")
        return
    done = report.run
    console.print(f"run {done.id}: {done.subjects_shredded} subject(s) crypto-shredded, "
                  f"{done.subjects_partial} partly destroyed, {done.subjects_skipped} skipped "
                  f"(a hold or a change since the plan), {done.values_deleted} value(s) deleted")
    if report.act_id:
        console.print(f"destruction act: {report.act_id} (derbes acts show {report.act_id})")

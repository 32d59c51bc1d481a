"""``derbes calendar``, ``derbes deadline`` and ``derbes regime show``."""

from __future__ import annotations

import calendar as stdlib_calendar
import json
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import typer
from rich.columns import Columns
from rich.console import Console
from rich.table import Table
from rich.text import Text

from derbes.cli.app import app, command_group
from derbes.cli.common import Format, bootstrap, lazy
from derbes.deadlines.model.calendar import DayKind, DueDate, WorkingCalendar, describe_term
from derbes.deadlines.model.regime import Regime, regime_as_dict
from derbes.errors import InputError
from derbes.platform.dates import check_moment
from derbes.platform.labels import Lang

if TYPE_CHECKING:
    from derbes.deadlines import service as deadlines
else:
    deadlines = lazy("derbes.deadlines.service")

console = Console(soft_wrap=True)

regime_app = command_group(
    "regime",
    "The regime table: statutory deadlines and rules with citations.")


_MONTHS: dict[Lang, tuple[str, ...]] = {
    Lang.RU: (
        "Январь", "Февраль", "Март", "Апрель", "Май", "Июнь",
        "Июль", "Август", "Сентябрь", "Октябрь", "Ноябрь", "Декабрь",
    ),
    Lang.KK: (
        "Қаңтар", "Ақпан", "Наурыз", "Сәуір", "Мамыр", "Маусым",
        "Шілде", "Тамыз", "Қыркүйек", "Қазан", "Қараша", "Желтоқсан",
    ),
    Lang.EN: tuple(stdlib_calendar.month_name[1:]),
}
_WEEKDAYS: dict[Lang, tuple[str, ...]] = {
    Lang.RU: ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"),
    Lang.KK: ("Дс", "Сс", "Ср", "Бс", "Жм", "Сб", "Жс"),
    Lang.EN: ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"),
}

_SATURDAY = 5
_FORMAT_OPTION = typer.Option(Format.TEXT, "--format", "-f", help="Output format.")
_LANG_HELP = "Language of names and explanations (default: DERBES_DEFAULT_LANGUAGE)."


def _lang(value: str | None) -> Lang:
    text = value or bootstrap().settings.default_language
    try:
        return Lang(text)
    except ValueError:
        raise InputError(f"unknown language {text!r}: use ru, kk or en", field="lang") from None


def _dump(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


# --- derbes calendar YEAR -------------------------------------------------------


@app.command("calendar")
def calendar_command(
    year: int = typer.Argument(..., help="The year, e.g. 2026.", min=1991, max=2100),
    output: Format = _FORMAT_OPTION,
    lang: str | None = typer.Option(None, "--lang", help=_LANG_HELP),
) -> None:
    """Print the Kazakhstan working calendar of YEAR: days off, holidays, transfers."""
    cal = deadlines.working_calendar(bootstrap().rules.calendars, year)
    if output is Format.JSON:
        _dump(calendar_as_dict(cal, year))
        return
    language = _lang(lang)
    grids = [_month_grid(cal, year, month, language) for month in range(1, 13)]
    console.print(Columns(grids, equal=True))
    working = len(cal.working_days_in(date(year, 1, 1), date(year, 12, 31)))
    console.print(
        f"{year}: {working} working days (five-day week). "
        "[bold red]red[/]: weekday off, [dim]dim[/]: weekend, "
        "[bold green]green[/]: working weekend day",
        highlight=False,
    )
    table = Table(title=f"Holidays and transfers {year}", show_lines=False)
    for column in ("date", "kind", "name", "source"):
        table.add_column(column)
    for special in cal.special_days_in(year):
        table.add_row(
            f"{special.day.isoformat()} {_WEEKDAYS[language][special.day.weekday()]}",
            special.kind.value,
            special.name.get(language),
            special.source,
        )
    console.print(table)


def calendar_as_dict(cal: WorkingCalendar, year: int) -> dict[str, Any]:
    first, last = date(year, 1, 1), date(year, 12, 31)
    working = cal.working_days_in(first, last)
    off = [
        d.isoformat()
        for d in (date.fromordinal(o) for o in range(first.toordinal(), last.toordinal() + 1))
        if not cal.is_working_day(d)
    ]
    return {
        "year": year,
        "working_days": len(working),
        "months": [
            {
                "month": month,
                "working_days": sum(1 for d in working if d.month == month),
            }
            for month in range(1, 13)
        ],
        "non_working_days": off,
        "special_days": [
            {
                "date": s.day.isoformat(),
                "kind": s.kind.value,
                "working": s.kind.is_working,
                "name": s.name.as_dict(),
                "source": s.source,
            }
            for s in cal.special_days_in(year)
        ],
    }


def _month_grid(cal: WorkingCalendar, year: int, month: int, lang: Lang) -> Table:
    grid = Table(
        title=f"{_MONTHS[lang][month - 1]} {year}",
        show_edge=False,
        box=None,
        padding=(0, 1),
    )
    for name in _WEEKDAYS[lang]:
        grid.add_column(name, justify="right")
    specials = {s.day: s for s in cal.special_days_in(year) if s.day.month == month}
    for week in stdlib_calendar.Calendar().monthdatescalendar(year, month):
        cells: list[Text] = []
        for day in week:
            if day.month != month:
                cells.append(Text(""))
                continue
            working = cal.is_working_day(day)
            special = specials.get(day)
            if working and special is not None and special.kind is DayKind.WORKING_DAY:
                style = "bold green"
            elif working:
                style = ""
            elif day.weekday() >= _SATURDAY:
                style = "dim"
            else:
                style = "bold red"
            cells.append(Text(str(day.day), style=style))
        grid.add_row(*cells)
    return grid


# --- derbes deadline TYPE RECEIVED_AT -------------------------------------------


def _parse_instant(text: str, timezone: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"cannot read {text!r} as a date-time: use ISO 8601, e.g. 2026-03-20T10:00 "
            "or 2026-03-20T05:00Z",
            field="received_at",
        ) from None
    check_moment(instant, "received_at")
    if instant.tzinfo is None:
        # A receipt time without a zone is Kazakhstan local time.
        instant = instant.replace(tzinfo=ZoneInfo(timezone))
    return instant


def _regime(regime: Regime, register: Path | None) -> Regime:
    """The regime in force, made stricter by the ``regime_overrides`` of ``register``."""
    if register is None:
        return regime
    from derbes.register.adapters.yaml import load_register

    return deadlines.regime_in_force(regime, load_register(register).register.regime_overrides)


@app.command("deadline")
def deadline_command(
    deadline: str = typer.Argument(..., help="Deadline id, e.g. access, blocking, pretrial_claim."),
    received_at: str = typer.Argument(
        ..., help="When it was received: ISO 8601; without a zone it is Asia/Almaty time."
    ),
    register: Path | None = typer.Option(
        None, "--register", "-r", help="A processing register whose regime_overrides apply."
    ),
    output: Format = _FORMAT_OPTION,
    lang: str | None = typer.Option(None, "--lang", help=_LANG_HELP),
) -> None:
    """Print the due date of a deadline and the rule that gives it."""
    rules = bootstrap().rules
    regime = _regime(rules.regime, register)
    entry = regime[deadline]
    instant = _parse_instant(received_at, regime.counting.timezone)
    result = deadlines.due_by(regime, deadline, instant, rules.calendars)
    if output is Format.JSON:
        _dump(due_as_dict(deadline, result, entry.check))
        return
    language = _lang(lang)
    weekday = _WEEKDAYS[language][result.due.weekday()]
    console.print(
        f"[bold]{entry.labels.get(language)}[/] ({deadline})", highlight=False
    )
    console.print(f"due: [bold]{result.due.isoformat()}[/] {weekday}", highlight=False)
    console.print(f"term: {describe_term(result.term, language)}", highlight=False)
    console.print(result.explanation.get(language), highlight=False, markup=False)
    for citation in result.citations:
        console.print(f"  citation: {citation}", highlight=False, markup=False)
    if entry.default is not None:
        console.print(
            f"  register override of the default {entry.default.term} ({entry.default.citation})",
            highlight=False,
            markup=False,
        )
    if entry.check:
        what = "the default term" if entry.default is not None else "this term"
        console.print(f"  [yellow]check[/]: {what} could not be confirmed from the law's text")


def due_as_dict(deadline: str, result: DueDate, check: bool) -> dict[str, Any]:
    return {
        "deadline": deadline,
        "due": result.due.isoformat(),
        "ends_at": result.ends_at.isoformat(),
        "received_at": result.received_at.isoformat(),
        "received_on": result.received_on.isoformat(),
        "timezone": result.timezone,
        "term": str(result.term),
        "rule": result.rule.value,
        "unmoved_end": None if result.unmoved_end is None else result.unmoved_end.isoformat(),
        "citations": list(result.citations),
        "check": check,
        "explanation": result.explanation.as_dict(),
    }


# --- derbes regime show [REGISTER] ----------------------------------------------


@regime_app.command("show")
def regime_show(
    register: Path | None = typer.Argument(
        None, help="A processing register whose regime_overrides apply."
    ),
    output: Format = _FORMAT_OPTION,
    lang: str | None = typer.Option(None, "--lang", help=_LANG_HELP),
) -> None:
    """Print the regime table: each deadline with its term and citation."""
    regime = _regime(bootstrap().rules.regime, register)
    if output is Format.JSON:
        _dump(regime_as_dict(regime))
        return
    _print_regime(regime, _lang(lang))


def _print_regime(regime: Regime, lang: Lang) -> None:
    table = Table(title="Deadlines", show_lines=True)
    for column in ("id", "deadline", "term", "from", "citation", "note"):
        table.add_column(column, overflow="fold")
    for d in regime:
        term = Text(describe_term(d.term, lang))
        if d.default is not None:
            term.append(f"\n(default {describe_term(d.default.term, lang)})", style="dim")
        citation = Text(d.citation)
        if d.check:
            citation.append(" [check]", style="yellow")
        table.add_row(d.id, d.labels.get(lang), term, d.trigger, citation, d.note)
    console.print(table)
    rules = Table(title="Rules", show_lines=True)
    for column in ("id", "rule", "value", "citation"):
        rules.add_column(column, overflow="fold")
    for r in regime.rules.values():
        citation = Text(r.citation)
        if r.check:
            citation.append(" [check]", style="yellow")
        rules.add_row(r.id, r.labels.get(lang), describe_term(r.value, lang), citation)
    console.print(rules)
    c = regime.counting
    console.print(
        f"Counting: receipt day in {c.timezone}; {c.start_next_day.citation}; "
        f"{c.end_on_non_working_day.citation}; working days: {c.working_days.citation}",
        highlight=False,
        markup=False,
    )

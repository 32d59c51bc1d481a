"""The progress bar of a long scan (rich, on stderr)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from derbes.scanner.ports import Unit


class RichProgress:
    """Units done out of the total, and the unit being read with its volume so far."""

    def __init__(self, console: Console | None = None) -> None:
        self._bar = Progress(
            TextColumn("[bold]scan"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[current]}", markup=False),
            TextColumn("{task.fields[volume]}"), TimeElapsedColumn(),
            console=console or Console(stderr=True), transient=False,
        )
        self._task: TaskID | None = None
        self._volume = 0
        self._table = False
        self._started = False

    def begin(self, total: int) -> None:
        self._bar.start()
        self._task = self._bar.add_task("scan", total=total, current="", volume="")

    def unit(self, unit: Unit) -> None:
        if self._task is None:
            return
        if self._started:
            self._bar.advance(self._task)
        self._started = True
        self._volume, self._table = 0, unit.kind == "table"
        name = unit.name if len(unit.name) <= 40 else "…" + unit.name[-39:]
        self._bar.update(self._task, current=name, volume="")

    def advance(self, size: int) -> None:
        if self._task is None:
            return
        self._volume += size
        volume = (f"{self._volume:,} rows" if self._table
                  else f"{self._volume / 1e6:,.1f} MB")
        self._bar.update(self._task, volume=volume)

    def end(self) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=self._bar.tasks[0].total, current="")
        self._bar.stop()

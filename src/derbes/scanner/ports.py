"""What the scan use case needs from the outside world.

A :class:`Source` lists its :class:`Unit` objects (a table of a database, a file) and
reads each in :class:`Batch` objects (a chunk of rows, by column; a chunk of lines).
A unit is what a scan resumes by: the :class:`Checkpoint` remembers the tallies of
every unit done. A :class:`NameModel` (a NER model) confirms names the dictionaries
are unsure of. :class:`Progress` is told how far the scan is.

Anything that cannot be read raises :class:`derbes.errors.SourceSkipped` with its
reason; the use case records it and goes on.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from derbes.errors import SourceSkipped
from derbes.scanner.model.findings import Location, SourceKind, Tally

# The column key of plain text, where the values are lines.
TEXT = ""


@dataclass(frozen=True)
class Unit:
    """A part of a source scanned (and resumed) as a whole.

    ``key`` is stable across runs (the file's path, size and modification time; the
    database and table) so that a resumed scan skips what it has done.
    """

    key: str
    source: str
    name: str  # table name or file path, for progress and reports
    kind: str  # "table", "csv", "jsonl", "parquet", "text"
    size: int  # bytes (files) or rows (tables), for the progress bar; 0 if unknown

    def location(self, column: str) -> Location:
        kind = SourceKind.DATABASE if self.kind == "table" else SourceKind.FILE
        table = self.name if self.kind == "table" else self.kind
        source = self.source if self.kind == "table" else self.name
        return Location(source=source, kind=kind, table=table, column=column or None)


@dataclass(frozen=True)
class Batch:
    """Values read from a unit: column name -> values (``TEXT`` for the lines of a text).

    ``first`` is the 1-based row or line number of the first value; ``lines`` gives the
    line number of every value when they are not consecutive (pieces of one very long
    line share its number). ``size`` is the bytes (or rows) this batch advances.
    """

    columns: Mapping[str, Sequence[str]]
    first: int
    size: int
    lines: Sequence[int] | None = None


class Source(Protocol):
    @property
    def name(self) -> str:
        """What the reports call this source (a path, a database without its password)."""
        ...

    def units(self) -> Iterator[Unit]:
        """The units to scan. Raises SourceSkipped when the source cannot be opened."""
        ...

    def read(self, unit: Unit) -> Iterator[Batch]:
        """The unit's values. Raises SourceSkipped when the unit cannot be read."""
        ...

    def close(self) -> None: ...


Outcome = list[Tally] | SourceSkipped


class Engine(Protocol):
    """Runs the recognisers over units of sources.

    Yields every unit given with its tallies, or the SourceSkipped that stopped it, as
    each is done (in any order): the caller saves each in the checkpoint at once.
    """

    def scan_units(self, work: Sequence[tuple[Source, Unit]],
                   progress: Progress | None) -> Iterator[tuple[Unit, Outcome]]: ...

    def close(self) -> None:
        """Release what the engine holds (worker processes, a Spark session)."""
        ...


class NameModel(Protocol):
    def persons(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        """For each text, the (start, end) of every person's name the model sees."""
        ...


class Checkpoint(Protocol):
    def done(self, key: str) -> list[Tally] | None:
        """The tallies of a unit scanned by an earlier run, or None."""
        ...

    def save(self, key: str, tallies: Sequence[Tally]) -> None: ...

    def skipped(self, key: str) -> str | None:
        """The reason a unit was skipped by an earlier run, or None."""
        ...

    def save_skipped(self, key: str, reason: str) -> None: ...


class Progress(Protocol):
    def begin(self, total: int) -> None:
        """``total`` units to scan (their sizes come with :meth:`unit`)."""
        ...

    def unit(self, unit: Unit) -> None: ...

    def advance(self, size: int) -> None: ...

    def end(self) -> None: ...

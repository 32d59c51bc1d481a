"""Worker processes: files scanned in parallel, one unit per task (``--workers N``).

Databases are read in this process (one connection, read-only); files go to a pool of
processes, each running the same recognisers as the in-process engine. Near-linear on
many files; one huge file still runs on one core.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from derbes.errors import SourceSkipped
from derbes.scanner.adapters.files import FileSource
from derbes.scanner.model.findings import Tally
from derbes.scanner.model.scan import ScanOptions
from derbes.scanner.ports import NameModel, Outcome, Progress, Source, Unit
from derbes.scanner.service import InProcess


def _scan_file(options: ScanOptions, source: FileSource, unit: Unit) -> list[Tally]:
    return InProcess(options).scan_unit(source, unit, None)


class Workers:
    def __init__(self, options: ScanOptions, workers: int, names: NameModel | None = None):
        self._options = options
        self._workers = workers
        self._local = InProcess(options, names)

    def scan_units(self, work: Sequence[tuple[Source, Unit]],
                   progress: Progress | None) -> Iterator[tuple[Unit, Outcome]]:
        files = [(s, u) for s, u in work if isinstance(s, FileSource)]
        others = [(s, u) for s, u in work if not isinstance(s, FileSource)]
        yield from self._local.scan_units(others, progress)
        if not files:
            return
        with ProcessPoolExecutor(max_workers=self._workers) as pool:
            pending: dict[Future[list[Tally]], Unit] = {
                pool.submit(_scan_file, self._options, s, u): u for s, u in files
            }
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    unit = pending.pop(future)
                    if progress is not None:
                        progress.unit(unit)
                        progress.advance(unit.size)
                    try:
                        yield unit, future.result()
                    except SourceSkipped as exc:
                        yield unit, exc

    def close(self) -> None:
        return None

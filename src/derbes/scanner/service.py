"""Use cases of the PD scanner: scan sources, judge what was found against the register.

``scan`` walks the units of every source, runs an :class:`~derbes.scanner.ports.Engine`
on each (in this process by default; Spark or worker processes from the adapters),
keeps going past anything unreadable (reported with its reason), saves each unit's
tallies in the checkpoint so an interrupted scan resumes where it stopped, and
finally judges the tallies against the register and its dataset mappings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from derbes.errors import SourceSkipped
from derbes.platform.clock import KZ_ZONE, Clock
from derbes.scanner.model.entities import Entity
from derbes.scanner.model.findings import Finding, Mappings, Tally, judge
from derbes.scanner.model.matches import Match, Reason
from derbes.scanner.model.scan import ScanOptions, scan_many
from derbes.scanner.ports import (
    TEXT,
    Batch,
    Checkpoint,
    Engine,
    NameModel,
    Outcome,
    Progress,
    Source,
    Unit,
)

# Texts sent to the NER model per batch at most: it is ~1,000 times slower than the
# dictionaries, so it only looks at names they are unsure of.
NER_BUDGET = 64
NER_CONFIDENCE = 0.8


def today_in_kazakhstan(clock: Clock) -> date:
    return clock.now().astimezone(KZ_ZONE).date()


@dataclass(frozen=True)
class Skipped:
    where: str
    reason: str


@dataclass(frozen=True)
class ScanReport:
    operator: str
    sources: tuple[str, ...]
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    units: int
    resumed: int
    size: int  # bytes of files and rows of tables read by this run
    started: datetime
    finished: datetime
    seconds: float = 0.0

    @property
    def undeclared(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.status.undeclared)

    def failed(self, fail_on: str | None) -> bool:
        """True when findings of the ``--fail-on`` kind were found."""
        if fail_on is None:
            return False
        if fail_on == "undeclared":
            return bool(self.undeclared)
        return any(f.status.value == fail_on for f in self.findings)


def _confirm_names(texts: Sequence[str], found: list[tuple[int, Match]], model: NameModel,
                   options: ScanOptions) -> list[tuple[int, Match]]:
    """Weak names the NER model also sees become findings; the other weak ones go."""
    weak = [i for i, (_, m) in enumerate(found)
            if m.entity is Entity.PERSON_NAME and m.confidence < options.min_confidence]
    if not weak:
        return found
    asked = sorted({found[i][0] for i in weak})[:NER_BUDGET]
    spans = dict(zip(asked, model.persons([texts[i] for i in asked]), strict=True))
    drop: set[int] = set()
    for i in weak:
        index, match = found[i]
        if any(s < match.end and match.start < e for s, e in spans.get(index, ())):
            found[i] = (index, replace(match, confidence=NER_CONFIDENCE,
                                       reasons=(*match.reasons, Reason.NER)))
        else:
            drop.add(i)
    return [pair for i, pair in enumerate(found) if i not in drop]


def scan_batch(unit: Unit, batch: Batch, options: ScanOptions, tallies: dict[str, Tally],
               names: NameModel | None = None) -> None:
    """Run the recognisers over one batch and add what they find to ``tallies``."""
    for column, values in batch.columns.items():
        tally = tallies.get(column)
        if tally is None:
            tally = tallies[column] = Tally(unit.location(column))
        found = scan_many(values, options, "" if column == TEXT else column)
        if options.keep_weak_names:
            found = (_confirm_names(values, found, names, options) if names is not None
                     else [p for p in found if p[1].confidence >= options.min_confidence])
        scanned = sum(1 for v in values if v)
        if batch.lines is not None:
            tally.add(((batch.lines[i] - 1, m) for i, m in found), scanned)
        else:
            tally.add(found, scanned, batch.first - 1)


@dataclass
class InProcess:
    """The default engine: read each unit's batches here and scan them in this process."""

    options: ScanOptions
    names: NameModel | None = None

    def scan_unit(self, source: Source, unit: Unit, progress: Progress | None) -> list[Tally]:
        tallies: dict[str, Tally] = {}
        for batch in source.read(unit):
            scan_batch(unit, batch, self.options, tallies, self.names)
            if progress is not None:
                progress.advance(batch.size)
        return list(tallies.values())

    def scan_units(self, work: Sequence[tuple[Source, Unit]],
                   progress: Progress | None) -> Iterator[tuple[Unit, Outcome]]:
        for source, unit in work:
            if progress is not None:
                progress.unit(unit)
            try:
                yield unit, self.scan_unit(source, unit, progress)
            except SourceSkipped as exc:
                yield unit, exc

    def close(self) -> None:
        return None


@dataclass
class _Run:
    checkpoint: Checkpoint | None
    tallies: list[Tally] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    units: int = 0
    resumed: int = 0
    size: int = 0

    def resumed_unit(self, unit: Unit) -> bool:
        if self.checkpoint is None:
            return False
        done = self.checkpoint.done(unit.key)
        if done is not None:
            self.tallies.extend(done)
            self.resumed += 1
            return True
        reason = self.checkpoint.skipped(unit.key)
        if reason is not None:
            self.skipped.append(Skipped(unit.name, reason))
            self.resumed += 1
            return True
        return False

    def record(self, unit: Unit, outcome: Outcome) -> None:
        if isinstance(outcome, SourceSkipped):
            self.skipped.append(Skipped(outcome.where, outcome.reason))
            if self.checkpoint is not None:
                self.checkpoint.save_skipped(unit.key, outcome.reason)
            return
        self.tallies.extend(outcome)
        self.size += unit.size
        if self.checkpoint is not None:
            self.checkpoint.save(unit.key, outcome)


def _units(sources: Iterable[Source], run: _Run) -> list[tuple[Source, Unit]]:
    listed: list[tuple[Source, Unit]] = []
    for source in sources:
        try:
            listed.extend((source, unit) for unit in source.units())
        except SourceSkipped as exc:
            run.skipped.append(Skipped(exc.where, exc.reason))
    return listed


def scan(
    sources: Sequence[Source],
    mappings: Mappings,
    *,
    engine: Engine,
    clock: Clock,
    checkpoint: Checkpoint | None = None,
    progress: Progress | None = None,
) -> ScanReport:
    """Scan every unit of every source and judge the findings against ``mappings``.

    Sources are closed at the end. A unit that cannot be read is in ``skipped`` with
    its reason; every other unit is scanned whatever happened to the others. With a
    checkpoint, units an earlier run finished are taken from it, not read again.
    """
    started = clock.now()
    run = _Run(checkpoint)
    try:
        listed = _units(sources, run)
        run.units = len(listed)
        work = [(s, u) for s, u in listed if not run.resumed_unit(u)]
        if progress is not None:
            progress.begin(len(work))
        for unit, outcome in engine.scan_units(work, progress):
            run.record(unit, outcome)
    finally:
        for source in sources:
            source.close()
        if progress is not None:
            progress.end()
    finished = clock.now()
    return ScanReport(
        operator=mappings.register.operator.id,
        sources=tuple(s.name for s in sources),
        findings=tuple(judge(run.tallies, mappings)),
        skipped=tuple(run.skipped),
        units=run.units,
        resumed=run.resumed,
        size=run.size,
        started=started,
        finished=finished,
        seconds=round((finished - started).total_seconds(), 3),
    )


def merge(tallies: Iterable[Tally]) -> list[Tally]:
    """Tallies of the same place (from several workers) added together."""
    out: dict[object, Tally] = {}
    for tally in tallies:
        kept = out.get(tally.location)
        if kept is None:
            out[tally.location] = tally
            continue
        kept.scanned += tally.scanned
        for entity, found in tally.entities.items():
            mine = kept.entities.get(entity)
            if mine is None:
                kept.entities[entity] = found
                continue
            mine.values += found.values
            mine.matches += found.matches
            mine.confidence = max(mine.confidence, found.confidence)
            mine.reasons |= found.reasons
            mine.examples = (mine.examples + [e for e in found.examples
                                              if e not in mine.examples])[:3]
            if found.first_unit is not None:
                mine.first_unit = min(mine.first_unit or found.first_unit, found.first_unit)
    return list(out.values())


def counts(findings: Iterable[Finding]) -> Mapping[str, int]:
    """Findings per status (the summary line and the chart)."""
    out: dict[str, int] = {}
    for finding in findings:
        out[finding.status.value] = out.get(finding.status.value, 0) + 1
    return out

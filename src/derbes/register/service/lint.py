"""Lint register files: load each one, run the rules, locate every finding.

A register that does not load is not an exception here but a report: each of
the loader's problems becomes a finding (its own code, such as DRB003, or
DRB000 "does not load"), so linting many files reports them all at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from derbes.deadlines.model.regime import Regime
from derbes.errors import Problem, RegisterError
from derbes.register.model.lint import LOAD_FAILURE, Finding, Severity, finding, lint
from derbes.register.model.loaded import LoadedRegister
from derbes.register.ports import RegisterReader


@dataclass(frozen=True)
class LocatedFinding:
    """A finding with the line of its path in the register file (1-based)."""

    finding: Finding
    line: int | None


@dataclass(frozen=True)
class FileReport:
    file: str
    operator_id: str | None  # None when the register does not load
    findings: tuple[LocatedFinding, ...]

    @property
    def loaded(self) -> bool:
        return self.operator_id is not None

    def count(self, severity: Severity) -> int:
        """Unwaived findings of ``severity``."""
        return sum(
            1 for f in self.findings if not f.finding.waived and f.finding.severity is severity
        )

    @property
    def errors(self) -> int:
        return self.count(Severity.ERROR)

    @property
    def warnings(self) -> int:
        return self.count(Severity.WARNING)

    @property
    def waived(self) -> int:
        return sum(1 for f in self.findings if f.finding.waived)

    def failed(self, *, strict: bool = False) -> bool:
        """An unwaived error; with ``strict`` an unwaived warning too."""
        return self.errors > 0 or (strict and self.warnings > 0)


def _problem_finding(problem: Problem) -> LocatedFinding:
    code = problem.code or LOAD_FAILURE
    found = finding(code, problem.path, problem.message)
    if found.severity is not Severity.ERROR:  # a register that does not load fails
        found = Finding(code, Severity.ERROR, found.path, found.message, found.citation)
    return LocatedFinding(found, problem.line)


def _not_loaded(file: str, exc: RegisterError) -> FileReport:
    return FileReport(
        file=file,
        operator_id=None,
        findings=tuple(_problem_finding(p) for p in exc.problems),
    )


def lint_loaded(loaded: LoadedRegister, regime: Regime | None) -> FileReport:
    """Lint a register that loaded; lines come from its source."""
    findings = lint(loaded.register, regime)
    # A path that is absent (a missing top-level section) points at the top.
    top = loaded.lines.get("")
    located = [LocatedFinding(f, loaded.line_of(f.path) or top) for f in findings]
    return FileReport(
        file=loaded.file,
        operator_id=loaded.register.operator.id,
        findings=tuple(located),
    )


def lint_text(text: str, file: str, regime: Regime, reader: RegisterReader) -> FileReport:
    """Lint register text (no file system) against the regime in force (``Rules.regime``)."""
    try:
        loaded = reader.parse(text, file)
    except RegisterError as exc:
        return _not_loaded(file, exc)
    return lint_loaded(loaded, regime)


def lint_files(paths: Iterable[str | Path], regime: Regime,
               reader: RegisterReader) -> list[FileReport]:
    """One report per file, in the order given, against the regime in force."""
    table = regime
    reports: list[FileReport] = []
    for path in paths:
        try:
            loaded = reader.load(path)
        except RegisterError as exc:
            reports.append(_not_loaded(str(path), exc))
            continue
        reports.append(lint_loaded(loaded, table))
    return reports

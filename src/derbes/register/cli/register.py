"""``derbes register …``: schema, validate, lint, diff of processing registers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from derbes.cli.app import command_group
from derbes.cli.common import Format, bootstrap, lazy
from derbes.errors import InputError

if TYPE_CHECKING:
    from derbes.register.model.fines import FineTable
    from derbes.register.service import policy_change
    from derbes.register.service.lint import FileReport, LocatedFinding
else:
    policy_change = lazy("derbes.register.service.policy_change")

register_app = command_group("register", "Processing registers: schema, validation, lint, diff.")
console = Console(soft_wrap=True)


@register_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of register files (point your editor at it)."""
    from derbes.register.adapters.schema import register_schema
    typer.echo(json.dumps(register_schema(), ensure_ascii=False, indent=2))


@register_app.command("validate")
def validate(files: list[Path] = typer.Argument(..., help="Register YAML files.")) -> None:
    """Load each register and report structural and reference errors."""
    from derbes.register.adapters.yaml import load_register
    for file in files:
        loaded = load_register(file)
        r = loaded.register
        console.print(
            f"[green]ok[/] {file}: {r.operator.id} policy {r.policy.version_id}, "
            f"{len(r.purposes)} purposes, {len(r.recipients)} recipients, "
            f"{len(r.cookies)} cookies",
            highlight=False,
        )


def _lint_line(report: FileReport, item: LocatedFinding, *, strict: bool,
               fines: tuple[FineTable, int]) -> str | None:
    found = item.finding
    if found.waived_by is not None and not strict:
        return None
    where = report.file if item.line is None else f"{report.file}:{item.line}"
    path = f" {found.path}" if found.path else ""
    text = f"{where}: {found.code} {found.severity.value}{path}: {found.message}"
    if found.citation:
        text += f" [{found.citation}]"
    risk = fines[0].risk(found.offence, fines[1])
    if risk is not None and not found.waived:
        text += f" risk: {risk.describe()}"
    if found.waived_by is not None:
        text += f" waived (clause {found.waived_by.clause}: {found.waived_by.reason})"
    return text


def _lint_summary(report: FileReport) -> str:
    def plural(n: int, word: str) -> str:
        return f"{n} {word}" + ("" if n == 1 else "s")

    who = report.operator_id or "does not load"
    return (
        f"{report.file}: {who}: {plural(report.errors, 'error')}, "
        f"{plural(report.warnings, 'warning')}, {report.waived} waived"
    )


def _lint_json(report: FileReport, fines: tuple[FineTable, int]) -> dict[str, Any]:
    def one(item: LocatedFinding) -> dict[str, Any]:
        found, waiver = item.finding, item.finding.waived_by
        risk = fines[0].risk(found.offence, fines[1])
        return {
            "risk": None if risk is None else {
                "offence": risk.offence.id, "citation": risk.offence.citation,
                "mci": dict(risk.offence.mci), "year": risk.year, "mci_tenge": risk.mci_value,
                "tenge": {size: risk.tenge(size) for size in risk.offence.mci},
            },
            "code": found.code,
            "severity": found.severity.value,
            "path": found.path,
            "line": item.line,
            "message": found.message,
            "citation": found.citation,
            "waived": waiver is not None,
            "waiver": None
            if waiver is None
            else {"path": waiver.path, "clause": waiver.clause, "reason": waiver.reason},
        }

    return {
        "file": report.file,
        "operator": report.operator_id,
        "loaded": report.loaded,
        "errors": report.errors,
        "warnings": report.warnings,
        "waived": report.waived,
        "findings": [one(item) for item in report.findings],
    }


@register_app.command("lint")
def lint(
    files: list[Path] = typer.Argument(..., help="Register YAML files."),
    output: Format = typer.Option(
        Format.TEXT, "--format", help="text (one line per finding) or json."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Warnings fail too; show waived findings."
    ),
) -> None:
    """Check registers against Law 94-V rules (codes DRB001…DRB031, DRB099).

    A finding an administrative fine relates to shows the risk (Code of
    Administrative Offences Art. 79) in MCI and tenge. Exit 1 when a file has an
    unwaived error (with --strict: or warning).
    """
    from derbes.register.adapters.fines_yaml import load_fines
    from derbes.register.service.lint import lint_files
    container = bootstrap()
    reports = lint_files(files, container.rules.regime, container.register_reader)
    fines = (load_fines(), container.clock.now().year)
    if output is Format.JSON:
        typer.echo(json.dumps([_lint_json(r, fines) for r in reports], ensure_ascii=False,
                              indent=2))
    else:
        for report in reports:
            for item in sorted(report.findings, key=lambda f: f.line or 0):
                line = _lint_line(report, item, strict=strict, fines=fines)
                if line is not None:
                    typer.echo(line)
            typer.echo(_lint_summary(report))
    if any(report.failed(strict=strict) for report in reports):
        raise typer.Exit(1)


@register_app.command("diff")
def diff(
    old: Path = typer.Argument(..., help="The register version in force (YAML)."),
    new: Path = typer.Argument(..., help="The new register version (YAML)."),
    output: Format = typer.Option(
        Format.TEXT, "--format", help="text (one line per change) or json."
    ),
) -> None:
    """Classify the changes from OLD to NEW: widens, narrows or neutral, and why.

    Widening changes name the consent scopes to ask again (silence is not
    consent, Law 94-V Art. 8). Exit 0 whatever changed; 1 if a file does not load.
    """
    result = policy_change.diff_files(old, new, bootstrap().register_reader)
    if output is Format.JSON:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    for change in result.diff.changes:
        line = result.line_of(change)
        where = result.file_of(change) + ("" if line is None else f":{line}")
        text = f"{where}: {change.effect.value} {change.kind.value} {change.path}: "
        text += change.explanation
        if change.before is not None or change.after is not None:
            text += f" ({change.before or '-'} -> {change.after or '-'})"
        if change.citation:
            text += f" [{change.citation}]"
        typer.echo(text)
        for scope in change.reconsent:
            typer.echo(f"    re-consent: {scope.describe()}")
    typer.echo(f"{result.new.register.operator.id} {result.diff.old_version} -> "
               f"{result.diff.new_version}: {result.diff.summary()}")


@register_app.command("publish")
def publish(files: list[Path] = typer.Argument(..., help="Register YAML files.")) -> None:
    """Put register versions in force; a widening version asks the consents it touches again."""
    from derbes.register.adapters.yaml import load_register
    container = bootstrap()
    loaded = [load_register(file) for file in files]  # all must load before any is stored
    for item in loaded:
        change = policy_change.publish_with_diff(container.uow(), item, container.clock)
        stored = change.published.stored
        state = "published" if change.published.new else "already in force"
        console.print(f"{item.file}: {stored.operator_id} policy {stored.policy_version} "
                      f"{state} (sha256 {stored.sha256[:12]})", highlight=False)
        if change.diff is not None:
            console.print(f"  {change.diff.summary()}", highlight=False)
            console.print(f"  consents now needing re-consent: {change.marked}", highlight=False)


@register_app.command("upgrade")
def upgrade(
    files: list[Path] = typer.Argument(..., help="Register YAML files of schema version 1."),
    write: bool = typer.Option(
        False, "--write", "-w", help="Rewrite the files in place (default: print to stdout)."
    ),
) -> None:
    """Upgrade registers to the current schema, keeping comments and layout.

    Schema 1 read silence as facts (no minors block: "not processed"; no sources:
    "from the subject"); the upgrade writes none of those guesses and lists each
    place that now reads as "not stated in the policy".
    """
    from derbes.register.adapters.upgrade import upgrade_text
    results = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read {file}: {exc.strerror or exc}", field="file") from exc
        results.append((file, upgrade_text(text, str(file))))
    for file, result in results:  # every file upgraded before any is written
        if not result.changed:
            console.print(f"{file}: already at the current schema", highlight=False)
        elif write:
            file.write_text(result.text, encoding="utf-8")
            console.print(f"{file}: upgraded", highlight=False)
        else:
            typer.echo(result.text, nl=False)
        for note in result.notes:
            typer.echo(f"{file}: {note}", err=True)

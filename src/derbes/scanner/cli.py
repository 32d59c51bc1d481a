"""``derbes scan``: find personal data in databases, files and directories, and judge it
against the processing register and its dataset mappings.

    derbes scan env:KREDIT_SEVEN_CORE_URL var/logs/ --register registers/kredit-seven.yaml \\
        --html var/scan.html --sarif var/scan.sarif --fail-on undeclared

A SOURCE is a directory, a file, a database URL, or ``env:NAME`` for a URL kept in the
environment variable NAME (a URL on the command line, password included, is visible to
every user of the machine). Exit 0, or 1 when ``--fail-on`` finds what it names.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

import typer

from derbes.cli.app import app
from derbes.cli.common import console, notes
from derbes.errors import InputError
from derbes.platform.labels import Lang
from derbes.scanner.model.entities import Entity
from derbes.scanner.model.scan import DEFAULT_MIN_CONFIDENCE
from derbes.scanner.ports import Source


class EngineName(StrEnum):
    DUCKDB = "duckdb"
    SPARK = "spark"


class FailOn(StrEnum):
    UNDECLARED = "undeclared"
    MISPLACED = "misplaced"


def _source(text: str, sample: int | None, threads: int) -> Source:
    from derbes.scanner.adapters.files import FileSource
    from derbes.scanner.adapters.sql import SqlSource

    if text.startswith("env:"):
        name = text[4:]
        url = os.environ.get(name)
        if not url:
            raise InputError(f"environment variable {name} is not set", field="source")
        return SqlSource(url, sample=sample)
    if "://" in text:
        return SqlSource(text, sample=sample)
    return FileSource([Path(text)], threads=threads)


def _write(path: Path, body: str) -> None:
    if str(path) == "-":
        typer.echo(body)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    notes.print(f"written: {path}")


SOURCES = typer.Argument(..., help="Directories, files, database URLs or env:VARIABLE.")
REGISTER = typer.Option(..., "--register", help="The operator's register (YAML).")
DATASETS = typer.Option(None, "--dataset", help="Dataset mapping (repeatable); default: "
                        "datasets/*.yaml of the register's operator beside the register.")


@app.command("scan")
def scan_command(
    sources: list[str] = SOURCES,
    register_file: Path = REGISTER,
    datasets: list[Path] | None = DATASETS,
    html: Path | None = typer.Option(None, "--html", help="Write the HTML report here."),
    sarif: Path | None = typer.Option(None, "--sarif", help="Write SARIF here ('-': stdout)."),
    json_out: Path | None = typer.Option(None, "--json", help="Write JSON here ('-': stdout)."),
    fail_on: FailOn | None = typer.Option(
        None, "--fail-on", help="Exit 1 on undeclared PD (misplaced PD included) or on "
        "misplaced PD only."),
    sample: int = typer.Option(10_000, "--sample", min=1, help="Rows read per table."),
    full: bool = typer.Option(False, "--full", help="Read every row of every table."),
    engine: EngineName = typer.Option(EngineName.DUCKDB, "--engine",
                                      help="duckdb (this machine) or spark."),
    workers: int = typer.Option(1, "--workers", min=1, max=64,
                                help="Processes scanning files in parallel."),
    threads: int = typer.Option(1, "--threads", min=1, max=64, help="DuckDB threads."),
    state: Path | None = typer.Option(None, "--state", help="Resume file: a scan run "
                                      "again with it skips the parts already done."),
    min_confidence: float = typer.Option(DEFAULT_MIN_CONFIDENCE, "--min-confidence",
                                         min=0.0, max=1.0),
    ner: bool = typer.Option(True, "--ner/--no-ner", help="Let the Russian NER model "
                             "(natasha) confirm names the dictionaries are unsure of."),
    lang: Lang = typer.Option(Lang.EN, "--lang", help="Language of the reports."),
    quiet: bool = typer.Option(False, "--quiet", help="No table and no progress bar."),
) -> None:
    """Find personal data and report it against the register (declared, undeclared,
    misplaced), as a table, HTML, JSON or SARIF."""
    from derbes.bootstrap import bootstrap
    from derbes.scanner import service
    from derbes.scanner.adapters.checkpoint import FileCheckpoint
    from derbes.scanner.adapters.engines import make_engine
    from derbes.scanner.adapters.mappings import load_mappings_located
    from derbes.scanner.adapters.progress import RichProgress
    from derbes.scanner.adapters.reports.html import render_html
    from derbes.scanner.adapters.reports.json_report import render_json
    from derbes.scanner.adapters.reports.sarif import render_sarif
    from derbes.scanner.adapters.reports.terminal import print_report
    from derbes.scanner.model.scan import ScanOptions

    container = bootstrap()
    mappings, tables = load_mappings_located(register_file, datasets or None)
    options = ScanOptions(today=service.today_in_kazakhstan(container.clock),
                          min_confidence=min_confidence, entities=frozenset(Entity),
                          keep_weak_names=ner)
    scanner = make_engine(engine.value, options, workers=workers, ner=ner)
    try:
        report = service.scan(
            [_source(s, None if full else sample, threads) for s in sources], mappings,
            engine=scanner, clock=container.clock,
            checkpoint=FileCheckpoint(state) if state else None,
            progress=None if quiet else RichProgress(notes),
        )
    finally:
        scanner.close()
    if not quiet and str(json_out) != "-" and str(sarif) != "-":
        print_report(report, console, lang)
    if html is not None:
        _write(html, render_html(report, lang))
    if sarif is not None:
        _write(sarif, render_sarif(report, str(register_file), Path.cwd(), tables))
    if json_out is not None:
        _write(json_out, render_json(report, lang))
    if report.failed(fail_on.value if fail_on else None):
        raise typer.Exit(1)

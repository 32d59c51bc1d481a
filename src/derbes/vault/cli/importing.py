"""``derbes subject import``: a file of subjects into the vault, in batches, in parallel.

The file is cut into numbered batches of ``--batch`` records. Each batch is checked,
its good subjects stored with a mark of the import in one transaction
(``vault/service/importing.py``), its rejects written beside the file first. With
``--workers N`` the batches go to N processes, each with its own database
connections (SQLite serialises their writes; PostgreSQL takes them side by side).
The processes are forked, so they start without loading derbes again.

Killed at any moment (even ``kill -9``), the same command resumes: the import's
id is a digest of the file and the options, the stored batches are skipped, the
others run again. The rejects file lists, per rejected record, its line in the
input, the field at fault and the reason — never the value.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from derbes.bootstrap import Container
from derbes.cli.common import actor, bootstrap, notes, request_id
from derbes.context import Context, OperatorScope
from derbes.errors import InputError
from derbes.platform.files import write_private
from derbes.register.model.register import Register
from derbes.register.service import registers
from derbes.vault.adapters.import_files import ID_PREFIX, Record, digest_and_count, records
from derbes.vault.model import NewValue, Provenance, Source
from derbes.vault.service import importing
from derbes.vault.service.ingest import NewSubject

__all__ = ["ImportJob", "ImportOptions", "ImportSummary", "run_import"]


@dataclass(frozen=True)
class ImportOptions:
    """What every batch of one import shares (sent to the worker processes as is)."""

    operator: str
    source: str
    purposes: tuple[str, ...]
    method: str
    collected_at: str  # ISO 8601
    import_id: str
    parts: str  # the directory of the rejects of each batch


@dataclass
class ImportSummary:
    records: int = 0
    stored: int = 0
    rejected: int = 0
    batches_before: int = 0  # stored by an earlier run


# ------------------------------------------------------------------ one batch

@dataclass
class _Worker:
    container: Container
    register: Register


_worker: _Worker | None = None


def _start_worker(operator: str) -> None:
    """Each process: its own container, engines and connections."""
    global _worker  # one per process, made once
    container = bootstrap()
    _worker = _Worker(container, registers.in_force(container.uow(), operator).register)


def _ready() -> None:
    """Nothing: submitting it makes the pool start its processes."""


def _close_connections(container: Container) -> None:
    """Close the parent's pooled connections, so that no forked process inherits one
    (a child closing a PostgreSQL socket it inherited would end the parent's session);
    the parent opens new ones when it next needs them."""
    for value in list(vars(container).values()):
        for engine in (value, getattr(value, "engine", None)):
            if isinstance(engine, Engine):
                engine.dispose()


def _pool(container: Container, operator: str, workers: int) -> ProcessPoolExecutor:
    """``workers`` processes, forked (they start at once: the modules are loaded) before
    any thread of this process runs and with no connection open."""
    _close_connections(container)
    pool = ProcessPoolExecutor(workers, mp_context=get_context("fork"),
                               initializer=_start_worker, initargs=(operator,))
    pool.submit(_ready).result()
    return pool


def _context(worker: _Worker, operator: str) -> Context:
    return worker.container.context(actor(), request_id(), OperatorScope.only(operator))


def _subject(fields: dict[str, Any], provenance: Provenance) -> NewSubject:
    values = [NewValue(name, value, provenance) for name, value in fields.items()
              if not name.startswith(ID_PREFIX)]
    ids = {name[len(ID_PREFIX):]: value for name, value in fields.items()
           if name.startswith(ID_PREFIX)}
    return NewSubject(values, ids)


def _write_part(parts: Path, batch: int, lines: list[dict[str, Any]]) -> None:
    """The batch's rejects, whole or not at all (written, synced, then renamed)."""
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    final = parts / f"{batch:09d}.jsonl"
    temporary = parts / f"{batch:09d}.tmp"
    write_private(temporary, text.encode("utf-8"))
    with temporary.open("rb") as stream:
        os.fsync(stream.fileno())
    os.replace(temporary, final)


def run_batch(batch: int, chunk: list[Record], options: ImportOptions
              ) -> tuple[int, int, int, int, bool]:
    """Batch ``batch``: (batch, records, stored, rejected, stored before)."""
    worker = _worker
    if worker is None:
        raise RuntimeError("the import worker was not started")
    provenance = Provenance(source=Source(options.source), purposes=options.purposes,
                            method=options.method,
                            collected_at=datetime.fromisoformat(options.collected_at))
    unreadable = [{"line": r.line, "field": "record", "reason": r.problem}
                  for r in chunk if r.fields is None]
    readable = [r for r in chunk if r.fields is not None]
    subjects = [_subject(r.fields, provenance) for r in readable if r.fields is not None]

    def keep(rejects: list[importing.Rejected]) -> None:
        lines = unreadable + [{"line": readable[r.index].line, "field": r.field,
                               "reason": r.reason} for r in rejects]
        _write_part(Path(options.parts), batch, sorted(lines, key=lambda x: int(x["line"])))

    result = importing.import_batch(_context(worker, options.operator), worker.register,
                                    subjects, import_id=options.import_id, batch=batch,
                                    before_store=keep)
    rejected = len(unreadable) + len(result.rejects)
    return batch, len(chunk), len(result.stored), rejected, result.already


# ------------------------------------------------------------------ the run

def _batches(path: Path, fmt: str, size: int) -> Iterator[tuple[int, list[Record]]]:
    stream = records(path, fmt)
    number = 0
    while chunk := list(islice(stream, size)):
        yield number, chunk
        number += 1


def _assemble(parts: Path, out: Path) -> int:
    """The rejects of every batch, in the order of the file, into ``out``."""
    count = 0
    with out.open("w", encoding="utf-8") as target:
        for part in sorted(parts.glob("*.jsonl")):
            text = part.read_text("utf-8")
            count += text.count("\n")
            target.write(text)
    os.chmod(out, 0o600)
    shutil.rmtree(parts)
    return count


@dataclass(frozen=True)
class ImportJob:
    """A file to import: its format, how to cut and spread it, where rejects go."""

    path: Path
    fmt: str
    batch_size: int
    workers: int
    rejects: Path
    options: dict[str, Any]


def run_import(container: Container, register: Register, job: ImportJob) -> ImportSummary:
    """Import ``job.path``; resumes an earlier run of the same file and options."""
    path, fmt, batch_size, workers, rejects, options = (
        job.path, job.fmt, job.batch_size, job.workers, job.rejects, job.options)
    if batch_size < 1 or workers < 1:
        raise InputError("--batch and --workers must be at least 1", field="batch")
    # The same file with the same options is the same import, whatever time the run
    # started at (a resumed run's default collection time is its own).
    salt = json.dumps({"format": fmt, "batch": batch_size,
                       **{k: v for k, v in options.items() if k != "collected_at"}},
                      sort_keys=True)
    import_id, lines = digest_and_count(path, salt)
    parts = rejects.with_name(rejects.name + ".parts")
    parts.mkdir(mode=0o700, exist_ok=True)
    shared = ImportOptions(import_id=import_id, parts=str(parts), **options)
    operator = shared.operator
    ctx = container.context(actor(), request_id(), OperatorScope.only(operator))
    before = importing.imported_batches(ctx, import_id)
    summary = ImportSummary(batches_before=len(before))

    def count(result: tuple[int, int, int, int, bool]) -> None:
        summary.records += result[1]
        summary.stored += result[2]
        summary.rejected += result[3]
        progress.update(task, advance=result[1])

    pool = _pool(container, operator, workers) if workers > 1 else None
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=notes) as progress:
        task = progress.add_task(f"importing {path.name}", total=max(lines, 1))

        def todo() -> Iterator[tuple[int, list[Record]]]:
            for number, chunk in _batches(path, fmt, batch_size):
                if number in before:
                    progress.update(task, advance=len(chunk))
                else:
                    yield number, chunk

        if pool is None:
            global _worker  # the one process is the worker
            _worker = _Worker(container, register)
            for number, chunk in todo():
                count(run_batch(number, chunk, shared))
        else:
            with pool:
                running: set[Future[tuple[int, int, int, int, bool]]] = set()
                for number, chunk in todo():
                    if len(running) >= 2 * workers:
                        finished, running = wait(running, return_when=FIRST_COMPLETED)
                        for future in finished:
                            count(future.result())
                    running.add(pool.submit(run_batch, number, chunk, shared))
                for future in running:
                    count(future.result())
        progress.update(task, completed=max(lines, 1))
    _assemble(parts, rejects)
    return summary

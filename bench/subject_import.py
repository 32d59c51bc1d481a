"""Benchmark: ``derbes subject import --workers 2`` against ``--workers 1`` and a raw INSERT.

    python bench/subject_import.py --backend sqlite|postgresql|both \
        [--subjects 20000] [--batch 2000]

For each backend, one CSV of synthetic subjects (the 8 values of
``bench/vault_ingest.py``: IIN, phone, e-mail, name, birth date, address, IBAN,
employer; Kredit Seven's register). Each run gets fresh databases (data and key
store), ``derbes init`` and the register published (not timed), then the real
entry point is timed end to end — process start, reading the file, checking,
sealing, writing, the workers' start:

* ``derbes subject import FILE --workers 1``, then ``--workers 2``;
* **raw baseline**, in the same run and database: the same values in plaintext into
  a table of the same shape as ``pd_values``, one transaction per batch, executemany
  on SQLite and COPY on PostgreSQL (``bench/vault_ingest.py``'s baseline).

Printed: subjects/s of each, the ratio of 2 workers to 1, and of each to raw.
Synthetic values only; everything is removed at the end.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

import vault_ingest as vi

from derbes.platform.db import make_engine
from derbes.register.adapters.yaml import load_register

DERBES = Path(sys.executable).with_name("derbes")


@dataclass
class Figures:
    backend: str
    subjects: int
    seconds: dict[int, float]  # workers -> wall seconds of the import command
    raw_seconds: float
    rejected: int

    def rate(self, workers: int) -> float:
        return self.subjects / self.seconds[workers]

    @property
    def raw_rate(self) -> float:
        return self.subjects / self.raw_seconds


def _write_csv(path: Path, people: Sequence[vi.Person]) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(vi.CATEGORIES)
        for person in people:
            values = dict(person.values)
            writer.writerow([values[c] for c in vi.CATEGORIES])


def _derbes(args: Sequence[str], home: Path, dbs: vi.Databases
            ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    env.update(DERBES_DATABASE_URL=dbs.data_url, DERBES_KEYSTORE_URL=dbs.keystore_url)
    return subprocess.run([str(DERBES), *args], cwd=home, env=env, capture_output=True,
                          text=True, check=False)


def _import(backend: str, data: Path, workers: int, batch: int, operator: str
            ) -> tuple[float, int, float]:
    """(seconds of the import, rejected records, seconds of the raw baseline)."""
    with vi._databases(backend) as dbs, tempfile.TemporaryDirectory() as directory:
        home = Path(directory)
        for step in (["init"], ["register", "publish", str(vi.REGISTER_FILE)]):
            done = _derbes(step, home, dbs)
            if done.returncode != 0:
                raise SystemExit(f"derbes {step[0]} failed: {done.stderr.strip()[-500:]}")
        start = time.perf_counter()
        ran = _derbes(["subject", "import", str(data), "--operator", operator, "--workers",
                       str(workers), "--batch", str(batch), "--rejects",
                       str(home / "rejects.jsonl")], home, dbs)
        seconds = time.perf_counter() - start
        if ran.returncode not in (0, 1):
            raise SystemExit(f"import failed: {ran.stderr.strip()[-800:]}")
        rejected = sum(1 for _ in (home / "rejects.jsonl").open(encoding="utf-8"))
        raw = _raw(dbs, data, batch)
    return seconds, rejected, raw


def _raw(dbs: vi.Databases, data: Path, batch: int) -> float:
    engine = make_engine(dbs.data_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(vi.RAW_DDL)
        with data.open(encoding="utf-8", newline="") as stream:
            reader = csv.reader(stream)
            header = next(reader)
            rows = [(str(uuid.uuid4()), list(zip(header, record, strict=True)))
                    for record in reader]
        seconds = 0.0
        for first in range(0, len(rows), batch):
            chunk = [(sid, category, 0, value) for sid, pairs in rows[first:first + batch]
                     for category, value in pairs]
            start = time.perf_counter()
            vi._raw_insert(engine, chunk)
            seconds += time.perf_counter() - start
        return seconds
    finally:
        engine.dispose()


def run_backend(backend: str, subjects: int, batch: int, seed: int) -> Figures:
    operator = load_register(vi.REGISTER_FILE).register.operator.id
    with tempfile.TemporaryDirectory(prefix="derbes-import-") as directory:
        data = Path(directory) / "subjects.csv"
        _write_csv(data, vi.Generator(seed, set()).batch(subjects))
        seconds: dict[int, float] = {}
        raws: list[float] = []
        rejected = 0
        for workers in (1, 2):
            vi.console.print(f"{backend}: subject import --workers {workers} ({subjects:,})")
            seconds[workers], rejected, raw = _import(backend, data, workers, batch, operator)
            raws.append(raw)
    return Figures(backend, subjects, seconds, min(raws), rejected)


def report(results: Sequence[Figures]) -> None:
    table = Table(title="derbes subject import (real entry point, end to end)")
    for column in ("backend", "subjects", "raw subj/s", "1 worker subj/s", "ratio to raw",
                   "2 workers subj/s", "ratio to raw", "2 workers / 1"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(r.backend, f"{r.subjects:,}", f"{r.raw_rate:,.0f}",
                      f"{r.rate(1):,.0f}", f"{r.rate(1) / r.raw_rate:.2f}",
                      f"{r.rate(2):,.0f}", f"{r.rate(2) / r.raw_rate:.2f}",
                      f"{r.rate(2) / r.rate(1):.2f}")
    vi.console.print(table)
    vi.console.print(f"machine: {vi._machine()}; load average {os.getloadavg()[0]:.1f}")
    for r in results:
        vi.console.print(
            f"{r.backend}: {r.subjects:,} subjects: --workers 1 {r.seconds[1]:.1f} s, "
            f"--workers 2 {r.seconds[2]:.1f} s, raw INSERT {r.raw_seconds:.1f} s "
            f"(best of the two runs); rejected {r.rejected}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=94)
    args = parser.parse_args(argv)
    if args.subjects < 1 or args.batch < 1:
        parser.error("--subjects and --batch are at least 1")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    report([run_backend(b, args.subjects, args.batch, args.seed) for b in backends])
    return 0


if __name__ == "__main__":
    sys.exit(main())

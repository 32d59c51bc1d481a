"""Benchmark: write throughput of a real ``derbes serve`` under concurrent writers.

    python bench/concurrent_writes.py --backend sqlite|postgresql|both [--writes 200]

For each backend, one installation (``derbes init``, the Express Аванс register, an
admin key) and one ``derbes serve`` on 127.0.0.1 and a free port; then, in this order:

* **baseline**: ``--writes`` subject creations, then as many consent grants, sent one
  after the other by one client (no contention: the server's best case per request);
* **concurrent creations**: ``--writes`` subject creations released at once (one
  connection each);
* **concurrent grants**: ``--writes`` consent grants (one per subject just made)
  released at once;
* **mixed**: ``--writes`` grants and ``--writes`` creations released together.

Printed per backend: writes/s of each phase and its ratio to the sequential baseline of
the same kind (mixed: to the mean of both baselines), the number of answers that were
server errors (must be 0) and whether every write was stored. Both hash chains are
verified at the end (``derbes audit verify``, ``derbes ledger verify``).

Load goes only to 127.0.0.1; each phase is a fixed number of requests with a time-out.
PostgreSQL: ``DERBES_BENCH_PG_URL`` (a server where the user may create databases), else
a throwaway cluster from ``scripts/pg-throwaway`` in a private directory. Everything is
removed at the end. Synthetic values only.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import load_support as load  # noqa: E402 - the e2e test's harness

from derbes.platform.db import parse_url  # noqa: E402

console = Console(width=120)


@contextmanager
def _pg_server() -> Iterator[str]:
    given = os.environ.get("DERBES_BENCH_PG_URL")
    if given:
        yield given
        return
    directory = tempfile.mkdtemp(prefix="derbes-bench-pg-", dir="/tmp")
    env = {**os.environ, "DERBES_PG_DIR": directory}
    script = ROOT / "scripts" / "pg-throwaway"
    started = subprocess.run(["bash", str(script), "start"], env=env, capture_output=True,
                             text=True, check=False, stdin=subprocess.DEVNULL)
    if started.returncode != 0:
        raise SystemExit(f"cannot start a throwaway PostgreSQL: {started.stderr.strip()}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", str(script), "stop"], env=env, capture_output=True,
                       check=False, stdin=subprocess.DEVNULL)


@contextmanager
def _databases(backend: str, workdir: Path) -> Iterator[tuple[str, str]]:
    if backend == "sqlite":
        var = workdir / "var"
        yield f"sqlite:///{var / 'derbes.sqlite3'}", f"sqlite:///{var / 'keys.sqlite3'}"
        return
    with _pg_server() as server:
        admin = create_engine(parse_url(server), isolation_level="AUTOCOMMIT")
        suffix = secrets.token_hex(4)
        names = [f"derbes_bench_{suffix}", f"derbes_bench_keys_{suffix}"]
        try:
            with admin.connect() as c:
                for name in names:
                    c.execute(text(f"CREATE DATABASE {name}"))
            urls = [parse_url(server).set(database=n).render_as_string(hide_password=False)
                    for n in names]
            yield urls[0], urls[1]
        finally:
            with admin.connect() as c:
                for name in names:
                    c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            admin.dispose()


def _check(outcome: load.Outcome, expected: int) -> tuple[int, bool]:
    errors = outcome.server_errors + len(outcome.errors)
    return errors, outcome.count(201) == expected


def run(backend: str, writes: int) -> list[tuple[str, float, float, int, bool]]:
    rows: list[tuple[str, float, float, int, bool]] = []
    with tempfile.TemporaryDirectory() as tmp, _databases(backend, Path(tmp)) as (data, keys):
        inst = load.installation(Path(tmp), data, keys)
        inst.prepare()
        with load.live_server(inst) as base:
            seq_subjects, seq_ids = load.make_subjects(base, inst.token, range(writes),
                                                       send=load.sequential)
            seq_grants = load.sequential(base, inst.token, "POST", "/v1/consents",
                                         [load.consent_body(s, i) for i, s in enumerate(seq_ids)])
            base_create = writes / seq_subjects.seconds
            base_grant = writes / seq_grants.seconds
            rows.append(("sequential creations (baseline)", base_create, 1.0,
                         *_check(seq_subjects, writes)))
            rows.append(("sequential grants (baseline)", base_grant, 1.0,
                         *_check(seq_grants, writes)))

            made, ids = load.make_subjects(base, inst.token, range(writes, 2 * writes))
            rate = writes / made.seconds
            rows.append((f"{writes} concurrent creations", rate, rate / base_create,
                         *_check(made, writes)))
            granted = load.burst(base, inst.token, "POST", "/v1/consents",
                                 [load.consent_body(s, writes + i) for i, s in enumerate(ids)])
            rate = writes / granted.seconds
            rows.append((f"{writes} concurrent grants", rate, rate / base_grant,
                         *_check(granted, writes)))

            _, mixed_ids = load.make_subjects(base, inst.token, range(2 * writes, 3 * writes),
                                              send=load.sequential)
            results: dict[str, load.Outcome] = {}

            def grants() -> None:
                results["g"] = load.burst(base, inst.token, "POST", "/v1/consents", [
                    load.consent_body(s, 2 * writes + i) for i, s in enumerate(mixed_ids)])

            def creations() -> None:
                results["c"] = load.make_subjects(base, inst.token,
                                                  range(3 * writes, 4 * writes))[0]

            threads = [threading.Thread(target=grants), threading.Thread(target=creations)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            seconds = max(results["g"].seconds, results["c"].seconds)
            errors = sum(_check(o, writes)[0] for o in results.values())
            stored = all(_check(o, writes)[1] for o in results.values())
            rate = 2 * writes / seconds
            rows.append((f"{writes} grants + {writes} creations at once", rate,
                         rate / ((base_create + base_grant) / 2), errors, stored))
        for chain in ("audit", "ledger"):
            verified = inst.cli(chain, "verify")
            rows.append((f"{chain} verify: {verified.stdout.strip().splitlines()[-1][:60]}",
                         0.0, 0.0, 0 if verified.returncode == 0 else 1,
                         verified.returncode == 0))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--writes", type=int, default=200)
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        table = Table(title=f"Concurrent writes at derbes serve — {backend}")
        for column in ("phase", "writes/s", "ratio to sequential", "5xx + failed",
                       "stored once"):
            table.add_column(column)
        for name, rate, ratio, errors, stored in run(backend, args.writes):
            table.add_row(name, f"{rate:,.1f}" if rate else "—",
                          f"{ratio:.2f}" if ratio else "—", str(errors), "yes" if stored else "NO")
        console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())

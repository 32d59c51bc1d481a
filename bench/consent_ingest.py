"""Benchmark: consent ingest (chained ledger, idempotency) against a raw INSERT baseline.

    python bench/consent_ingest.py --backend sqlite|postgresql|both \
        [--consents 200000] [--per-subject 5] [--batch 5000] [--retries 0.01] [--verify]

The issue asks for 1,000,000 consent records; on the shared, loaded 2-core
machine the default is 200,000 (both backends within about 12 minutes); pass
``--consents 1000000`` for the full size (see docs/benchmarks.md).

Setup (not timed): the Express Аванс register published; ``consents /
per-subject`` vault subjects created with ``services.vault.add_subjects`` (one
value each, the IIN, so the age check has something to read; data keys in the
key store).

Then, batch by batch, for each backend in one run and one database:

* **derbes**: ``services.consent.give_batch`` on ``batch / per-subject`` acts
  of consent, each act one scope with its own idempotency key (web checkbox,
  IP and user agent as evidence), five kinds per subject (processing for two
  purpose sets, transfer to the credit bureau and pension centre, cross-border
  transfer, marketing). Per act: every field validated against the register,
  the idempotency key looked up (one query per batch), the subject checked,
  its age read from the vault (IIN decrypted), evidence sealed with the
  subject's data key (AES-256-GCM, AAD bound to the consent id); one ledger
  entry per consent chained with the keyed HMAC; one transaction per batch.
  From the second batch on, ``--retries`` of the acts are retries of acts of
  the previous batch (same key, same request): they return the stored act and
  write nothing (checked).
* **raw baseline**: the very rows derbes stored in that batch (consent rows
  and ledger rows, same columns, values read back outside the timing) inserted
  into two tables of the same columns with only their primary keys (no unique
  idempotency constraint, no secondary indexes), the same way (SQLAlchemy
  ``insert()`` with a list of rows: executemany on SQLite, multi-row INSERT on
  PostgreSQL), one transaction per batch. No validation, no idempotency check,
  no sealing, no chaining.

Both run interleaved batch by batch, so both see the same machine and the same
database size. Printed: consents/s of both and the ratio derbes / raw (goal
>= 0.5). ``--verify`` walks the whole ledger afterwards (``derbes ledger
verify``'s check) and prints its time.

Databases are temporary (SQLite files in a temporary directory; on PostgreSQL
databases on ``DERBES_BENCH_PG_URL`` or on a throwaway cluster of
``scripts/pg-throwaway`` in a private directory); removed at the end.
Synthetic values only, never real PD.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Engine, MetaData, Table, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from vault_ingest import _databases, _iins, _machine, _progress, console

from derbes.consent.adapters.store import _consent_row
from derbes.consent.model.consent import Evidence, Scope, ScopeKind
from derbes.consent.model.ledger import ledger_key
from derbes.consent.service import consent as consent_svc
from derbes.platform import migrate
from derbes.platform.db import make_engine
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.platform.system_clock import SystemClock
from derbes.platform.tables import consent_ledger, consents
from derbes.register.adapters.yaml import load_register
from derbes.register.service import registers
from derbes.testing.context import context as ctx_of
from derbes.testing.context import make_context
from derbes.vault.adapters import keystore_migrate
from derbes.vault.adapters.kek import LocalKek
from derbes.vault.adapters.keystore import SqlKeyStore
from derbes.vault.model import NewValue, Provenance, Source
from derbes.vault.service import subjects as vault_svc

ROOT = Path(__file__).resolve().parents[1]
REGISTER_FILE = ROOT / "registers" / "express-avans.yaml"
ACTOR = "bench:consent_ingest"
SETUP_BATCH = 5_000

# One act per scope; five per subject (Express Аванс purposes and recipients).
SCOPES = (
    Scope(ScopeKind.PROCESSING, purposes=("credit_bureau_inquiry", "pension_centre_inquiry")),
    Scope(ScopeKind.PROCESSING, purposes=("customer_database", "statistics")),
    Scope(ScopeKind.THIRD_PARTY_TRANSFER, recipients=("credit_bureaus", "pension_centre")),
    Scope(ScopeKind.CROSS_BORDER_TRANSFER, recipients=("unnamed_cross_border",)),
    Scope(ScopeKind.MARKETING, purposes=("marketing",)),
)
_AGENTS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0",
           "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Safari/604.1",
           "Mozilla/5.0 (Linux; Android 14; SM-A546E) Chrome/130.0 Mobile")


# -------------------------------------------------------------- raw tables


def _raw_tables() -> tuple[Table, Table]:
    """Tables with the columns of ``consents`` and ``consent_ledger``, primary keys only."""
    meta = MetaData()
    out = []
    for source, name in ((consents, "bench_raw_consents"),
                         (consent_ledger, "bench_raw_consent_ledger")):
        out.append(Table(name, meta, *(Column(c.name, c.type, primary_key=c.primary_key,
                                              nullable=c.nullable) for c in source.columns)))
    return out[0], out[1]


def _raw_insert(engine: Engine, tables: tuple[Table, Table],
                rows: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    with engine.begin() as connection:
        connection.execute(tables[0].insert(), rows[0])
        connection.execute(tables[1].insert(), rows[1])


# ---------------------------------------------------------------- the run


@dataclass
class Result:
    backend: str
    consents: int
    subjects: int
    batch: int
    retried: int
    setup_seconds: float
    derbes_seconds: float
    raw_seconds: float
    derbes_cpu_seconds: float
    raw_cpu_seconds: float
    verify_seconds: float | None
    total_seconds: float

    @property
    def derbes_rate(self) -> float:
        return self.consents / self.derbes_seconds

    @property
    def raw_rate(self) -> float:
        return self.consents / self.raw_seconds

    @property
    def ratio(self) -> float:
        return self.derbes_rate / self.raw_rate


def _subjects(engine: Engine, keys: SqlKeyStore, clock: SystemClock, n: int,
              uow: Callable[[], SqlUnitOfWork]) -> list[str]:
    register = load_register(REGISTER_FILE)
    registers.publish(uow(), [register], clock)
    provenance = Provenance(source=Source.SUBJECT, purposes=(), method="web_form",
                            collected_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    iins: Iterator[tuple[str, date]] = _iins()
    ids: list[str] = []
    with _progress() as progress:
        task = progress.add_task("setup: vault subjects", total=n)
        while len(ids) < n:
            size = min(SETUP_BATCH, n - len(ids))
            new = [vault_svc.NewSubject([NewValue("identity.iin", next(iins)[0], provenance)])
                   for _ in range(size)]
            ids.extend(vault_svc.add_subjects(ctx_of(uow(), keys, clock, ACTOR),
                                              register.register, new))
            progress.update(task, advance=size)
    return ids


def _requests(subject_ids: Sequence[str], start: int, count: int, per_subject: int,
              rnd: random.Random) -> list[consent_svc.ConsentRequest]:
    out: list[consent_svc.ConsentRequest] = []
    for n in range(start, start + count):
        subject = subject_ids[n // per_subject]
        out.append(consent_svc.ConsentRequest(
            subject_id=subject, scopes=[SCOPES[n % per_subject % len(SCOPES)]],
            channel="web_checkbox",
            evidence=Evidence(ip=f"10.{rnd.randrange(256)}.{rnd.randrange(256)}."
                                 f"{rnd.randrange(1, 255)}",
                              user_agent=_AGENTS[n % len(_AGENTS)]),
            idempotency_key=f"bench-{n:09d}",
        ))
    return out


def run_backend(backend: str, total: int, per_subject: int, batch: int, retries: float,
                verify: bool, seed: int) -> Result:
    clock = SystemClock()
    began = time.perf_counter()
    rnd = random.Random(seed)
    with _databases(backend) as dbs:
        migrate.upgrade(dbs.data_url)
        keystore_migrate.upgrade(dbs.keystore_url)
        engine = make_engine(dbs.data_url)
        key_engine = make_engine(dbs.keystore_url)
        try:
            keys = SqlKeyStore(key_engine, LocalKek.generate(), clock=clock)
            keys.ensure_system_keys()

            def uow() -> SqlUnitOfWork:
                return SqlUnitOfWork(engine, audit_key=keys.audit_key)

            n_subjects = -(-total // per_subject)
            start = time.perf_counter()
            subject_ids = _subjects(engine, keys, clock, n_subjects, uow)
            setup_s = time.perf_counter() - start
            raw = _raw_tables()
            raw[0].metadata.create_all(engine)
            acts_per_batch = max(1, batch // per_subject * per_subject)
            derbes_s = raw_s = derbes_cpu = raw_cpu = 0.0
            done = retried = 0
            previous: list[consent_svc.ConsentRequest] = []
            head = 0
            with _progress() as progress:
                task = progress.add_task(f"{backend}: consents", total=total)
                while done < total:
                    size = min(acts_per_batch, total - done)
                    fresh = _requests(subject_ids, done, size, per_subject, rnd)
                    again = rnd.sample(previous, min(len(previous), round(size * retries)))
                    requests = fresh + again
                    rnd.shuffle(requests)
                    t0, c0 = time.perf_counter(), time.process_time()
                    results = consent_svc.give_batch(make_context(uow(), keys, clock, ACTOR),
                                                     None, requests)
                    derbes_s += time.perf_counter() - t0
                    derbes_cpu += time.process_time() - c0
                    stored = [c for r in results if not r.replayed for c in r.consents]
                    replayed = sum(1 for r in results if r.replayed)
                    if len(stored) != size or replayed != len(again):
                        raise SystemExit("give_batch stored or replayed the wrong acts")
                    retried += replayed
                    # The same rows, read back outside the timing.
                    with engine.connect() as connection:
                        ledger_rows = [dict(r._mapping) for r in connection.execute(
                            select(consent_ledger).where(consent_ledger.c.seq > head)
                            .order_by(consent_ledger.c.seq))]
                    head += len(ledger_rows)
                    rows = ([_consent_row(c) for c in stored], ledger_rows)
                    t0, c0 = time.perf_counter(), time.process_time()
                    _raw_insert(engine, raw, rows)
                    raw_s += time.perf_counter() - t0
                    raw_cpu += time.process_time() - c0
                    previous = fresh
                    done += size
                    progress.update(task, advance=size, description=(
                        f"{backend}: consents  derbes {done / derbes_s:,.0f}/s  "
                        f"raw {done / raw_s:,.0f}/s"))
            with engine.connect() as connection:
                counts = [connection.execute(select(func.count()).select_from(t)).scalar_one()
                          for t in (consents, consent_ledger, raw[0], raw[1])]
            if counts != [total] * 4:
                raise SystemExit(f"row counts differ: {counts}")
            verify_s: float | None = None
            if verify:
                start = time.perf_counter()
                checked = consent_svc.verify(uow(), ledger_key(keys.audit_key()))
                verify_s = time.perf_counter() - start
                if not checked.ok:
                    raise SystemExit("the consent ledger does not verify")
        finally:
            engine.dispose()
            key_engine.dispose()
    return Result(backend, total, n_subjects, acts_per_batch, retried, setup_s, derbes_s,
                  raw_s, derbes_cpu, raw_cpu, verify_s, time.perf_counter() - began)


# ------------------------------------------------------------------ report


def report(results: Sequence[Result]) -> None:
    from rich.table import Table as RichTable

    table = RichTable(title="Consent ingest")
    for column in ("backend", "consents", "subjects", "batch", "retried acts",
                   "derbes consents/s", "raw consents/s", "ratio"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(r.backend, f"{r.consents:,}", f"{r.subjects:,}", f"{r.batch:,}",
                      f"{r.retried:,}", f"{r.derbes_rate:,.0f}", f"{r.raw_rate:,.0f}",
                      f"{r.ratio:.2f}")
    console.print(table)
    console.print(f"machine: {_machine()}")
    for r in results:
        verified = ("" if r.verify_seconds is None
                    else f"; ledger verified in {r.verify_seconds:.1f} s")
        console.print(
            f"{r.backend}: {r.consents:,} consents ({r.subjects:,} subjects), batch "
            f"{r.batch:,}: derbes {r.derbes_seconds:.1f} s ({r.derbes_rate:,.0f} consents/s), "
            f"raw INSERT {r.raw_seconds:.1f} s ({r.raw_rate:,.0f} consents/s), ratio "
            f"{r.ratio:.2f} (goal >= 0.50); {r.retried:,} retried acts replayed; CPU time of "
            f"this process: derbes {r.derbes_cpu_seconds:.1f} s, raw {r.raw_cpu_seconds:.1f} s;"
            f" setup (subjects) {r.setup_seconds:.1f} s{verified}; whole backend run "
            f"{r.total_seconds / 60:.1f} min"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--consents", type=int, default=200_000)
    parser.add_argument("--per-subject", type=int, default=5)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--retries", type=float, default=0.01)
    parser.add_argument("--verify", action="store_true")
    parser.add_argument("--seed", type=int, default=94)
    args = parser.parse_args(argv)
    if args.consents < 1 or args.batch < 1 or not 1 <= args.per_subject <= len(SCOPES):
        parser.error(f"--consents and --batch are at least 1, --per-subject 1 to {len(SCOPES)}")
    if not 0 <= args.retries <= 1:
        parser.error("--retries is a fraction from 0 to 1")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    results = [run_backend(b, args.consents, args.per_subject, args.batch, args.retries,
                           args.verify, args.seed) for b in backends]
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: batch ingest into the PD vault against a plaintext INSERT baseline.

    python bench/vault_ingest.py --backend sqlite|postgresql|both \
        [--subjects 200000] [--batch 5000] [--lookups 10000]

The issue asks for 1,000,000 subjects; on the shared 2-core machine that took
33 minutes for both backends, so the default is 200,000 (about 8 minutes);
pass ``--subjects 1000000`` for the full size (see docs/benchmarks.md).

For each backend, in one run and one database:

* **derbes ingest**: ``services.vault.add_subjects`` on batches of subjects with
  8 values each (IIN, phone, e-mail, full name, birth date, address, IBAN,
  employer) of the Kredit Seven register: every value validated by its
  category's type, sealed with AES-256-GCM under the subject's data key and
  associated data (subject, category, seq), blind indexes for IIN / phone /
  e-mail, data keys created in the key store, one audit entry and one
  transaction per batch.
* **raw baseline**: the same values in plaintext, the same number of rows,
  into a table of the same shape (subject id, category, seq, value text; the
  same primary key as ``pd_values``) in the same database, with the same
  batching (one transaction per batch; ``executemany`` on SQLite, ``COPY``
  on PostgreSQL). No validation, no encryption, no look-up index while loading.

Both run batch by batch, interleaved, so both see the same machine and the
same database size. Printed: subjects/s of both and the ratio derbes / raw.

Then look-ups by IIN of random stored subjects: through
``services.vault.find_subject`` (normalise, blind index, audited, bulk-access
rule) and, as a baseline, a raw ``SELECT`` on an index over the plaintext
(built after the load, its time printed apart). p50 / p95 in milliseconds.

Databases are temporary: SQLite files in a temporary directory (the key store
in a SQLite file of its own); on PostgreSQL two databases (data and key store)
on ``DERBES_BENCH_PG_URL``, or on a throwaway cluster started with
``scripts/pg-throwaway`` in a private directory. Everything is removed at the
end. Synthetic values only, never real PD.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy import Engine, create_engine, text

from derbes.identifiers.model._checksum import control_digit
from derbes.identifiers.model.iban import compute_check_digits
from derbes.identifiers.model.iin import parse as parse_iin
from derbes.platform import migrate
from derbes.platform.db import make_engine, parse_url
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.platform.system_clock import SystemClock
from derbes.register.adapters.yaml import load_register
from derbes.register.model.register import Register
from derbes.register.service import registers
from derbes.testing.context import context as ctx_of
from derbes.vault.adapters import keystore_migrate
from derbes.vault.adapters.kek import LocalKek
from derbes.vault.adapters.keystore import SqlKeyStore
from derbes.vault.model import NewValue, Provenance, Source
from derbes.vault.service import subjects as svc

ROOT = Path(__file__).resolve().parents[1]
REGISTER_FILE = ROOT / "registers" / "kredit-seven.yaml"
PG_THROWAWAY = ROOT / "scripts" / "pg-throwaway"
ACTOR = "bench:vault_ingest"
PURPOSE = "user_identification"  # a purpose of the register that needs the IIN

CATEGORIES = (
    "identity.iin",
    "contact.phone",
    "contact.email",
    "identity.full_name",
    "identity.birth_date",
    "address.registration",
    "financial.iban",
    "employment.details",
)

RAW_TABLE = "bench_raw_values"
RAW_DDL = (
    f"CREATE TABLE {RAW_TABLE} (subject_id VARCHAR(36) NOT NULL, "
    "category VARCHAR(100) NOT NULL, seq INTEGER NOT NULL, value TEXT NOT NULL, "
    f"PRIMARY KEY (subject_id, category, seq))"
)
RAW_INDEX = f"CREATE INDEX ix_{RAW_TABLE}_value ON {RAW_TABLE} (category, value)"
RAW_INSERT = f"INSERT INTO {RAW_TABLE} (subject_id, category, seq, value) VALUES (?, ?, ?, ?)"
RAW_COPY = f"COPY {RAW_TABLE} (subject_id, category, seq, value) FROM STDIN"
RAW_SELECT = f"SELECT subject_id FROM {RAW_TABLE} WHERE category = ? AND value = ?"
RAW_SELECT_PG = f"SELECT subject_id FROM {RAW_TABLE} WHERE category = %s AND value = %s"

console = Console(width=max(Console().width, 150))


# ------------------------------------------------------------ synthetic data

_FIRST = ("Айгерим", "Ерлан", "Динара", "Нұрлан", "Әсел", "Бауыржан", "Гүлнар", "Санжар",
          "Жанар", "Ұлан", "Мадина", "Қайрат", "Аружан", "Даулет", "Өмірзақ", "Інжу")
_LAST = ("Сейітқали", "Омарова", "Жақсыбеков", "Тұрсынова", "Әбдірахманов", "Қасымова",
         "Байжанов", "Нұрғалиева", "Серікбаев", "Ғабитова")
_STREETS = ("Абая", "Сәтпаева", "Төле би", "Желтоқсан", "Қабанбай батыра", "Назарбаева")
_CITIES = ("Алматы", "Астана", "Шымкент", "Қарағанды", "Ақтөбе", "Павлодар")
_EMPLOYERS = ("ТОО «Дала Логистик»", "АО «Qazaq Retail»", "ИП Сейітов", "ГККП «Емхана №3»",
              "ТОО «Нұр Құрылыс»", "АО «Altyn Energy»")
_POSITIONS = ("бухгалтер", "водитель", "менеджер", "инженер", "учитель", "кассир")
_MOBILE = ("700", "701", "702", "705", "707", "708", "747", "771", "775", "776", "777", "778")
_BANKS = ("601", "722", "998", "551", "826", "914")
_DAYS = 20_000  # birth dates 1950-01-01 + up to ~55 years
_EPOCH = date(1950, 1, 1)


def _iins() -> Iterator[tuple[str, date]]:
    """Distinct valid IINs (with their birth dates), in a fixed order."""
    for serial in range(10_000):
        for day in range(_DAYS):
            born = _EPOCH + timedelta(days=day)
            century = "3" if born.year < 2000 else "5"
            sex = int(century) + (serial + day) % 2
            first11 = f"{born:%y%m%d}{sex}{serial:04d}"
            check = control_digit(first11)
            if check is not None:
                iin = parse_iin(f"{first11}{check}")  # the domain's own check agrees
                yield iin.value, iin.birth_date


def _iban(i: int) -> str:
    bban = f"{_BANKS[i % len(_BANKS)]}{i:013d}"
    return f"KZ{compute_check_digits('KZ', bban)}{bban}"


def _phone(i: int) -> str:
    prefix = _MOBILE[i % len(_MOBILE)]
    n = f"{i // len(_MOBILE):07d}"
    style = i % 3
    if style == 0:
        return f"+7 {prefix} {n[:3]} {n[3:5]} {n[5:]}"
    if style == 1:
        return f"8 ({prefix}) {n[:3]}-{n[3:5]}-{n[5:]}"
    return f"8{prefix}{n}"


@dataclass
class Person:
    """One synthetic subject: the 8 raw values as a client would send them."""

    values: tuple[tuple[str, str], ...]


class Generator:
    """Deterministic synthetic subjects; remembers the IINs of chosen subjects."""

    def __init__(self, seed: int, sample: set[int]) -> None:
        self._iins = _iins()
        self._rng = random.Random(seed)
        self._next = 0
        self._sample = sample
        self.sampled: list[str] = []

    def batch(self, size: int) -> list[Person]:
        out: list[Person] = []
        rng = self._rng
        for _ in range(size):
            i = self._next
            self._next += 1
            iin, born = next(self._iins)
            if i in self._sample:
                self.sampled.append(iin)
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            out.append(Person((
                ("identity.iin", iin),
                ("contact.phone", _phone(i)),
                ("contact.email", f"Client.{i}@Example.kz"),
                ("identity.full_name", f"{last} {first}"),
                ("identity.birth_date", born.isoformat()),
                ("address.registration",
                 f"г. {rng.choice(_CITIES)}, ул. {rng.choice(_STREETS)}, "
                 f"д. {rng.randint(1, 300)}, кв. {rng.randint(1, 200)}"),
                ("financial.iban", _iban(i)),
                ("employment.details", f"{rng.choice(_EMPLOYERS)}, {rng.choice(_POSITIONS)}"),
            )))
        return out


def _new_subjects(people: Sequence[Person], provenance: Provenance) -> list[svc.NewSubject]:
    return [svc.NewSubject([NewValue(c, v, provenance) for c, v in p.values]) for p in people]


def _raw_rows(people: Sequence[Person], ids: Sequence[str]) -> list[tuple[str, str, int, str]]:
    """The same rows in plaintext: the subject ids derbes gave, the values as received."""
    rows: list[tuple[str, str, int, str]] = []
    for p, sid in zip(people, ids, strict=True):
        rows.extend((sid, c, 0, v) for c, v in p.values)
    return rows


# -------------------------------------------------------------- databases


@dataclass
class Databases:
    backend: str
    data_url: str
    keystore_url: str
    cleanup: list[Callable[[], None]] = field(default_factory=list)


@contextmanager
def _sqlite_databases() -> Iterator[Databases]:
    with tempfile.TemporaryDirectory(prefix="derbes-bench-") as directory:
        yield Databases("sqlite", f"sqlite:///{directory}/data.sqlite3",
                        f"sqlite:///{directory}/keys.sqlite3")


def _admin(url: str) -> Engine:
    return create_engine(parse_url(url), isolation_level="AUTOCOMMIT")


@contextmanager
def _pg_server() -> Iterator[str]:
    given = os.environ.get("DERBES_BENCH_PG_URL")
    if given:
        yield given
        return
    # A private cluster directory: its socket lives inside it, so it never
    # clashes with the test suite's clusters or another run.
    cluster = tempfile.mkdtemp(prefix="derbes-bench-pg-", dir="/tmp")
    env = {**os.environ, "DERBES_PG_DIR": cluster,
           "DERBES_PG_PORT": str(56000 + secrets.randbelow(1000))}
    started = subprocess.run(["bash", str(PG_THROWAWAY), "start"], env=env, check=False,
                             capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if started.returncode != 0:
        raise SystemExit(f"cannot start a throwaway PostgreSQL: {started.stderr.strip()}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", str(PG_THROWAWAY), "stop"], env=env, check=False,
                       capture_output=True, stdin=subprocess.DEVNULL)


@contextmanager
def _pg_databases() -> Iterator[Databases]:
    with _pg_server() as server:
        suffix = secrets.token_hex(4)
        names = (f"derbes_bench_{suffix}", f"derbes_bench_keys_{suffix}")
        admin = _admin(server)
        try:
            with admin.connect() as connection:
                for name in names:
                    connection.execute(text(f"CREATE DATABASE {name}"))
            urls = [parse_url(server).set(database=n).render_as_string(hide_password=False)
                    for n in names]
            yield Databases("postgresql", urls[0], urls[1])
        finally:
            with admin.connect() as connection:
                for name in names:
                    connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            admin.dispose()


def _databases(backend: str) -> Any:
    return _sqlite_databases() if backend == "sqlite" else _pg_databases()


def _raw_insert(engine: Engine, rows: list[tuple[str, str, int, str]]) -> None:
    """The baseline: one transaction, one executemany (SQLite) or one COPY (PostgreSQL)."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            driver = connection.connection.driver_connection
            with driver.cursor() as cursor, cursor.copy(RAW_COPY) as copy:  # type: ignore[union-attr]
                for row in rows:
                    copy.write_row(row)
        else:
            connection.exec_driver_sql(RAW_INSERT, rows)


def _raw_lookup(engine: Engine, iin: str) -> list[str]:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            result = connection.exec_driver_sql(RAW_SELECT_PG, ("identity.iin", iin))
        else:
            result = connection.exec_driver_sql(RAW_SELECT, ("identity.iin", iin))
        return [str(r[0]) for r in result]


# ---------------------------------------------------------------- the run


@dataclass
class Result:
    backend: str
    subjects: int
    batch: int
    derbes_seconds: float
    raw_seconds: float
    derbes_cpu_seconds: float  # this process only: on PostgreSQL the server's work is not in it
    raw_cpu_seconds: float
    index_seconds: float
    lookups: int
    find_ms: list[float]
    raw_find_ms: list[float]
    total_seconds: float

    @property
    def derbes_rate(self) -> float:
        return self.subjects / self.derbes_seconds

    @property
    def raw_rate(self) -> float:
        return self.subjects / self.raw_seconds

    @property
    def ratio(self) -> float:
        return self.derbes_rate / self.raw_rate


def _percentile(samples: Sequence[float], q: float) -> float:
    if not samples:
        return float("nan")
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def _register(engine: Engine, clock: SystemClock, keys: SqlKeyStore) -> Register:
    loaded = load_register(REGISTER_FILE)
    registers.publish(SqlUnitOfWork(engine, audit_key=keys.audit_key), [loaded], clock)
    return loaded.register


def run_backend(backend: str, subjects: int, batch: int, lookups: int, seed: int) -> Result:
    clock = SystemClock()
    began = time.perf_counter()
    with _databases(backend) as dbs:
        migrate.upgrade(dbs.data_url)
        keystore_migrate.upgrade(dbs.keystore_url)
        engine = make_engine(dbs.data_url)
        key_engine = make_engine(dbs.keystore_url)
        try:
            keys = SqlKeyStore(key_engine, LocalKek.generate(), clock=clock)
            keys.ensure_system_keys()
            register = _register(engine, clock, keys)
            missing = [c for c in CATEGORIES if c not in register.categories]
            if missing:
                raise SystemExit(f"the register lacks categories: {', '.join(missing)}")
            with engine.begin() as connection:
                connection.exec_driver_sql(RAW_DDL)

            def uow() -> SqlUnitOfWork:
                return SqlUnitOfWork(engine, audit_key=keys.audit_key)

            rng = random.Random(seed)
            sample = set(rng.sample(range(subjects), min(lookups, subjects)))
            gen = Generator(seed, sample)
            provenance = Provenance(source=Source.SUBJECT, purposes=(), method="web_form",
                                    collected_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
            derbes_s = raw_s = derbes_cpu = raw_cpu = 0.0
            with _progress() as progress:
                task = progress.add_task(f"{backend}: ingest", total=subjects)
                done = 0
                while done < subjects:
                    size = min(batch, subjects - done)
                    people = gen.batch(size)
                    new = _new_subjects(people, provenance)
                    start, cpu = time.perf_counter(), time.process_time()
                    ids = svc.add_subjects(ctx_of(uow(), keys, clock, ACTOR), register, new)
                    derbes_s += time.perf_counter() - start
                    derbes_cpu += time.process_time() - cpu
                    rows = _raw_rows(people, ids)
                    start, cpu = time.perf_counter(), time.process_time()
                    _raw_insert(engine, rows)
                    raw_s += time.perf_counter() - start
                    raw_cpu += time.process_time() - cpu
                    done += size
                    progress.update(task, advance=size, description=(
                        f"{backend}: ingest  derbes {done / derbes_s:,.0f}/s  "
                        f"raw {done / raw_s:,.0f}/s"))
            start = time.perf_counter()
            with engine.begin() as connection:
                connection.exec_driver_sql(RAW_INDEX)
                if backend == "postgresql":
                    connection.exec_driver_sql(f"ANALYZE {RAW_TABLE}")
            index_s = time.perf_counter() - start
            if backend == "postgresql":
                with engine.begin() as connection:
                    connection.exec_driver_sql("ANALYZE")
            find_ms, raw_ms = _lookups(engine, uow, keys, register, gen.sampled, clock,
                                       rng)
        finally:
            engine.dispose()
            key_engine.dispose()
    return Result(backend, subjects, batch, derbes_s, raw_s, derbes_cpu, raw_cpu, index_s,
                  len(find_ms), find_ms, raw_ms, time.perf_counter() - began)


def _lookups(
    engine: Engine, uow: Callable[[], SqlUnitOfWork], keys: SqlKeyStore, register: Register,
    iins: list[str], clock: SystemClock, rng: random.Random,
) -> tuple[list[float], list[float]]:
    order = list(iins)
    rng.shuffle(order)
    operator_id = register.operator.id
    find_ms: list[float] = []
    raw_ms: list[float] = []
    with _progress() as progress:
        task = progress.add_task("look-ups by IIN", total=len(order))
        for iin in order:
            start = time.perf_counter()
            found = svc.find_subject(
                ctx_of(uow(), keys, clock, ACTOR, operator_id=operator_id), "iin", iin, PURPOSE)
            middle = time.perf_counter()
            raw = _raw_lookup(engine, iin)
            end = time.perf_counter()
            if len(found) != 1 or len(raw) != 1:
                raise SystemExit("a look-up did not find exactly one subject")
            find_ms.append((middle - start) * 1000)
            raw_ms.append((end - middle) * 1000)
            progress.advance(task)
    return find_ms, raw_ms


@contextmanager
def _progress() -> Iterator[Progress]:
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                  transient=False) as progress:
        yield progress


# ------------------------------------------------------------------ report


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def report(results: Sequence[Result]) -> None:
    table = Table(title="PD vault ingest and look-up")
    for column in ("backend", "subjects", "batch", "derbes subj/s", "raw subj/s", "ratio",
                   "find p50 ms", "find p95 ms", "raw SELECT p50 ms", "raw SELECT p95 ms"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(
            r.backend, f"{r.subjects:,}", f"{r.batch:,}", f"{r.derbes_rate:,.0f}",
            f"{r.raw_rate:,.0f}", f"{r.ratio:.2f}",
            f"{_percentile(r.find_ms, 50):.2f}", f"{_percentile(r.find_ms, 95):.2f}",
            f"{_percentile(r.raw_find_ms, 50):.3f}", f"{_percentile(r.raw_find_ms, 95):.3f}",
        )
    console.print(table)
    console.print(f"machine: {_machine()}")
    for r in results:
        console.print(
            f"{r.backend}: {r.subjects:,} subjects x {len(CATEGORIES)} values, batch "
            f"{r.batch:,}: derbes {r.derbes_seconds:.1f} s ({r.derbes_rate:,.0f} subjects/s), "
            f"raw plaintext {r.raw_seconds:.1f} s ({r.raw_rate:,.0f} subjects/s), "
            f"ratio {r.ratio:.2f} (goal >= 0.40); look-up index built in "
            f"{r.index_seconds:.1f} s; {r.lookups:,} look-ups by IIN: find_subject "
            f"p50 {_percentile(r.find_ms, 50):.2f} ms / p95 {_percentile(r.find_ms, 95):.2f} ms,"
            f" raw SELECT p50 {_percentile(r.raw_find_ms, 50):.3f} ms / "
            f"p95 {_percentile(r.raw_find_ms, 95):.3f} ms; CPU time of this process during "
            f"ingest: derbes {r.derbes_cpu_seconds:.1f} s, raw {r.raw_cpu_seconds:.1f} s; "
            f"whole backend run {r.total_seconds / 60:.1f} min"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--subjects", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--lookups", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=94)
    args = parser.parse_args(argv)
    if args.subjects < 1 or args.batch < 1 or args.lookups < 0:
        parser.error("--subjects and --batch are at least 1, --lookups at least 0")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    results = [run_backend(b, args.subjects, args.batch, args.lookups, args.seed)
               for b in backends]
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

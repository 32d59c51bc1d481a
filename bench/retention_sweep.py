"""Benchmark: the retention sweep (plan + run) against a bare SQL DELETE of the same rows.

    python bench/retention_sweep.py --backend sqlite|postgresql|both [--subjects 1000000]

For each backend:

1. **Setup (not timed).** QIWI Kazakhstan's register is published, then
   ``--subjects`` wallet clients are written directly (``executemany`` on
   SQLite, ``COPY`` on PostgreSQL) as real vault rows: each subject's data key
   is created in the key store (its own database), 3–4 values (login, e-mail,
   AML activity details, and for a quarter of them marketing-interview
   answers) are sealed with AES-256-GCM under that key with the vault's
   associated data, login and e-mail get blind-index look-ups. Event
   histories are realistic: account and wallet contract opened (2012–2026),
   one to three transactions, the contract closed for about a third of the
   clients, a last-activity event; a few closed clients are under an AML
   legal hold. Each client consented in the app, when opening the wallet, to
   the consent-based purposes its values were collected for (one consent
   row). Contracts are projected from the events, and the clocks are worked
   out from these same facts by the engine's one clock rule
   (``retention.service.clocks.clocks_from``) and written in bulk; a sample
   of subjects is then recomputed through the engine's incremental
   ``update_clocks``, which reads the facts back from the database, and must
   come out the same. About 20% of the subjects are due on the sweep date (2026-03-02):
   mostly every category (contract closed and last transaction more than 5
   years ago: AML Law 191-IV Art. 11 p.4), some only the marketing answers
   (3 years after the contract: Civil Code Art. 178).
2. The database is copied (SQLite: the file; PostgreSQL: ``CREATE DATABASE
   … TEMPLATE``), so both measurements start from the same data.
3. **derbes**: ``services.retention.plan`` then ``services.retention.run``
   (key store first, batches, items, audit, the destruction act) — timed.
4. **floor**: on the copy, one transaction of two bare statements deleting
   the same PD rows — the due ``pd_values`` and their blind-index look-ups —
   chosen by the same clock index — timed.

Printed: both times and the ratio derbes / floor (goal <= 3). Databases are
temporary (SQLite files in a temporary directory; PostgreSQL on
``DERBES_BENCH_PG_URL`` or a throwaway cluster from ``scripts/pg-throwaway``)
and removed at the end. Synthetic values only, never real PD.
``--append-doc`` appends the figures to ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine, create_engine, select, text

from derbes.consent.model.consent import Consent, GivenBy, Scope, ScopeKind
from derbes.deadlines.adapters.kz_calendar import KzCalendars
from derbes.lifecycle.model import Contract, EventType, LifecycleEvent
from derbes.platform import crypto, migrate
from derbes.platform.clock import FixedClock
from derbes.platform.db import make_engine, parse_url
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.platform.tables import retention_category_clocks
from derbes.register.adapters.yaml import load_register
from derbes.register.model.register import BasisKind, ConsentChannel, Register
from derbes.register.ports import StoredRegister
from derbes.register.service import registers
from derbes.retention.model.retention import HoldKind, LegalHold
from derbes.retention.service import sweep as engine_service
from derbes.retention.service.clocks import Sources, clocks_from
from derbes.testing.context import make_context
from derbes.vault import model as vault_domain
from derbes.vault.adapters import keystore_migrate
from derbes.vault.adapters.kek import LocalKek
from derbes.vault.adapters.keystore import SqlKeyStore
from derbes.vault.ports import SealedValue

ROOT = Path(__file__).resolve().parents[1]
PG_THROWAWAY = ROOT / "scripts" / "pg-throwaway"
REGISTER_FILE = ROOT / "registers" / "qiwi-kz.yaml"
DOC = ROOT / "docs" / "benchmarks.md"
OPERATOR = "qiwi-kz"
AS_OF = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
EPOCH = date(2012, 1, 1)
SPAN_DAYS = (AS_OF - EPOCH).days
CHUNK = 20_000

# What each value was collected for (its provenance), per category.
COLLECTED_FOR: dict[str, tuple[str, ...]] = {
    "account.login": ("registration_minimal_status", "wallet_top_up", "aml_antifraud"),
    "contact.email": ("marketing_messages", "wallet_event_notifications", "aml_antifraud"),
    "aml.activity_details": ("aml_antifraud",),
    "marketing.interview_answers": ("marketing_research",),
}
LOOKUP_KINDS = {"account.login": vault_domain.LookupKind.PHONE,
                "contact.email": vault_domain.LookupKind.EMAIL}
MOBILE = ("00", "01", "02", "05", "07", "08", "47", "71", "75", "76", "77", "78")
HOLD_SHARE = 0.002  # of closed clients: an AML investigation keeps their data

console = Console(width=max(Console().width, 140))


# ------------------------------------------------------------ synthetic data


@dataclass
class Client:
    sid: str
    opened: datetime
    closed: datetime | None
    transactions: list[datetime]
    last_activity: datetime
    values: list[tuple[str, str]]
    hold: bool


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, dtime(rng.randrange(6, 22), rng.randrange(60)), tzinfo=UTC)


def _client(i: int, rng: random.Random) -> Client:
    sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    opened_day = EPOCH + timedelta(days=rng.randrange(SPAN_DAYS - 30))
    opened = _at(opened_day, rng)
    closed = None
    end_day = AS_OF - timedelta(days=1)
    if rng.random() < 0.44:
        close_day = opened_day + timedelta(days=rng.randrange(30, (AS_OF - opened_day).days))
        closed = _at(close_day, rng)
        end_day = close_day
    span = max(1, (end_day - opened_day).days)
    txs = sorted(_at(opened_day + timedelta(days=rng.randrange(span)), rng)
                 for _ in range(rng.randint(1, 3)))
    if closed is not None:
        txs = [min(t, closed) for t in txs]
    last = max([*txs, opened])
    phone = f"+77{rng.choice(MOBILE)}{i % 10_000_000:07d}"  # E.164, as the vault stores it
    values = [("account.login", phone), ("contact.email", f"client.{i}@example.kz"),
              ("aml.activity_details", rng.choice(("ИП, розничная торговля", "наёмный работник",
                                                   "студент", "пенсионер", "фрилансер")))]
    if rng.random() < 0.25:
        values.append(("marketing.interview_answers",
                       rng.choice(("пользуется кошельком ежедневно", "оплачивает связь",
                                   "переводы родственникам", "оплата коммунальных услуг"))))
    return Client(sid, opened, closed, txs, last, values,
                  hold=closed is not None and rng.random() < HOLD_SHARE)


# -------------------------------------------------------------- databases


@dataclass
class Databases:
    backend: str
    data_url: str
    keystore_url: str
    snapshot: Callable[[], str]  # makes the floor's copy, returns its URL
    cleanup: list[Callable[[], None]] = field(default_factory=list)


@contextmanager
def _sqlite_databases() -> Iterator[Databases]:
    with tempfile.TemporaryDirectory(prefix="derbes-bench-") as directory:
        data = Path(directory) / "data.sqlite3"

        def snapshot() -> str:
            import sqlite3

            connection = sqlite3.connect(data)
            try:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                connection.close()
            copy = Path(directory) / "floor.sqlite3"
            shutil.copyfile(data, copy)
            return f"sqlite:///{copy}"

        yield Databases("sqlite", f"sqlite:///{data}", f"sqlite:///{directory}/keys.sqlite3",
                        snapshot)


def _admin(url: str) -> Engine:
    return create_engine(parse_url(url), isolation_level="AUTOCOMMIT")


@contextmanager
def _pg_server() -> Iterator[str]:
    given = os.environ.get("DERBES_BENCH_PG_URL")
    if given:
        yield given
        return
    cluster = tempfile.mkdtemp(prefix="derbes-bench-pg-", dir="/tmp")
    env = {**os.environ, "DERBES_PG_DIR": cluster,
           "DERBES_PG_PORT": str(57000 + secrets.randbelow(1000))}
    started = subprocess.run(["bash", str(PG_THROWAWAY), "start"], env=env, check=False,
                             capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if started.returncode != 0:
        raise SystemExit(f"cannot start a throwaway PostgreSQL: {started.stderr.strip()}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", str(PG_THROWAWAY), "stop"], env=env, check=False,
                       capture_output=True, stdin=subprocess.DEVNULL)
        shutil.rmtree(cluster, ignore_errors=True)


@contextmanager
def _pg_databases() -> Iterator[Databases]:
    with _pg_server() as server:
        suffix = secrets.token_hex(4)
        data, keys, floor = (f"derbes_sweep_{suffix}", f"derbes_sweep_keys_{suffix}",
                             f"derbes_sweep_floor_{suffix}")
        admin = _admin(server)

        def url(name: str) -> str:
            return parse_url(server).set(database=name).render_as_string(hide_password=False)

        def snapshot() -> str:
            with admin.connect() as connection:
                connection.execute(text(f"CREATE DATABASE {floor} TEMPLATE {data}"))
            return url(floor)

        try:
            with admin.connect() as connection:
                for name in (data, keys):
                    connection.execute(text(f"CREATE DATABASE {name}"))
            yield Databases("postgresql", url(data), url(keys), snapshot)
        finally:
            with admin.connect() as connection:
                for name in (data, keys, floor):
                    connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            admin.dispose()


# ------------------------------------------------------------- bulk writes


def _sqlite_time(value: datetime) -> str:
    # How SQLAlchemy stores a UtcDateTime on SQLite: naive UTC text (values here are UTC).
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


class Writer:
    """Rows straight into tables: executemany (SQLite) or COPY (PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"
        self._times: dict[datetime, str] = {}
        self._days: dict[date, str] = {}

    def t(self, value: datetime | None) -> Any:
        if value is None or self.pg:
            return value
        found = self._times.get(value)
        if found is None:
            found = self._times[value] = _sqlite_time(value)
        return found

    def d(self, value: date | None) -> Any:
        if value is None or self.pg:
            return value
        found = self._days.get(value)
        if found is None:
            found = self._days[value] = value.isoformat()
        return found

    def forget(self) -> None:
        self._times.clear()

    def write(self, tables: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]) -> None:
        with self.engine.connect() as connection:
            if not self.pg:
                # Setup only (not measured): a large page cache for random-key B-tree
                # inserts, no fsync per commit; set on the DBAPI connection before the
                # transaction begins. The timed work runs on fresh connections.
                raw = connection.connection.driver_connection
                raw.execute("PRAGMA cache_size=-1000000")  # type: ignore[union-attr]
                raw.execute("PRAGMA synchronous=OFF")  # type: ignore[union-attr]
            with connection.begin():
                self._write(connection, tables)

    def _write(self, connection: Any,
               tables: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]) -> None:
        for table, (columns, rows) in tables.items():
            if not rows:
                continue
            names = ", ".join(columns)
            if self.pg:
                driver = connection.connection.driver_connection
                with driver.cursor() as cursor, cursor.copy(
                        f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in columns)
                connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})",
                                           rows)


# ------------------------------------------------------------------ setup


@dataclass
class Built:
    subjects: int
    due_subjects: int
    due_values: int
    values: int
    events: int
    seconds: float


def _fingerprint(sid: str, kind: str, at: datetime, contract: str | None) -> str:
    # The same digest as domain.lifecycle.LifecycleEvent.fingerprint (empty data):
    # its canonical JSON written out directly (ids are ASCII), keys in sorted order.
    contract_json = "null" if contract is None else f'"{contract}"'
    encoded = (f'{{"contract_id":{contract_json},"data":{{}},"occurred_at":"{at.isoformat()}",'
               f'"subject_id":"{sid}","type":"{kind}"}}')
    return hashlib.sha256(encoded.encode("ascii")).hexdigest()


def _consent(c: Client, purposes: tuple[str, ...], published: StoredRegister) -> Consent:
    """The consent a client gave in the app when opening the wallet (no PD in it)."""
    act = str(uuid.uuid5(uuid.NAMESPACE_URL, f"consent:{c.sid}"))
    return Consent(
        id=act, act_id=act, subject_id=c.sid, operator_id=OPERATOR,
        scope=Scope(ScopeKind.PROCESSING, purposes), policy_version=published.policy_version,
        policy_hash=published.sha256, channel=ConsentChannel.SMS_OTP, evidence_refs={},
        given_by=GivenBy.SUBJECT, given_at=c.opened,
        request_hash=hashlib.sha256(act.encode("ascii")).hexdigest())


def build(engine: Engine, keys: SqlKeyStore, published: StoredRegister, register: Register,
          subjects: int, seed: int, progress: Progress, label: str) -> Built:
    writer = Writer(engine)
    rng = random.Random(seed)
    index_key = keys.index_key()
    consented_cache: dict[frozenset[str], tuple[str, ...]] = {}
    calendars = KzCalendars()
    due_subjects = due_values = n_values = n_events = 0
    started = time.perf_counter()
    task = progress.add_task(f"{label}: setup", total=subjects)
    done = 0
    while done < subjects:
        size = min(CHUNK, subjects - done)
        clients = [_client(done + k, rng) for k in range(size)]
        data_keys = keys.create_keys([c.sid for c in clients])
        rows: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]] = {
            "subjects": (("id", "operator_id", "created_at"), []),
            "pd_values": (("subject_id", "category", "seq", "sealed", "value_type", "source",
                           "purposes", "method", "collected_at", "updated_at"), []),
            "subject_lookups": (("operator_id", "kind", "digest", "subject_id"), []),
            "lifecycle_events": (("event_id", "subject_id", "type", "contract_id",
                                  "occurred_at", "recorded_at", "data", "fingerprint"), []),
            "contracts": (("subject_id", "contract_id", "opened_at", "closed_at"), []),
            "consents": (("id", "act_id", "subject_id", "operator_id", "scope", "purposes",
                          "recipients", "cookie_categories", "policy_version", "policy_hash",
                          "channel", "evidence_refs", "given_by", "given_at", "request_hash"),
                         []),
            "legal_holds": (("hold_id", "subject_id", "kind", "basis", "set_by", "set_at",
                             "until", "categories"), []),
            "retention_clocks": (("subject_id", "purpose_id", "operator_id", "trigger",
                                  "trigger_date", "end_date", "updated_at"), []),
            "retention_category_clocks": (("subject_id", "category", "operator_id",
                                           "keep_until", "purpose_id", "held"), []),
        }
        for c in clients:
            key = data_keys[c.sid]
            rows["subjects"][1].append((c.sid, OPERATOR, writer.t(c.opened)))
            stored: list[SealedValue] = []
            for category, plain in c.values:
                value = SealedValue(
                    c.sid, category, 0, crypto.seal(key, vault_domain.encode_plain(plain),
                                                    crypto.value_aad(c.sid, category, 0)),
                    register.categories[category].value_type.value, "subject",
                    COLLECTED_FOR[category], "mobile_app", c.opened, c.opened)
                stored.append(value)
                rows["pd_values"][1].append((
                    c.sid, category, 0, value.sealed, value.value_type, value.source,
                    json.dumps(list(value.purposes)), value.method,
                    writer.t(value.collected_at), writer.t(value.updated_at)))
                kind = LOOKUP_KINDS.get(category)
                if kind is not None:
                    rows["subject_lookups"][1].append((
                        OPERATOR, kind.value,
                        crypto.blind_index(index_key, kind.value, plain), c.sid))
            n_values += len(c.values)
            contract = f"W-{c.sid[:8]}"
            history = [("account_opened", c.opened, None), ("contract_opened", c.opened,
                                                             contract)]
            history += [("transaction", t, None) for t in c.transactions]
            if c.closed is not None:
                history.append(("contract_closed", c.closed, contract))
            history.append(("last_activity", c.last_activity, None))
            for n, (kind_text, at, contract_id) in enumerate(history):
                rows["lifecycle_events"][1].append((
                    f"{c.sid}:{n}", c.sid, kind_text, contract_id, writer.t(at),
                    writer.t(at + timedelta(seconds=2)), "{}",
                    _fingerprint(c.sid, kind_text, at, contract_id)))
            n_events += len(history)
            rows["contracts"][1].append((c.sid, contract, writer.t(c.opened),
                                         writer.t(c.closed)))
            holds: list[LegalHold] = []
            if c.hold:
                assert c.closed is not None
                hold = LegalHold(hold_id=f"hold-{c.sid}", subject_id=c.sid,
                                 kind=HoldKind.AML_INVESTIGATION,
                                 basis="AFM request No. 00-00/0000 (synthetic)",
                                 set_by="compliance", set_at=c.closed + timedelta(days=1))
                holds.append(hold)
                rows["legal_holds"][1].append((
                    hold.hold_id, c.sid, hold.kind.value, hold.basis, hold.set_by,
                    writer.t(hold.set_at), None, None))
            # The customers consented, when they opened the wallet, to the purposes based
            # on consent that their values were collected for: one act, as stored.
            held = frozenset(cat for cat, _ in c.values)
            consented = consented_cache.get(held)
            if consented is None:
                consented = consented_cache[held] = tuple(sorted(
                    p for cat in held for p in COLLECTED_FOR[cat]
                    if register.purposes[p].basis.kind is BasisKind.CONSENT))
            consents = [_consent(c, consented, published)] if consented else []
            for consent in consents:
                rows["consents"][1].append((
                    consent.id, consent.act_id, c.sid, OPERATOR, consent.scope.kind.value,
                    json.dumps(list(consent.scope.purposes)), "[]", "[]",
                    consent.policy_version, consent.policy_hash, consent.channel.value, "{}",
                    consent.given_by.value, writer.t(consent.given_at), consent.request_hash))
            # The clocks by the engine's one clock rule, from the same facts as stored.
            sources = Sources(
                values=stored,
                contracts=[Contract(c.sid, contract, c.opened, c.closed)],
                events=[LifecycleEvent(f"{c.sid}:{n}", c.sid, EventType(kind_text), at,
                                       at + timedelta(seconds=2), contract_id)
                        for n, (kind_text, at, contract_id) in enumerate(history)],
                consents=consents, holds=holds)
            clocks = clocks_from(sources, register, calendars=calendars)
            pclocks = tuple(clocks.purposes.values())
            cclocks = tuple(clocks.categories.values())
            for pc in pclocks:
                rows["retention_clocks"][1].append((
                    c.sid, pc.purpose, OPERATOR, pc.trigger.value if pc.trigger else None,
                    writer.d(pc.trigger_date), writer.d(pc.end_date), writer.t(NOW)))
            due_here = 0
            for cc in cclocks:
                rows["retention_category_clocks"][1].append((
                    c.sid, cc.category, OPERATOR, writer.d(cc.keep_until), cc.purpose,
                    1 if cc.held else 0))
                if cc.keep_until is not None and cc.keep_until < AS_OF:
                    due_here += 1
            due_values += due_here
            due_subjects += 1 if due_here else 0
        writer.write(rows)
        writer.forget()
        done += size
        progress.update(task, advance=size, description=(
            f"{label}: setup  {due_subjects / done:.1%} due"))
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    progress.remove_task(task)
    return Built(subjects, due_subjects, due_values, n_values, n_events,
                 time.perf_counter() - started)


def check_clocks(engine: Engine, keys: SqlKeyStore, register: Register, sample: int,
                 seed: int) -> int:
    """Recompute a sample through the engine's incremental path: must change nothing."""
    c = retention_category_clocks.c
    with engine.connect() as connection:
        ids = [r[0] for r in connection.execute(
            select(c.subject_id).distinct().order_by(c.subject_id).limit(sample * 20))]
    chosen = random.Random(seed).sample(ids, min(sample, len(ids)))
    with SqlUnitOfWork(engine, audit_key=keys.audit_key) as uow:
        for sid in chosen:
            before = sorted(uow.retention.category_clocks(sid), key=lambda x: x.category)
            after = sorted(engine_service.update_clocks(uow, sid, NOW, register=register,
                                                        calendars=KzCalendars()),
                           key=lambda x: x.category)
            if before != after:
                raise SystemExit(f"bulk clocks differ from update_clocks for {sid}: "
                                 f"{before} != {after}")
        uow.rollback()
    return len(chosen)


# ----------------------------------------------------------------- timings

FLOOR_VALUES = (
    "DELETE FROM pd_values WHERE (subject_id, category) IN ("
    " SELECT subject_id, category FROM retention_category_clocks"
    " WHERE operator_id = :op AND keep_until < :as_of)")
FLOOR_LOOKUPS = (
    "DELETE FROM subject_lookups WHERE (subject_id, kind) IN ("
    " SELECT subject_id, CASE category WHEN 'account.login' THEN 'phone'"
    " ELSE 'email' END FROM retention_category_clocks"
    " WHERE operator_id = :op AND keep_until < :as_of"
    " AND category IN ('account.login', 'contact.email'))")


def floor(url: str) -> tuple[float, int]:
    engine = make_engine(url)
    try:
        start = time.perf_counter()
        with engine.begin() as connection:
            deleted = connection.execute(text(FLOOR_VALUES),
                                         {"op": OPERATOR, "as_of": AS_OF}).rowcount
            connection.execute(text(FLOOR_LOOKUPS), {"op": OPERATOR, "as_of": AS_OF})
        return time.perf_counter() - start, int(deleted)
    finally:
        engine.dispose()


@dataclass
class Result:
    backend: str
    built: Built
    checked: int
    plan_seconds: float
    run_seconds: float
    floor_seconds: float
    floor_deleted: int
    engine_deleted: int
    shredded: int
    partial: int
    act: str | None
    batch: int

    @property
    def derbes_seconds(self) -> float:
        return self.plan_seconds + self.run_seconds

    @property
    def ratio(self) -> float:
        return self.derbes_seconds / self.floor_seconds


@contextmanager
def _progress() -> Iterator[Progress]:
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        yield progress


def _profiled(path: str | None, fn: Callable[[], Any]) -> Any:
    """``fn()``, under cProfile when ``path`` is given (stats saved there, top lines shown)."""
    if not path:
        return fn()
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    try:
        return profiler.runcall(fn)
    finally:
        profiler.dump_stats(path)
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(25)


def run_backend(backend: str, subjects: int, batch: int, seed: int,
                profile: str | None = None, check: bool = True) -> Result:
    databases = _sqlite_databases() if backend == "sqlite" else _pg_databases()
    with databases as dbs, _progress() as progress:
        migrate.upgrade(dbs.data_url)
        keystore_migrate.upgrade(dbs.keystore_url)
        engine = make_engine(dbs.data_url)
        key_engine = make_engine(dbs.keystore_url)
        clock = FixedClock(NOW)
        try:
            keys = SqlKeyStore(key_engine, LocalKek.generate(), clock=clock)
            keys.ensure_system_keys()
            loaded = load_register(REGISTER_FILE)
            published = registers.publish(SqlUnitOfWork(engine, audit_key=keys.audit_key),
                                          [loaded], clock)[0].stored
            register = loaded.register
            built = build(engine, keys, published, register, subjects, seed, progress, backend)
            checked = check_clocks(engine, keys, register, 200, seed) if check else 0
            engine.dispose()
            floor_url = dbs.snapshot()

            def uow() -> SqlUnitOfWork:
                return SqlUnitOfWork(engine, audit_key=keys.audit_key)

            start = time.perf_counter()
            planned = engine_service.plan(make_context(uow(), None, clock), OPERATOR, AS_OF)
            plan_s = time.perf_counter() - start
            task = progress.add_task(f"{backend}: run", total=planned.subjects)

            def on_progress(p: engine_service.Progress) -> None:
                progress.update(task, completed=p.done)

            start = time.perf_counter()
            report = _profiled(profile and f"{profile}.{backend}", lambda: engine_service.run(
                make_context(uow(), keys, clock, "retention-sweep"), OPERATOR, AS_OF,
                batch_size=batch, on_progress=on_progress))
            run_s = time.perf_counter() - start
            progress.remove_task(task)
            floor_s, floor_deleted = floor(floor_url)
        finally:
            engine.dispose()
            key_engine.dispose()
    record = report.run
    return Result(
        backend=backend, built=built, checked=checked, plan_seconds=plan_s,
        run_seconds=run_s, floor_seconds=floor_s, floor_deleted=floor_deleted,
        engine_deleted=record.values_deleted if record else 0,
        shredded=record.subjects_shredded if record else 0,
        partial=record.subjects_partial if record else 0,
        act=report.act_id, batch=batch)


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
    table = Table(title="Retention sweep: plan + run vs bare DELETE")
    for column in ("backend", "subjects", "due subjects", "values deleted", "plan s", "run s",
                   "derbes s", "floor s", "ratio"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(r.backend, f"{r.built.subjects:,}", f"{r.built.due_subjects:,}",
                      f"{r.engine_deleted:,}", f"{r.plan_seconds:.2f}", f"{r.run_seconds:.1f}",
                      f"{r.derbes_seconds:.1f}", f"{r.floor_seconds:.2f}", f"{r.ratio:.1f}")
    console.print(table)
    console.print(f"machine: {_machine()}")
    for r in results:
        console.print(
            f"{r.backend}: setup {r.built.seconds:.0f} s ({r.built.values:,} sealed values, "
            f"{r.built.events:,} events; {r.checked} subjects re-checked through "
            f"update_clocks); derbes crypto-shredded {r.shredded:,} subjects and deleted "
            f"categories of {r.partial:,}, {r.engine_deleted:,} values, act {r.act}; "
            f"floor deleted {r.floor_deleted:,} values; ratio {r.ratio:.1f} (goal <= 3)")


def append_doc(results: Sequence[Result], argv: Sequence[str]) -> None:
    lines = [
        "",
        f"## Retention sweep — {date.today().isoformat()}",
        "",
        f"`python bench/retention_sweep.py {' '.join(argv)}` on {_machine()}.",
        "derbes = `services.retention.plan` + `services.retention.run` (key store first, "
        f"batches of {results[0].batch:,}, items, audit, destruction act); floor = bare "
        "`DELETE` of the same PD rows (values and their look-ups) chosen by the same clock "
        "index, on a copy of the same database.",
        "",
        "| backend | subjects | due subjects | values deleted | derbes / floor |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r.backend} | {r.built.subjects:,} | {r.built.due_subjects:,} | "
                     f"{r.engine_deleted:,} | {r.ratio:.1f}× "
                     f"({r.derbes_seconds:.1f} s / {r.floor_seconds:.2f} s) |")
    DOC.parent.mkdir(parents=True, exist_ok=True)
    existing = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    DOC.write_text(existing.rstrip("\n") + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    console.print(f"appended to {DOC}")


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=engine_service.MAX_BATCH // 10)
    parser.add_argument("--seed", type=int, default=94)
    parser.add_argument("--no-check", action="store_true", help=(
        "skip recomputing a sample of clocks through update_clocks (both sides still "
        "act on the same stored clocks)"))
    parser.add_argument("--profile", metavar="FILE",
                        help="run the sweep under cProfile; stats to FILE.<backend>")
    parser.add_argument("--append-doc", action="store_true",
                        help="append the figures to docs/benchmarks.md")
    args = parser.parse_args(args_list)
    if args.subjects < 100 or not 1 <= args.batch <= engine_service.MAX_BATCH:
        parser.error("--subjects is at least 100; --batch 1 to "
                     f"{engine_service.MAX_BATCH}")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    results = []
    for backend in backends:
        results.append(run_backend(backend, args.subjects, args.batch, args.seed,
                                   args.profile, not args.no_check))
        done = results[-1]  # printed at once: a long run keeps what it measured
        console.print(f"{backend}: derbes {done.derbes_seconds:.1f} s, floor "
                      f"{done.floor_seconds:.2f} s, ratio {done.ratio:.1f}")
    report(results)
    if args.append_doc:
        append_doc(results, [a for a in args_list if a != "--append-doc"])
    return 0


if __name__ == "__main__":
    sys.exit(main())

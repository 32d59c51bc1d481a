"""Benchmark: answering access requests (Law 94-V Art. 24) against the bare SQL floor.

    python bench/access_request.py [--subjects 1000000] [--requests 1000] \
        [--vault-backend postgresql|sqlite] [--reuse DIR] [--letters 20]

**Build** (skipped when ``--reuse DIR`` holds a complete build of the same size):

* an operator database of Kredit Seven on PostgreSQL, made by
  ``scripts/make_operator_db.py`` (``generate``: clients, applications, loans,
  payments, contacts; about 10 rows per client, loaded by ``COPY``, the
  access-path indexes built after the load), read through the dataset
  ``registers/datasets/kredit-seven-core.yaml``;
* a PD vault holding every client of that database as a subject (IIN, name,
  birth date, phone, e-mail, address, customer id, employer: 6-8 values),
  loaded by the vault's bulk path ``services.vault.add_subjects`` (binary
  ``COPY`` on PostgreSQL) through ``bench/vault_ingest.py``'s helpers, with
  a transfer log (a credit-bureau report per batch of subjects, a state
  body's request for one subject in ten); its key store in a database of
  its own, its KEK in a key file of the build directory.

Both loads run at once: a child process generates and copies the operator
database and hands each batch of clients to this process, which puts them
in the vault. PostgreSQL is a throwaway cluster (``scripts/pg-throwaway``)
in the build directory, unless ``DERBES_BENCH_PG_URL`` names a server.

**Measure**, for ``--requests`` random clients: file an access request by
IIN, verify it (staff saw a document), then time

* **derbes**: ``services.requests.answer_access`` end to end — the request
  started, the vault read (every value decrypted with the subject's data key,
  audited), the operator database walked through the dataset (the production
  store opener, ``stores_from_dir``), the transfer log, purposes, retention,
  recipients, the answer sealed and the request answered (audited);
* **floor**: the bare SQL fetching the same rows on held-open DBAPI
  connections — the subject, its ``pd_values`` and its data key by subject
  id, its transfers, and the clients / applications / contacts / loans /
  payments rows by IIN and keys — with no decryption, no audit, no writes.

The two alternate which runs first, so neither always finds the other's
pages in cache. Every answer is checked against the floor (same number of
vault values and of rows per table). Then, apart: ``--letters`` PDF letters
rendered from answered requests. Finally every SELECT one answer sends is
put through ``EXPLAIN`` on its own database, and the indexes used are
printed, with those of the floor's statements.

Synthetic data only, never real PD. Without ``--reuse`` everything is
removed at the end; with it the build stays (the cluster is stopped).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing as mp
import os
import queue
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from rich.table import Table
from sqlalchemy import Connection, Engine, create_engine, event, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
import vault_ingest  # bench/ is not a package: the ingest benchmark's loaders

from derbes.context import Context, OperatorScope, Rules
from derbes.datasets.adapters.directory import stores_from_dir
from derbes.datasets.model import Dataset
from derbes.platform import migrate
from derbes.platform.db import make_engine, parse_url
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.platform.system_clock import SystemClock
from derbes.register.model.register import Register
from derbes.requests import service as requests_service
from derbes.requests.adapters.letters import render_letter
from derbes.testing.context import context as ctx_of
from derbes.transfers.adapters.store import TransferRecord
from derbes.vault.adapters import keystore_migrate
from derbes.vault.adapters.kek import FileKek
from derbes.vault.adapters.keystore import SqlKeyStore
from derbes.vault.model import Provenance, Source
from derbes.vault.service import subjects as vault_service

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "scripts" / "make_operator_db.py"
PG_THROWAWAY = ROOT / "scripts" / "pg-throwaway"
DATASETS_DIR = ROOT / "registers" / "datasets"
DATASET_FILE = DATASETS_DIR / "kredit-seven-core.yaml"
URL_ENV = "KREDIT_SEVEN_CORE_URL"
OPERATOR = "kredit-seven"
ACTOR = "bench:access_request"
BUILD_FILE = "build.json"
BUILD_VERSION = 1
LANGUAGES = ("ru", "kk", "en")
STATE_BODY_SHARE = 10  # one subject in ten: a state body's request in the transfer log

console = vault_ingest.console


# ------------------------------------------------------------------ the build


@dataclass
class Build:
    """What a build directory holds (``build.json``); enough to reuse it."""

    subjects: int
    seed: int
    vault_backend: str
    batch: int
    pg_port: int | None  # the throwaway cluster's port; None on DERBES_BENCH_PG_URL
    suffix: str  # of the database names
    complete: bool = False
    rows: dict[str, int] = field(default_factory=dict)
    vault_values: int = 0
    transfers: int = 0
    skipped_duplicates: int = 0
    load_seconds: float = 0.0
    version: int = BUILD_VERSION

    def save(self, directory: Path) -> None:
        (directory / BUILD_FILE).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path) -> Build | None:
        path = directory / BUILD_FILE
        if not path.is_file():
            return None
        data = json.loads(path.read_text())
        if data.get("version") != BUILD_VERSION:
            return None
        return cls(**data)


@dataclass
class Urls:
    operator: str
    vault: str
    keystore: str


def _pg_bindir() -> Path:
    given = os.environ.get("DERBES_PG_BINDIR")
    if given:
        return Path(given)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                   else 0)
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl is None:
        raise SystemExit("no PostgreSQL server binaries (Debian: apt-get install postgresql)")
    return Path(pg_ctl).parent


@contextmanager
def _cluster(directory: Path, port: int, *, keep: bool) -> Iterator[str]:
    """A throwaway cluster in ``directory/pg``; stopped at the end, deleted unless ``keep``."""
    env = {**os.environ, "DERBES_PG_DIR": str(directory / "pg"), "DERBES_PG_PORT": str(port)}
    started = subprocess.run(["bash", str(PG_THROWAWAY), "start"], env=env, check=False,
                             capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if started.returncode != 0:
        raise SystemExit(f"cannot start a throwaway PostgreSQL: {started.stderr.strip()}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        if keep:
            # pg-throwaway's stop deletes the directory: stop the server only.
            command = [str(_pg_bindir() / "pg_ctl"), "-D", str(directory / "pg" / "data"),
                       "-m", "fast", "-w", "stop"]
            if os.geteuid() == 0:
                command = ["runuser", "-u", "postgres", "--", *command]
            subprocess.run(command, check=False, capture_output=True, stdin=subprocess.DEVNULL)
        else:
            subprocess.run(["bash", str(PG_THROWAWAY), "stop"], env=env, check=False,
                           capture_output=True, stdin=subprocess.DEVNULL)


def _admin(url: str) -> Engine:
    return create_engine(parse_url(url), isolation_level="AUTOCOMMIT")


def _database_url(server: str, name: str) -> str:
    return parse_url(server).set(database=name).render_as_string(hide_password=False)


def _names(build: Build) -> dict[str, str]:
    names = {"operator": f"k7_core_{build.suffix}"}
    if build.vault_backend == "postgresql":
        names |= {"vault": f"derbes_{build.suffix}", "keystore": f"derbes_keys_{build.suffix}"}
    return names


def _urls(build: Build, server: str, directory: Path) -> Urls:
    names = _names(build)
    if build.vault_backend == "postgresql":
        return Urls(_database_url(server, names["operator"]), _database_url(server, names["vault"]),
                    _database_url(server, names["keystore"]))
    return Urls(_database_url(server, names["operator"]),
                f"sqlite:///{directory / 'vault.sqlite3'}",
                f"sqlite:///{directory / 'keys.sqlite3'}")


def _tune(server: str) -> None:
    """A throwaway cluster of our own: more memory for index builds, fewer checkpoints."""
    admin = _admin(server)
    try:
        with admin.connect() as connection:
            connection.execute(text("ALTER SYSTEM SET maintenance_work_mem = '512MB'"))
            connection.execute(text("ALTER SYSTEM SET max_wal_size = '8GB'"))
            connection.execute(text("SELECT pg_reload_conf()"))
    finally:
        admin.dispose()


def _create_databases(server: str, build: Build) -> None:
    admin = _admin(server)
    try:
        with admin.connect() as connection:
            for name in _names(build).values():
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                connection.execute(text(f"CREATE DATABASE {name}"))
    finally:
        admin.dispose()


def _drop_databases(server: str, build: Build) -> None:
    admin = _admin(server)
    try:
        with admin.connect() as connection:
            for name in _names(build).values():
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        admin.dispose()


# ------------------------------------------------------- the operator database


def _generator() -> ModuleType:
    """``scripts/make_operator_db.py`` as a module (it is not part of the package)."""
    name = "make_operator_db"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, GENERATOR)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {GENERATOR}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# What the vault gets of a client row (positions in make_operator_db's clients tuple).
_C_ID, _C_IIN, _C_LAST, _C_FIRST, _C_PATRONYMIC, _C_BIRTH = 0, 1, 2, 3, 4, 5
_C_PHONE, _C_EMAIL, _C_REGISTRATION, _C_EMPLOYER = 7, 8, 10, 14


def _operator_loader(url: str, clients: int, seed: int, batch: int, out: Any,
                     loaded: Any) -> None:
    """Child process: generate and COPY the operator database; hand each batch's clients
    to the parent (the vault's subjects). Ends with ("done", rows) or ("error", text)."""
    try:
        generator = _generator()

        def progress(count: int, rows: Mapping[str, list[tuple[Any, ...]]]) -> None:
            out.put(("clients", [
                (r[_C_ID], r[_C_IIN], r[_C_LAST], r[_C_FIRST], r[_C_PATRONYMIC], r[_C_BIRTH],
                 r[_C_PHONE], r[_C_EMAIL], r[_C_REGISTRATION], r[_C_EMPLOYER])
                for r in rows["clients"]]))
            with loaded.get_lock():
                loaded.value += count

        counts = generator.generate(url, clients, seed=seed, batch_size=batch,
                                    progress=progress)
        out.put(("done", dict(counts)))
    except BaseException:  # reported to the parent, which stops the run
        out.put(("error", traceback.format_exc()))


# ------------------------------------------------------------------ the vault


class VaultLoader:
    """Clients of the operator database into the vault (``add_subjects``), with transfers."""

    def __init__(self, engine: Engine, keys: SqlKeyStore, register: Register,
                 clock: SystemClock) -> None:
        self._engine = engine
        self._keys = keys
        self._register = register
        self._clock = clock
        self._provenance = Provenance(source=Source.SUBJECT, purposes=(),
                                      method="personal cabinet",
                                      collected_at=datetime(2025, 9, 1, 9, 0, tzinfo=UTC))
        # The vault keeps one subject per phone and per e-mail (blind-index look-ups);
        # the generated clients sometimes share one: later ones go without it.
        self._phones: set[str] = set()
        self._emails: set[str] = set()
        self.values = 0
        self.transfers = 0
        self.skipped = 0
        self._batches = 0

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._engine, audit_key=self._keys.audit_key)

    def _person(self, client: Sequence[Any]) -> vault_ingest.Person:
        (cid, iin, last, first, patronymic, birth, phone, email, registration,
         employer) = client
        values: list[tuple[str, str]] = [
            ("identity.iin", iin),
            ("identity.full_name", " ".join(p for p in (last, first, patronymic) if p)),
            ("identity.birth_date", birth),
            ("account.customer_id", str(cid)),
            ("address.registration", registration),
        ]
        if phone in self._phones:
            self.skipped += 1
        else:
            self._phones.add(phone)
            values.append(("contact.phone", phone))
        if email is not None:
            if email in self._emails:
                self.skipped += 1
            else:
                self._emails.add(email)
                values.append(("contact.email", email))
        if employer is not None:
            values.append(("employment.details", employer))
        return vault_ingest.Person(tuple(values))

    def add(self, clients: Sequence[Sequence[Any]]) -> None:
        people = [self._person(c) for c in clients]
        self.values += sum(len(p.values) for p in people)
        new = vault_ingest._new_subjects(people, self._provenance)
        ids = vault_service.add_subjects(ctx_of(self.uow(), self._keys, self._clock, ACTOR),
                                         self._register, new)
        self._transfers(ids)

    def _transfers(self, ids: Sequence[str]) -> None:
        """The batch's monthly credit-bureau report; a state body's request for some."""
        self._batches += 1
        month = 1 + self._batches % 12
        records = [TransferRecord(
            id=str(uuid.uuid4()), at=datetime(2025, month, 5, 3, 0, tzinfo=UTC), actor=ACTOR,
            operator_id=OPERATOR, recipient_id="credit_bureaus",
            purpose="credit_bureau_reporting",
            categories=("identity.iin", "identity.full_name", "identity.birth_date",
                        "financial.loan"),
            basis_kind="legal_obligation", consent_ids={s: () for s in ids},
            law_citation="Law on credit bureaus and formation of credit histories No. 573-II, "
                         "Art. 18")]
        chosen = ids[::STATE_BODY_SHARE]
        if chosen:
            records.append(TransferRecord(
                id=str(uuid.uuid4()), at=datetime(2025, month, 20, 8, 30, tzinfo=UTC),
                actor=ACTOR, operator_id=OPERATOR, recipient_id="state_bodies",
                purpose="state_requests", categories=("identity.iin", "identity.full_name"),
                basis_kind="state_request", consent_ids={s: () for s in chosen},
                law_citation="Law 94-V Art. 9 p.2", state_body="Department of Economic "
                "Investigations, Almaty", request_number=f"DEI-{self._batches:05d}",
                request_date=date(2025, month, 18)))
        with self.uow() as uow:
            for record in records:
                uow.transfers.add(record)
            uow.commit()
        self.transfers += sum(len(r.consent_ids) for r in records)


def _keystore(directory: Path, url: str, clock: SystemClock) -> tuple[Engine, SqlKeyStore]:
    kek_file = directory / "kek.key"
    kek = FileKek(kek_file) if kek_file.exists() else FileKek.create(kek_file)
    engine = make_engine(url)
    return engine, SqlKeyStore(engine, kek, clock=clock)


def build(directory: Path, build_: Build, urls: Urls, clock: SystemClock) -> Build:
    """Load the operator database (child process) and the vault (here) at the same time."""
    began = time.perf_counter()
    migrate.upgrade(urls.vault)
    keystore_migrate.upgrade(urls.keystore)
    engine = make_engine(urls.vault)
    key_engine, keys = _keystore(directory, urls.keystore, clock)
    keys.ensure_system_keys()
    context = mp.get_context("spawn")
    out: Any = context.Queue()
    loaded: Any = context.Value("q", 0)
    child = context.Process(target=_operator_loader, name="operator-db",
                            args=(urls.operator, build_.subjects, build_.seed, build_.batch,
                                  out, loaded), daemon=True)
    child.start()
    try:
        register = vault_ingest._register(engine, clock, keys)
        loader = VaultLoader(engine, keys, register, clock)
        rows: dict[str, int] | None = None
        done = 0
        with vault_ingest._progress() as progress:
            op_task = progress.add_task("operator DB: generate + COPY", total=build_.subjects)
            vault_task = progress.add_task("vault: add_subjects", total=build_.subjects)
            while rows is None:
                progress.update(op_task, completed=loaded.value)
                try:
                    kind, payload = out.get(timeout=1.0)
                except queue.Empty:
                    if not child.is_alive():
                        raise SystemExit(f"the operator-database loader died "
                                         f"(exit code {child.exitcode})") from None
                    if loaded.value >= build_.subjects:
                        progress.update(op_task, description="operator DB: indexes, "
                                        "foreign keys, ANALYZE")
                    continue
                if kind == "error":
                    raise SystemExit(f"the operator-database loader failed:\n{payload}")
                if kind == "done":
                    rows = payload
                    progress.update(op_task, completed=build_.subjects,
                                    description="operator DB: done")
                    continue
                loader.add(payload)
                done += len(payload)
                rate = done / (time.perf_counter() - began)
                progress.update(vault_task, completed=done,
                                description=f"vault: add_subjects  {rate:,.0f} subjects/s")
        child.join()
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                connection.execute(text("ANALYZE"))
                connection.commit()
        key_engine_pg = key_engine.dialect.name == "postgresql"
        if key_engine_pg:
            with key_engine.connect() as connection:
                connection.execute(text("ANALYZE"))
                connection.commit()
    finally:
        if child.is_alive():
            child.kill()
        engine.dispose()
        key_engine.dispose()
    build_.rows = rows
    build_.vault_values = loader.values
    build_.transfers = loader.transfers
    build_.skipped_duplicates = loader.skipped
    build_.load_seconds = time.perf_counter() - began
    build_.complete = True
    build_.save(directory)
    return build_


# ------------------------------------------------------------------ the floor


@dataclass
class Floor:
    """Bare SQL on held-open DBAPI connections: the rows an answer reads, nothing else."""

    vault: Any
    keystore: Any
    operator: Any
    dataset: Dataset
    sqlite_vault: bool
    statements: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        mark = "?" if self.sqlite_vault else "%s"
        cols = {t: ", ".join(self.dataset.needed_columns(t)) for t in self.dataset.tables}
        self.statements = {
            "vault: subject": f"SELECT * FROM subjects WHERE id = {mark}",
            "vault: values": f"SELECT * FROM pd_values WHERE subject_id = {mark}",
            "vault: transfers": (
                "SELECT t.*, ts.consent_ids FROM transfer_subjects ts JOIN transfers t "
                f"ON t.id = ts.transfer_id WHERE ts.subject_id = {mark} "
                "ORDER BY t.at DESC, t.id LIMIT 1000"),
            "key store: data key": (
                f"SELECT kek_id, wrapped FROM data_keys WHERE subject_id = {mark}"),
            "operator: clients": f"SELECT {cols['clients']} FROM clients WHERE iin = %s",
            "operator: applications": (
                f"SELECT {cols['applications']} FROM applications WHERE client_id = ANY(%s)"),
            "operator: contacts": (
                f"SELECT {cols['contacts']} FROM contacts WHERE client_id = ANY(%s)"),
            "operator: loans": (
                f"SELECT {cols['loans']} FROM loans WHERE application_id = ANY(%s)"),
            "operator: payments": (
                f"SELECT {cols['payments']} FROM payments WHERE loan_id = ANY(%s)"),
        }

    def _all(self, connection: Any, name: str, params: Sequence[Any]) -> list[Any]:
        cursor = connection.cursor()
        try:
            cursor.execute(self.statements[name], params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def fetch(self, subject_id: str, iin: str) -> dict[str, int]:
        """Rows per source for one subject (the vault's values, the store's tables)."""
        counts: dict[str, int] = {}
        self._all(self.vault, "vault: subject", (subject_id,))
        counts["vault"] = len(self._all(self.vault, "vault: values", (subject_id,)))
        counts["transfers"] = len(self._all(self.vault, "vault: transfers", (subject_id,)))
        self._all(self.keystore, "key store: data key", (subject_id,))
        clients = self._all(self.operator, "operator: clients", (iin,))
        client_ids = [r[0] for r in clients]
        applications = self._all(self.operator, "operator: applications", (client_ids,))
        contacts = self._all(self.operator, "operator: contacts", (client_ids,))
        loans = self._all(self.operator, "operator: loans", ([r[0] for r in applications],))
        payments = self._all(self.operator, "operator: payments", ([r[0] for r in loans],))
        counts |= {"clients": len(clients), "applications": len(applications),
                   "contacts": len(contacts), "loans": len(loans), "payments": len(payments)}
        return counts


def _raw(engine: Engine) -> Any:
    """A DBAPI connection in autocommit: every floor query stands alone."""
    raw = engine.raw_connection()
    driver = raw.driver_connection
    if engine.dialect.name == "postgresql":
        driver.autocommit = True  # type: ignore[union-attr]
    return raw


# ------------------------------------------------------------------ EXPLAIN


@dataclass
class Captured:
    url: str
    statement: str
    parameters: Any


@contextmanager
def _capture() -> Iterator[list[Captured]]:
    """Every statement any engine sends while the block runs."""
    seen: list[Captured] = []

    def listener(conn: Connection, cursor: Any, statement: str, parameters: Any,
                 context: Any, executemany: bool) -> None:
        if not executemany:
            seen.append(Captured(conn.engine.url.render_as_string(hide_password=False),
                                 statement, parameters))

    event.listen(Engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", listener)


def _pg_accesses(plan: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    node_type = str(plan.get("Node Type", ""))
    relation = plan.get("Relation Name")
    index = plan.get("Index Name")
    if index is not None:
        out.append(f"{relation or '?'}: {node_type} using {index}")
    elif relation is not None and "Scan" in node_type:
        out.append(f"{relation}: {node_type}")
    for child in plan.get("Plans", ()) or ():
        out += _pg_accesses(child)
    return out


_SQLITE_INDEX = re.compile(r"(SCAN|SEARCH) (\w+)(?: AS \w+)?(?: USING (?:COVERING )?"
                           r"(INDEX \w+|INTEGER PRIMARY KEY|PRIMARY KEY))?")


def _explain(connection: Connection, statement: str, parameters: Any) -> list[str]:
    """The tables a SELECT reads and how (index name, or the scan)."""
    if connection.dialect.name == "postgresql":
        rows = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        plan = rows.scalar_one()
        document = json.loads(plan) if isinstance(plan, str) else plan
        return _pg_accesses(document[0]["Plan"])
    rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
    out: list[str] = []
    for row in rows:
        found = _SQLITE_INDEX.search(str(row[-1]))
        if found:
            how = found.group(3) or "full scan"
            out.append(f"{found.group(2)}: {found.group(1)} {how}")
    return out


_TABLE = re.compile(r"\bFROM\s+\"?(\w+)\"?", re.IGNORECASE)


def explain_all(captured: Sequence[Captured], engines: Mapping[str, tuple[str, Engine]]
                ) -> list[tuple[str, str, int, list[str]]]:
    """(database, statement head, times sent, accesses) per distinct SELECT of one answer."""
    distinct: dict[tuple[str, str], tuple[Captured, int]] = {}
    for c in captured:
        head = c.statement.lstrip().split(None, 1)[0].upper() if c.statement.strip() else ""
        if head not in ("SELECT", "WITH") or c.url not in engines:
            continue
        key = (c.url, c.statement)
        first, count = distinct.get(key, (c, 0))
        distinct[key] = (first, count + 1)
    out: list[tuple[str, str, int, list[str]]] = []
    for (url, statement), (first, count) in distinct.items():
        name, engine = engines[url]
        with engine.connect() as connection:
            try:
                accesses = _explain(connection, statement, first.parameters)
            finally:
                connection.rollback()
        tables = ", ".join(dict.fromkeys(_TABLE.findall(statement))) or "?"
        out.append((name, tables, count, accesses))
    return out


# ------------------------------------------------------------------ the run


@dataclass
class Sample:
    client_id: int
    iin: str


@dataclass
class Timings:
    answer_ms: list[float] = field(default_factory=list)
    floor_ms: list[float] = field(default_factory=list)
    letter_ms: list[float] = field(default_factory=list)
    values: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    explained: list[tuple[str, str, int, list[str]]] = field(default_factory=list)
    floor_explained: list[tuple[str, str, int, list[str]]] = field(default_factory=list)
    seconds: float = 0.0


def _samples(operator_url: str, clients: int, count: int, rng: random.Random) -> list[Sample]:
    ids = rng.sample(range(1, clients + 1), min(count, clients))
    engine = create_engine(parse_url(operator_url))
    try:
        with engine.connect() as connection:
            found: dict[int, str] = dict(connection.execute(
                text("SELECT id, iin FROM clients WHERE id = ANY(:ids)"), {"ids": ids}).all())
    finally:
        engine.dispose()
    return [Sample(int(i), str(found[i])) for i in ids]


def _ctx(uow: Callable[[], SqlUnitOfWork], keys: SqlKeyStore, clock: SystemClock,
         operator: str | None = None) -> Context:
    """A use case's context on the bench's databases, with the shipped rule tables."""
    return Context(uow=uow(), keys=lambda: keys, clock=clock, rules=_rules(), actor=ACTOR,
                   scope=OperatorScope.every() if operator is None
                   else OperatorScope.only(operator))


_RULES: list[Rules] = []


def _rules() -> Rules:
    if not _RULES:
        from derbes.bootstrap import Container
        from derbes.settings import Settings

        _RULES.append(Container(settings=Settings(regime_file=None)).rules)
    return _RULES[0]


def _file(uow: Callable[[], SqlUnitOfWork], keys: SqlKeyStore, clock: SystemClock,
          sample: Sample, language: str) -> str:

    request = requests_service.file_request(_ctx(uow, keys, clock), requests_service.NewRequest(
        operator_id=OPERATOR, type="access", language=language,
        identifiers={"iin": sample.iin}))
    if request.subject_id is None:
        raise SystemExit(f"client {sample.client_id} is not in the vault")
    requests_service.verify_by_staff(_ctx(uow, keys, clock), request.id, "ID card 043912345",
                                     reason="the bench's clerk saw the card")
    return request.id


def _check(answer: Mapping[str, Any], floor: Mapping[str, int], client_id: int) -> None:
    """The answer lists exactly the rows the floor fetched."""
    values = sum(1 for c in answer["categories"] for v in c["values"] if v["where"] == "vault")
    stores = {s["store"]: s["rows"] for s in answer["stores"]}
    rows = stores.get("kredit-seven-core", {})
    wanted = {t: floor[t] for t in ("clients", "applications", "contacts", "loans", "payments")}
    if (values != floor["vault"] or dict(rows) != wanted
            or len(answer["transfers"]) != floor["transfers"]):
        raise SystemExit(
            f"client {client_id}: the answer and the floor disagree: vault values "
            f"{values} / {floor['vault']}, rows {dict(rows)} / {wanted}, transfers "
            f"{len(answer['transfers'])} / {floor['transfers']}")


def measure(directory: Path, build_: Build, urls: Urls, clock: SystemClock, requests: int,
            warmup: int, letters: int, seed: int) -> Timings:
    began = time.perf_counter()
    timings = Timings()
    rng = random.Random(seed + 1)
    samples = _samples(urls.operator, build_.subjects, warmup + requests, rng)
    opener = stores_from_dir(DATASETS_DIR, {URL_ENV: urls.operator})
    with ExitStack() as stack:
        engine = make_engine(urls.vault)
        stack.callback(engine.dispose)
        key_engine, keys = _keystore(directory, urls.keystore, clock)
        stack.callback(key_engine.dispose)
        op_engine = create_engine(parse_url(urls.operator))
        stack.callback(op_engine.dispose)

        def uow() -> SqlUnitOfWork:
            return SqlUnitOfWork(engine, audit_key=keys.audit_key)

        dataset = _dataset()
        raws = [_raw(engine), _raw(key_engine), _raw(op_engine)]
        for raw in raws:
            stack.callback(raw.close)
        floor = Floor(vault=raws[0], keystore=raws[1], operator=raws[2], dataset=dataset,
                      sqlite_vault=engine.dialect.name == "sqlite")
        answered: list[tuple[str, str]] = []
        with vault_ingest._progress() as progress:
            task = progress.add_task("access requests", total=warmup + requests)
            for index, sample in enumerate(samples):
                language = LANGUAGES[index % len(LANGUAGES)]
                request_id = _file(uow, keys, clock, sample, language)
                floor_first = index % 2 == 1
                if floor_first:
                    subject = _subject_of(engine, request_id)
                    floor_rows, floor_s = _timed_floor(floor, subject, sample.iin)
                start = time.perf_counter()
                result = requests_service.answer_access(
                    _ctx(uow, keys, clock, OPERATOR), request_id, stores=opener)
                answer_s = time.perf_counter() - start
                if not floor_first:
                    subject = result.request.subject_id or ""
                    floor_rows, floor_s = _timed_floor(floor, subject, sample.iin)
                _check(result.answer, floor_rows, sample.client_id)
                if index >= warmup:
                    timings.answer_ms.append(answer_s * 1000)
                    timings.floor_ms.append(floor_s * 1000)
                    timings.values.append(floor_rows["vault"])
                    timings.rows.append(sum(v for k, v in floor_rows.items()
                                            if k not in ("vault", "transfers")))
                    answered.append((request_id, language))
                if index % 10 == 0 or index == len(samples) - 1:
                    progress.update(task, completed=index + 1, description=(
                        f"access requests  answer p50 {_p(timings.answer_ms, 50):.1f} ms  "
                        f"floor p50 {_p(timings.floor_ms, 50):.2f} ms"))
            if letters:
                task = progress.add_task("PDF letters", total=min(letters, len(answered)))
                for request_id, language in answered[:letters]:
                    l0 = time.perf_counter()
                    pdf = requests_service.letter(_ctx(uow, keys, clock, OPERATOR), request_id,
                                                  render_letter, "pdf", language)
                    timings.letter_ms.append((time.perf_counter() - l0) * 1000)
                    if not pdf.startswith(b"%PDF"):
                        raise SystemExit("a letter is not a PDF")
                    progress.advance(task)
        # One more answer, not timed, for a client with every kind of row: its statements.
        busy = _busy_client(op_engine, build_.subjects, rng)
        request_id = _file(uow, keys, clock, busy, "ru")
        with _capture() as seen:
            requests_service.answer_access(_ctx(uow, keys, clock, OPERATOR), request_id,
                                           stores=opener)
        timings.explained = explain_all(seen, {
            engine.url.render_as_string(hide_password=False): ("vault", engine),
            key_engine.url.render_as_string(hide_password=False): ("key store", key_engine),
            op_engine.url.render_as_string(hide_password=False): ("operator", op_engine),
        })
        timings.floor_explained = _explain_floor(floor, busy, engine, key_engine, op_engine)
    timings.seconds = time.perf_counter() - began
    return timings


def _busy_client(engine: Engine, clients: int, rng: random.Random) -> Sample:
    """A random client with a loan, payments and contacts."""
    with engine.connect() as connection:
        row = connection.execute(text(
            "SELECT c.id, c.iin FROM clients c JOIN applications a ON a.client_id = c.id "
            "JOIN loans l ON l.application_id = a.id JOIN payments p ON p.loan_id = l.id "
            "JOIN contacts k ON k.client_id = c.id WHERE c.id >= :start "
            "ORDER BY c.id LIMIT 1"), {"start": rng.randrange(1, max(2, clients - 1000))}
        ).one()
    return Sample(int(row[0]), str(row[1]))


def _subject_of(engine: Engine, request_id: str) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text("SELECT subject_id FROM subject_requests "
                                           "WHERE id = :r"), {"r": request_id}).scalar_one())


def _timed_floor(floor: Floor, subject_id: str, iin: str) -> tuple[dict[str, int], float]:
    start = time.perf_counter()
    rows = floor.fetch(subject_id, iin)
    return rows, time.perf_counter() - start


def _explain_floor(floor: Floor, sample: Sample, engine: Engine, key_engine: Engine,
                   op_engine: Engine) -> list[tuple[str, str, int, list[str]]]:
    out: list[tuple[str, str, int, list[str]]] = []
    with op_engine.connect() as connection:
        client = connection.execute(text("SELECT id FROM clients WHERE iin = :i"),
                                    {"i": sample.iin}).scalar_one()
    subject = "00000000-0000-0000-0000-000000000000"
    params: dict[str, tuple[Any, ...]] = {
        "operator: clients": (sample.iin,), "operator: applications": ([client],),
        "operator: contacts": ([client],), "operator: loans": ([client],),
        "operator: payments": ([client],),
    }
    for name, statement in floor.statements.items():
        where = name.split(":", 1)[0]
        target = {"vault": engine, "key store": key_engine, "operator": op_engine}[where]
        with target.connect() as connection:
            try:
                accesses = _explain(connection, statement, params.get(name, (subject,)))
            finally:
                connection.rollback()
        out.append((where, name.split(": ", 1)[1], 1, accesses))
    return out


def _dataset() -> Dataset:
    from derbes.datasets.adapters.yaml import load_dataset
    from derbes.register.adapters.yaml import load_register

    register = load_register(vault_ingest.REGISTER_FILE).register
    return load_dataset(DATASET_FILE, register).dataset


# ------------------------------------------------------------------ report


def _p(samples: Sequence[float], q: int) -> float:
    return float(vault_ingest._percentile(samples, q)) if samples else float("nan")


def report(build_: Build, timings: Timings, vault_backend: str, reused: bool) -> None:
    rows = sum(build_.rows.values())
    table = Table(title=f"Access requests: {len(timings.answer_ms):,} answers, "
                        f"{build_.subjects:,} subjects")
    for column in ("measure", "p50 ms", "p95 ms", "mean ms", "max ms"):
        table.add_column(column, justify="right")
    lines = [("derbes answer_access", timings.answer_ms), ("floor: bare SQL", timings.floor_ms)]
    if timings.letter_ms:
        lines.append(("PDF letter (apart)", timings.letter_ms))
    for name, samples in lines:
        table.add_row(name, f"{_p(samples, 50):.2f}", f"{_p(samples, 95):.2f}",
                      f"{statistics.fmean(samples):.2f}", f"{max(samples):.2f}")
    console.print(table)
    p50 = _p(timings.answer_ms, 50) / _p(timings.floor_ms, 50)
    p95 = _p(timings.answer_ms, 95) / _p(timings.floor_ms, 95)
    goal = "met" if _p(timings.answer_ms, 95) <= 100 else "NOT met"
    console.print(
        f"ratio derbes / floor: p50 {p50:.1f}x, p95 {p95:.1f}x; goal p95 <= 100 ms: {goal}; "
        f"per answer {statistics.fmean(timings.values):.1f} vault values and "
        f"{statistics.fmean(timings.rows):.1f} operator rows on average")
    console.print(
        f"build: {build_.subjects:,} vault subjects ({build_.vault_values:,} values, "
        f"{build_.transfers:,} transfer-log entries, {build_.skipped_duplicates:,} shared "
        f"phones/e-mails left out), operator DB {rows:,} rows "
        f"({', '.join(f'{t} {n:,}' for t, n in build_.rows.items())}); vault on "
        f"{vault_backend}; " + (f"reused (built in {build_.load_seconds / 60:.1f} min)"
                                if reused else f"built in {build_.load_seconds / 60:.1f} min"))
    console.print(f"measured in {timings.seconds / 60:.1f} min; machine: "
                  f"{vault_ingest._machine()}")
    for title, explained in (("Indexes of derbes's access path (EXPLAIN of every SELECT one "
                              "answer sends)", timings.explained),
                             ("Indexes of the floor's statements", timings.floor_explained)):
        plan = Table(title=title)
        for column in ("database", "statement (tables)", "sent", "access"):
            plan.add_column(column)
        for where, tables, count, accesses in explained:
            plan.add_row(where, tables, str(count), "; ".join(accesses) or "(no table)")
        console.print(plan)


# ------------------------------------------------------------------ main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--vault-backend", choices=("postgresql", "sqlite"),
                        default="postgresql")
    parser.add_argument("--reuse", type=Path, metavar="DIR",
                        help="build directory: reused when it holds a complete build of the "
                             "same size and backend, else built there and kept")
    parser.add_argument("--warmup", type=int, default=20,
                        help="answers before the measured ones (not counted)")
    parser.add_argument("--letters", type=int, default=20,
                        help="PDF letters rendered apart (0: none)")
    parser.add_argument("--batch", type=int, default=5_000, help="clients per load batch")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.subjects < 1 or args.requests < 1 or args.warmup < 0 or args.letters < 0:
        parser.error("--subjects and --requests are at least 1")
    if args.warmup + args.requests > args.subjects:
        parser.error("--warmup + --requests must not exceed --subjects")
    clock = SystemClock()
    keep = args.reuse is not None
    directory = args.reuse.resolve() if keep else Path(tempfile.mkdtemp(prefix="derbes-ar-"))
    directory.mkdir(parents=True, exist_ok=True)
    if not keep:
        directory.chmod(0o755)  # as root, the cluster runs as 'postgres': it must get in
    given_server = os.environ.get("DERBES_BENCH_PG_URL")
    previous = Build.load(directory)
    reused = (previous is not None and previous.complete
              and previous.subjects == args.subjects
              and previous.vault_backend == args.vault_backend
              and (previous.pg_port is None) == bool(given_server))
    if reused and previous is not None:
        build_ = previous
    else:
        if previous is not None:
            console.print(f"[yellow]{directory} holds another or an unfinished build: "
                          "building again[/]")
            if given_server and previous.pg_port is None:
                _drop_databases(given_server, previous)
            _discard(directory)
        build_ = Build(subjects=args.subjects, seed=args.seed,
                       vault_backend=args.vault_backend, batch=args.batch,
                       pg_port=None if given_server else 56000 + secrets.randbelow(1000),
                       suffix=secrets.token_hex(4))
        build_.save(directory)
    try:
        with ExitStack() as stack:
            if given_server:
                server = given_server
            else:
                assert build_.pg_port is not None
                server = stack.enter_context(_cluster(directory, build_.pg_port, keep=keep))
                _tune(server)
            if not keep:
                stack.callback(_drop_databases, server, build_)
            urls = _urls(build_, server, directory)
            if not reused:
                _create_databases(server, build_)
                console.print(f"building in {directory}: {args.subjects:,} subjects, vault on "
                              f"{args.vault_backend}")
                build_ = build(directory, build_, urls, clock)
            timings = measure(directory, build_, urls, clock, args.requests, args.warmup,
                              args.letters, args.seed)
        report(build_, timings, args.vault_backend, reused)
    finally:
        if not keep:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


def _discard(directory: Path) -> None:
    for name in (BUILD_FILE, "kek.key", "vault.sqlite3", "keys.sqlite3"):
        (directory / name).unlink(missing_ok=True)
    env = {**os.environ, "DERBES_PG_DIR": str(directory / "pg")}
    if (directory / "pg").exists():
        subprocess.run(["bash", str(PG_THROWAWAY), "stop"], env=env, check=False,
                       capture_output=True, stdin=subprocess.DEVNULL)


if __name__ == "__main__":
    sys.exit(main())

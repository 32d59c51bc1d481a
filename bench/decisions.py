"""Benchmark: the decision point, in process and over HTTP, against trivial baselines.

    python bench/decisions.py [--subjects 100000] [--actions 1000000] [--http]
                              [--batch 10000] [--seconds 15] [--clients 4]

In process (always): the Express Аванс register compiled once; 100,000
synthetic subjects with mixed consents (processing for some consent
purposes, transfer and cross-border consents, withdrawn and expired ones,
re-consent marks, open contracts, a few blocked subjects, blocked and
destroyed categories), reduced to states by the real ``state_of``; one
million random actions (use / transfer / cross_border / publish on
categories mostly, not always, needed). After a warm-up pass, timed:

* **derbes decide**: ``decisions.model.decide_many`` (index + states);
* **derbes DecisionPoint**: the same through ``DecisionPoint.decide`` with
  its state cache warm (what an in-process caller runs), batch by batch;
* **baseline**: a trivial loop over the same inputs doing one dict look-up
  of the subject and one of the purpose per action.

Printed: decisions/s of each and the ratios to the baseline.

Cold states (``--cold N``): the same subjects as rows in a temporary SQLite
database, and ``DecisionPoint`` with its cache off (``ttl=0``), so every
batch loads and checks the states of its subjects from the database (what a
caller pays the first time it asks about a subject, and what the transfer log
pays always). N actions in batches of ``--batch``. Printed: decisions/s, and
states loaded per second.

Over HTTP (``--http``): the same subjects and consents inserted as rows into
a temporary SQLite database (the tables the decision point reads; no PD
values are needed to decide), a real uvicorn server with 2 workers on
127.0.0.1, an API key, and batches of ``--batch`` actions posted by
``--clients`` keep-alive connections for ``--seconds`` each:

* **derbes**: ``POST /v1/decisions``, states cached for the default 2 s;
* **echo baseline**: an endpoint added by this script to the same server
  that validates the same request model and returns the body untouched.

Printed: decisions/s of both, derbes / echo, and derbes HTTP / in process.
Everything runs on the same machine (the clients share its cores with the
server). Synthetic ids only, never real PD.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from rich.console import Console
from rich.table import Table
from starlette.concurrency import run_in_threadpool

from derbes.consent.model.consent import ScopeKind
from derbes.decisions.adapters.rules import load_decision_rules
from derbes.decisions.api import DecisionsIn, Reader, parse_compact
from derbes.decisions.model import (
    Action,
    ActionKind,
    ConsentFact,
    ConsentTimes,
    DecisionIndex,
    SubjectFacts,
    SubjectState,
    consent_fact,
    state_of,
)
from derbes.register.adapters.yaml import load_register
from derbes.register.model.register import Register
from derbes.vault.adapters.key_files import KEY_FILES

ROOT = Path(__file__).resolve().parents[1]
REGISTER = ROOT / "registers" / "express-avans.yaml"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
console = Console(highlight=False)


# ------------------------------------------------------------------ data


@dataclass(frozen=True)
class SubjectSpec:
    id: str
    blocked: bool
    blocked_categories: tuple[str, ...]
    open_contract: bool
    consents: tuple[tuple[str, ScopeKind, tuple[str, ...], tuple[str, ...], datetime,
                          datetime | None, datetime | None, datetime | None], ...]
    # (id, scope, purposes, recipients, given_at, valid_until, withdrawn_at, reconsent)


def make_subjects(register: Register, n: int, rnd: random.Random) -> list[SubjectSpec]:
    consent_purposes = [p.id for p in register.purposes.values()
                        if p.consent_required or p.basis.kind.value == "consent"]
    recipients = list(register.recipients)
    abroad = [r.id for r in register.recipients.values() if r.cross_border]
    categories = list(register.used_categories)
    out: list[SubjectSpec] = []
    for _ in range(n):
        sid = str(uuid.UUID(int=rnd.getrandbits(128)))
        consents = []
        given = NOW - timedelta(days=rnd.randint(1, 400))
        roll = rnd.random()
        if roll < 0.7:  # most subjects consented to some purposes
            purposes = tuple(rnd.sample(consent_purposes, rnd.randint(1, len(consent_purposes))))
            withdrawn = given + timedelta(days=1) if rnd.random() < 0.1 else None
            until = NOW - timedelta(days=1) if rnd.random() < 0.05 else None
            reconsent = given + timedelta(hours=1) if rnd.random() < 0.05 else None
            consents.append((str(uuid.uuid4()), ScopeKind.PROCESSING, purposes, (), given,
                             until, withdrawn, reconsent))
        if roll < 0.5:
            chosen = tuple(rnd.sample(recipients, rnd.randint(1, 3)))
            consents.append((str(uuid.uuid4()), ScopeKind.THIRD_PARTY_TRANSFER, (), chosen,
                             given, None, None, None))
        if roll < 0.15 and abroad:
            consents.append((str(uuid.uuid4()), ScopeKind.CROSS_BORDER_TRANSFER, (),
                             tuple(abroad), given, None, None, None))
        if roll < 0.05:
            consents.append((str(uuid.uuid4()), ScopeKind.PUBLICATION, (), (), given, None,
                             None, None))
        out.append(SubjectSpec(
            id=sid,
            blocked=rnd.random() < 0.01,
            blocked_categories=tuple(rnd.sample(categories, 1)) if rnd.random() < 0.03 else (),
            open_contract=rnd.random() < 0.4,
            consents=tuple(consents),
        ))
    return out


def facts_of(spec: SubjectSpec) -> SubjectFacts:
    consents: list[ConsentFact] = [
        consent_fact(cid, scope, purposes, recipients,
                     ConsentTimes(given_at=given, valid_until=until, withdrawn_at=withdrawn,
                                  needs_reconsent_since=reconsent))
        for cid, scope, purposes, recipients, given, until, withdrawn, reconsent
        in spec.consents
    ]
    return SubjectFacts(spec.id, blocked=spec.blocked,
                        blocked_categories=frozenset(spec.blocked_categories),
                        open_contract=spec.open_contract, consents=consents)


def make_actions(register: Register, subjects: Sequence[str], n: int,
                 rnd: random.Random) -> list[Action]:
    purposes = list(register.purposes.values())
    all_categories = list(register.categories)
    routes = [(p, register.recipients[r]) for p in purposes for r in p.recipients]
    abroad = [r for r in register.recipients.values() if r.cross_border]
    out: list[Action] = []
    for _ in range(n):
        subject = subjects[rnd.randrange(len(subjects))]
        roll = rnd.random()
        if roll < 0.6 or not routes:
            p = purposes[rnd.randrange(len(purposes))]
            cats = rnd.sample(p.categories, min(len(p.categories), rnd.randint(1, 3)))
            if rnd.random() < 0.1:
                cats.append(all_categories[rnd.randrange(len(all_categories))])
            out.append(Action(ActionKind.USE, subject, p.id, None, tuple(cats)))
        elif roll < 0.85:
            p, r = routes[rnd.randrange(len(routes))]
            pool = [c for c in p.categories if not r.categories or c in r.categories] \
                or list(p.categories)
            cats = rnd.sample(pool, min(len(pool), rnd.randint(1, 2)))
            out.append(Action(ActionKind.TRANSFER, subject, p.id, r.id, tuple(cats)))
        elif roll < 0.95 and abroad:
            p = purposes[rnd.randrange(len(purposes))]
            r = abroad[rnd.randrange(len(abroad))]
            cats = rnd.sample(p.categories, 1)
            out.append(Action(ActionKind.CROSS_BORDER, subject, p.id, r.id, tuple(cats)))
        else:
            cats = rnd.sample(all_categories, 1)
            out.append(Action(ActionKind.PUBLISH, subject, None, None, tuple(cats)))
    return out


# ------------------------------------------------------------------ in process


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def bench_in_process(register: Register, specs: list[SubjectSpec], actions: list[Action],
                     batch: int) -> dict[str, float]:
    from derbes.decisions.model import decide_many as decide_all
    from derbes.decisions.service import DecisionPoint

    index = DecisionIndex.build(register, load_decision_rules())
    states: dict[str, SubjectState] = {s.id: state_of(facts_of(s), NOW) for s in specs}

    def baseline(actions: list[Action]) -> list[Any]:
        # The least any decider does: find the subject, find the purpose.
        out = []
        append = out.append
        get_state = states.get
        get_purpose = index.purposes.get
        for a in actions:
            append((get_state(a.subject_id), get_purpose(a.purpose or "")))
        return out

    # A DecisionPoint whose cache holds every state (its loader is never called).
    class _Preloaded(DecisionPoint):
        def _load(self, operator_id: str, subject_ids: list[str]
                  ) -> tuple[dict[str, SubjectState], dict[str, float]]:
            return {s: states[s] for s in subject_ids if s in states}, {}

        def _poll(self, now: float) -> None:
            self._polled_at = now

    point = _Preloaded(lambda: None, None, load_decision_rules(), ttl=3600)  # type: ignore[arg-type]
    point._indexes[("bench", "x", index.lang)] = index
    point._versions["bench"] = (time.monotonic(), "x")
    point.states("bench", states)  # fill the cache

    def through_point(actions: list[Action]) -> int:
        n = 0
        for i in range(0, len(actions), batch):
            n += len(point.decide("bench", actions[i:i + batch]))
        return n

    warm = actions[: len(actions) // 5]
    decide_all(index, states, warm)
    through_point(warm)
    baseline(warm)
    results: dict[str, list[float]] = {"decide": [], "point": [], "baseline": []}
    for _ in range(3):  # interleaved, best of three
        results["baseline"].append(rate(len(actions), timed(baseline, actions)[0]))
        results["decide"].append(rate(len(actions), timed(decide_all, index, states,
                                                          actions)[0]))
        results["point"].append(rate(len(actions), timed(through_point, actions)[0]))
    decisions = decide_all(index, states, actions)
    allowed = sum(1 for d in decisions if d.allowed)
    console.print(f"  allowed {allowed:,} of {len(decisions):,} decisions "
                  f"({100 * allowed / len(decisions):.0f} %)")
    return {k: max(v) for k, v in results.items()}


# ------------------------------------------------------------------ HTTP


def echo_app() -> Any:
    """The derbes API plus a bench-only echo of the batch (the HTTP baseline)."""
    from derbes.api.app import create_app

    app = create_app()

    @app.post("/bench/echo", include_in_schema=False)
    async def echo(body: DecisionsIn, caller: Reader, request: Request) -> Response:
        return Response(await request.body(), media_type="application/json")

    @app.post("/bench/echo-compact", include_in_schema=False)
    async def echo_compact(caller: Reader, request: Request) -> Response:
        # Read and validated as the compact route does (raw bytes, off the event loop).
        raw = await request.body()
        await run_in_threadpool(parse_compact, raw, request.headers.get("content-type", ""))
        return Response(raw, media_type="application/json")

    return app


def fill_database(url: str, register_path: Path, specs: list[SubjectSpec], tmp: Path) -> str:
    """Rows the decision point reads, inserted directly and sealed; returns an API key.

    The key store (KEK file, system keys) is made in ``tmp`` as ``derbes init`` would,
    because the states are sealed with the audit key the server will check them with.
    """
    from derbes.bootstrap import Container
    from derbes.settings import Settings
    from derbes.vault.service import keys

    settings = Settings(database_url=url, keystore_url=f"sqlite:///{tmp / 'keys.sqlite3'}",
                        kek_file=tmp / "kek.key", var_dir=tmp)
    container = Container(settings=settings)
    keys.initialise(var_dir=tmp, kek_file=settings.kek_file,
                    keystore_url=settings.keystore_url, database_url=url,
                    open_keystore=lambda: container.keystore, files=KEY_FILES)
    engine = _filled(url, register_path, specs, container.audit_key)
    try:
        return _api_key(engine)
    finally:
        engine.dispose()
        container.keystore_engine.dispose()


def _filled(url: str, register_path: Path, specs: list[SubjectSpec], audit_key: bytes) -> Any:
    from sqlalchemy import insert

    from derbes.integrity.model.state_seal import seal_key
    from derbes.integrity.service.sealing import reseal
    from derbes.platform import migrate
    from derbes.platform.clock import FixedClock
    from derbes.platform.db import make_engine
    from derbes.platform.sql_uow import SqlUnitOfWork
    from derbes.platform.tables import consents, contracts, subjects
    from derbes.register.service import registers

    engine = make_engine(url)
    migrate.upgrade(engine)
    clock = FixedClock(NOW)
    registers.publish(SqlUnitOfWork(engine), [load_register(register_path)], clock)
    subject_rows = [{"id": s.id, "operator_id": "express-avans", "created_at": NOW,
                     "blocked_at": NOW if s.blocked else None, "block_reason": None,
                     "destroyed_at": None} for s in specs]
    consent_rows = [
        {"id": cid, "act_id": cid, "subject_id": s.id, "operator_id": "express-avans",
         "scope": scope.value, "purposes": json.dumps(list(purposes)),
         "recipients": json.dumps(list(recipients)), "cookie_categories": "[]",
         "policy_version": "bench", "policy_hash": "0" * 64, "channel": "web_checkbox",
         "evidence_refs": "{}", "evidence_sealed": None, "given_by": "subject",
         "representative_sealed": None, "valid_until": until, "given_at": given,
         "withdrawn_at": withdrawn, "expired_at": None, "needs_reconsent_since": reconsent,
         "idempotency_key": None, "request_hash": "0" * 64}
        for s in specs
        for cid, scope, purposes, recipients, given, until, withdrawn, reconsent in s.consents
    ]
    contract_rows = [{"subject_id": s.id, "contract_id": "K1", "opened_at": NOW,
                      "closed_at": None} for s in specs if s.open_contract]
    with engine.begin() as connection:
        for table, rows in ((subjects, subject_rows), (consents, consent_rows),
                            (contracts, contract_rows)):
            for i in range(0, len(rows), 20_000):
                connection.execute(insert(table), rows[i:i + 20_000])
    # Rows written around the services carry no seal: seal them as `derbes ledger
    # seal` would, or the decision point denies every one (state_unverified).
    uow = SqlUnitOfWork(engine, audit_key=audit_key)
    with uow:
        reseal(uow.seals, seal_key(audit_key), [s.id for s in specs])
        uow.commit()
    return engine


def _api_key(engine: Any) -> str:
    from sqlalchemy import update

    from derbes.access import service as apikeys
    from derbes.platform.clock import FixedClock
    from derbes.platform.sql_uow import SqlUnitOfWork
    from derbes.platform.tables import api_keys

    clock = FixedClock(NOW)
    created = apikeys.create(SqlUnitOfWork(engine), clock, name="bench", scopes=["read"],
                             operator_id="express-avans")
    # Authentication records a key's use at most once a minute. That write is
    # API-key bookkeeping, not the decision point: the bench marks the key as
    # used in the future so that the measured run does no writes at all.
    with engine.begin() as connection:
        connection.execute(update(api_keys).where(api_keys.c.key_id == created.key.key_id)
                           .values(last_used_at=datetime(2100, 1, 1, tzinfo=UTC)))
    return created.token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("uvicorn exited early; see its output above")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("uvicorn did not answer in time")


def load_test(port: int, path: str, bodies: list[bytes], per_body: int, headers: dict[str, str],
              seconds: float, clients: int) -> float:
    """Post bodies round-robin from ``clients`` threads for ``seconds``; decisions/s."""
    done = [0] * clients
    errors: list[str] = []
    stop = time.monotonic() + seconds

    def worker(k: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        i = k
        while time.monotonic() < stop:
            connection.request("POST", path, body=bodies[i % len(bodies)], headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors.append(f"{path}: HTTP {response.status}")
                return
            done[k] += per_body
            i += clients
        connection.close()

    start = time.monotonic()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    if errors:
        raise SystemExit(errors[0])
    return sum(done) / elapsed


def bench_http(specs: list[SubjectSpec], actions: list[Action], batch: int, seconds: float,
               clients: int, warmup: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="derbes-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'derbes.sqlite3'}"
        console.print(f"  filling a SQLite database with {len(specs):,} subjects…")
        token = fill_database(url, REGISTER, specs, Path(tmp))
        bodies, compact_bodies = [], []
        for i in range(0, min(len(actions), batch * 20), batch):
            chunk = actions[i:i + batch]
            bodies.append(json.dumps({"actions": [
                {"subject_id": a.subject_id, "action": a.kind.value, "purpose": a.purpose,
                 "recipient": a.recipient, "categories": list(a.categories)}
                for a in chunk]}).encode())
            compact_bodies.append(json.dumps({"actions": [
                [a.subject_id, a.kind.value, a.purpose, a.recipient, list(a.categories)]
                for a in chunk]}).encode())
        runs = {"http": ("/v1/decisions", bodies), "echo": ("/bench/echo", bodies),
                "compact": ("/v1/decisions/compact", compact_bodies),
                "echo_compact": ("/bench/echo-compact", compact_bodies)}
        port = free_port()
        env = {**os.environ, "DERBES_DATABASE_URL": url,
               "DERBES_KEYSTORE_URL": f"sqlite:///{Path(tmp) / 'keys.sqlite3'}",
               "DERBES_KEK_FILE": str(Path(tmp) / "kek.key"),
               "DERBES_ANCHOR_EVERY_MINUTES": "0"}
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "decisions:echo_app",
             "--app-dir", str(Path(__file__).parent), "--host", "127.0.0.1",
             "--port", str(port), "--workers", "2", "--log-level", "warning",
             "--no-access-log"],
            env=env, cwd=tmp, start_new_session=True,
        )
        try:
            wait_ready(port, server)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            console.print(f"  uvicorn on 127.0.0.1:{port}, 2 workers; warming up…")
            # Warm-up: every worker loads the states it is asked about once (after
            # that the cache holds them until the change feed names them).
            load_test(port, "/v1/decisions", bodies, batch, headers, warmup, clients)
            for path, sent in runs.values():
                load_test(port, path, sent, batch, headers, 2, clients)
            results: dict[str, list[float]] = {k: [] for k in runs}
            for _ in range(2):  # interleaved, so a burst of load elsewhere hits all
                for key, (path, sent) in runs.items():
                    results[key].append(load_test(port, path, sent, batch, headers,
                                                  seconds / 2, clients))
            return {k: sum(v) / len(v) for k, v in results.items()}
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


# ------------------------------------------------------------------ cold states


BENCH_AUDIT_KEY = b"derbes-bench-audit-key-32-bytes!"


def bench_cold(specs: list[SubjectSpec], actions: list[Action], batch: int) -> dict[str, float]:
    """DecisionPoint without its cache over a SQLite file: every batch loads its states."""
    from derbes.decisions.service import DecisionPoint
    from derbes.platform.clock import FixedClock
    from derbes.platform.sql_uow import SqlUnitOfWork

    with tempfile.TemporaryDirectory(prefix="derbes-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'derbes.sqlite3'}"
        console.print(f"  filling a SQLite database with {len(specs):,} subjects…")
        engine = _filled(url, REGISTER, specs, BENCH_AUDIT_KEY)
        try:
            point = DecisionPoint(lambda: SqlUnitOfWork(engine, audit_key=BENCH_AUDIT_KEY),
                                  FixedClock(NOW), load_decision_rules(), ttl=0)
            point.decide("express-avans", actions[:batch])  # compile the register once
            best: dict[str, float] = {"decisions": 0.0, "states": 0.0}
            for _ in range(3):
                states = 0
                start = time.perf_counter()
                for i in range(0, len(actions), batch):
                    chunk = actions[i:i + batch]
                    point.decide("express-avans", chunk)
                    states += len({a.subject_id for a in chunk})
                elapsed = time.perf_counter() - start
                best["decisions"] = max(best["decisions"], rate(len(actions), elapsed))
                best["states"] = max(best["states"], rate(states, elapsed))
            allowed = sum(1 for d in point.decide("express-avans", actions[:batch]) if d.allowed)
            console.print(f"  allowed {allowed:,} of {min(batch, len(actions)):,} decisions "
                          "of the first batch")
            return best
        finally:
            engine.dispose()


# ------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--actions", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--http", action="store_true", help="also benchmark over HTTP")
    parser.add_argument("--seconds", type=float, default=15.0,
                        help="HTTP: seconds per endpoint (split over two rounds)")
    parser.add_argument("--clients", type=int, default=4, help="HTTP: concurrent connections")
    parser.add_argument("--warmup", type=float, default=20.0, help="HTTP: warm-up seconds")
    parser.add_argument("--seed", type=int, default=94)
    parser.add_argument("--cold", type=int, default=0, metavar="N",
                        help="also decide N actions with the state cache off (SQLite)")
    args = parser.parse_args()

    rnd = random.Random(args.seed)
    register = load_register(REGISTER).register
    machine = platform.processor() or platform.machine()
    console.print(f"[bold]decision point benchmark[/] — {machine}, {os.cpu_count()} CPU(s), "
                  f"Python {platform.python_version()}")
    console.print(f"  register {register.operator.id}: {len(register.purposes)} purposes, "
                  f"{len(register.recipients)} recipients; {args.subjects:,} subjects, "
                  f"{args.actions:,} actions")
    specs = make_subjects(register, args.subjects, rnd)
    actions = make_actions(register, [s.id for s in specs], args.actions, rnd)

    inproc = bench_in_process(register, specs, actions, args.batch)
    table = Table("measure", "decisions/s", "ratio")
    table.add_row("baseline: dict look-ups", f"{inproc['baseline']:,.0f}", "1.00")
    table.add_row("derbes decide (domain)", f"{inproc['decide']:,.0f}",
                  f"{inproc['decide'] / inproc['baseline']:.3f}")
    table.add_row("derbes DecisionPoint (cached)", f"{inproc['point']:,.0f}",
                  f"{inproc['point'] / inproc['baseline']:.3f}")
    console.print("[bold]in process[/] (one core, best of 3)")
    console.print(table)
    goal = 200_000
    console.print(f"  goal ≥ {goal:,}/s per core: DecisionPoint at "
                  f"{inproc['point'] / goal:.2f}× the goal")

    if args.cold:
        console.print("[bold]cold states[/] (cache off, SQLite, best of 3)")
        res = bench_cold(specs, actions[:args.cold], args.batch)
        table = Table("measure", "per second")
        table.add_row("decisions, states loaded per batch", f"{res['decisions']:,.0f}")
        table.add_row("subject states loaded", f"{res['states']:,.0f}")
        table.add_row("  vs in-process DecisionPoint (cached)",
                      f"{res['decisions'] / inproc['point']:.3f}")
        console.print(table)

    if args.http:
        console.print("[bold]over HTTP[/]")
        res = bench_http(specs, actions, args.batch, args.seconds, args.clients, args.warmup)
        table = Table("measure", "decisions/s", "ratio")
        table.add_row("echo baseline (validate + return body)", f"{res['echo']:,.0f}", "1.00")
        table.add_row("derbes POST /v1/decisions", f"{res['http']:,.0f}",
                      f"{res['http'] / res['echo']:.3f}")
        table.add_row("  vs in-process DecisionPoint (1 core)", "",
                      f"{res['http'] / inproc['point']:.3f}")
        table.add_row("echo baseline, compact (validate + return body)",
                      f"{res['echo_compact']:,.0f}", "1.00")
        table.add_row("derbes POST /v1/decisions/compact", f"{res['compact']:,.0f}",
                      f"{res['compact'] / res['echo_compact']:.3f}")
        table.add_row("  compact vs full form", "", f"{res['compact'] / res['http']:.3f}")
        console.print(table)
        goal = 50_000
        best = max(res["http"], res["compact"])
        console.print(f"  goal ≥ {goal:,}/s on 2 cores: {best / goal:.2f}× the goal "
                      f"(batches of {args.batch:,}, {args.clients} clients on the same machine, "
                      f"load average {os.getloadavg()[0]:.1f} at the end)")


if __name__ == "__main__":
    main()

"""Concurrent writes at a real ``derbes serve`` (subprocess, 127.0.0.1, a free port).

On each database (SQLite files; a throwaway PostgreSQL): 200 subjects created at
once, then 200 consent grants and 200 more subject creations fired together.
Not one answer may be a server error, every write must be stored exactly once,
and both hash chains must verify with the real CLI.
"""

from __future__ import annotations

import os
import secrets
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from derbes.platform.db import make_engine
from derbes.platform.tables import audit_log, consent_ledger, consents, subjects
from tests import load_support as load
from tests.integration.conftest import (
    BACKENDS,
    _create_database,
    _drop_database,
    pg_server_url,  # noqa: F401 - the fixture, for the PostgreSQL run
)

N = 200


@pytest.fixture(params=BACKENDS)
def inst(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[load.Installation]:
    """A prepared installation (init, Express Аванс register, admin key) on each backend."""
    if request.param == "sqlite":
        var = tmp_path / "var"
        installation = load.installation(tmp_path, f"sqlite:///{var / 'derbes.sqlite3'}",
                                         f"sqlite:///{var / 'keys.sqlite3'}")
        installation.prepare()
        yield installation
        return
    server: str = request.getfixturevalue("pg_server_url")
    suffix = secrets.token_hex(4)
    names = [f"derbes_load_{suffix}", f"derbes_load_keys_{suffix}"]
    data, keys = (_create_database(server, name) for name in names)
    try:
        installation = load.installation(tmp_path, data, keys)
        installation.prepare()
        yield installation
    finally:
        for name in names:
            _drop_database(server, name)


def _answers(outcome: load.Outcome) -> Counter[int]:
    return Counter(outcome.statuses)


def test_concurrent_grants_and_creations_store_everything_once(
        inst: load.Installation) -> None:
    with load.live_server(inst) as base:
        first, subject_ids = load.make_subjects(base, inst.token, range(N))
        assert first.errors == [] and _answers(first) == {201: N}, first.bodies[:3]

        results: dict[str, load.Outcome] = {}

        def grants() -> None:
            results["grants"] = load.burst(
                base, inst.token, "POST", "/v1/consents",
                [load.consent_body(s, i) for i, s in enumerate(subject_ids)])

        def creations() -> None:
            results["creations"] = load.make_subjects(base, inst.token, range(N, 2 * N))[0]

        threads = [threading.Thread(target=grants), threading.Thread(target=creations)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        grants_out, creations_out = results["grants"], results["creations"]

    for outcome in (grants_out, creations_out):
        assert outcome.errors == []
        assert outcome.server_errors == 0, [b for s, b in zip(
            outcome.statuses, outcome.bodies, strict=True) if s >= 500][:3]
        assert _answers(outcome) == {201: N}
    created = [b["subject_id"] for b in creations_out.bodies] + subject_ids
    acts = [b["act_id"] for b in grants_out.bodies]
    assert len(set(created)) == 2 * N and len(set(acts)) == N

    # Stored exactly once: one subject per creation, one consent (and ledger entry) per grant.
    engine = make_engine(inst.env["DERBES_DATABASE_URL"])
    try:
        with engine.connect() as c:
            stored_subjects = set(c.execute(select(subjects.c.id)).scalars())
            keys = Counter(c.execute(select(consents.c.idempotency_key)).scalars())
            ledger = c.execute(select(func.count()).select_from(consent_ledger)).scalar_one()
            audit = c.execute(select(func.count()).select_from(audit_log)).scalar_one()
    finally:
        engine.dispose()
    assert stored_subjects == set(created)
    assert keys == {f"load-consent-{i:06d}": 1 for i in range(N)}
    assert ledger == N
    assert audit >= 3 * N  # every creation and every grant left its entry

    for chain in ("audit", "ledger"):
        verified = inst.cli(chain, "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "intact" in verified.stdout


def test_one_idempotency_key_sent_many_times_at_once_is_one_act(
        inst: load.Installation) -> None:
    with load.live_server(inst) as base:
        _, (subject_id,) = load.make_subjects(base, inst.token, [7])
        body = load.consent_body(subject_id, 7)
        same = load.burst(base, inst.token, "POST", "/v1/consents", [body] * 40)
    assert same.errors == [] and same.server_errors == 0
    # The first is stored (201); every other one is answered as its replay (200).
    assert _answers(same) == {201: 1, 200: 39}
    assert len({b["act_id"] for b in same.bodies}) == 1
    engine = make_engine(inst.env["DERBES_DATABASE_URL"])
    try:
        with engine.connect() as c:
            stored = c.execute(select(func.count()).select_from(consents)).scalar_one()
    finally:
        engine.dispose()
    assert stored == 1


def _children(pid: int) -> list[int]:
    """The server's worker processes (not multiprocessing's resource tracker)."""
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        children = [int(p) for p in f.read().split()]
    workers = []
    for child in children:
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:  # gone since
            continue
        if b"spawn_main" in command:
            workers.append(child)
    return workers


def test_two_workers_share_one_port_and_keep_the_chains(inst: load.Installation) -> None:
    """``derbes serve --workers 2``: two processes answer on one port; their concurrent
    writes are stored once and chained intact; a killed worker is replaced."""
    with load.served(inst, workers=2) as (base, process):
        server = process.pid
        workers = _children(server)
        assert len(workers) == 2, workers
        first, subject_ids = load.make_subjects(base, inst.token, range(N // 2))
        assert first.errors == [] and _answers(first) == {201: N // 2}, first.bodies[:3]
        grants = load.burst(base, inst.token, "POST", "/v1/consents",
                            [load.consent_body(s, i) for i, s in enumerate(subject_ids)])
        assert grants.errors == [] and _answers(grants) == {201: N // 2}, grants.bodies[:3]
        status, body = load.call(base, "POST", "/v1/decisions/compact", token=inst.token, body={
            "operator": "express-avans",
            "actions": [[s, "publish", None, None, ["identity.full_name"]]
                        for s in subject_ids]})
        assert status == 200, body
        assert len(body["decisions"]) == len(subject_ids)

        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while len(set(_children(server)) - {workers[0]}) < 2:
            assert time.monotonic() < deadline, "the killed worker was not replaced"
            time.sleep(0.5)
        again = load.make_subjects(base, inst.token, range(N // 2, N // 2 + 20))[0]
        assert again.errors == [] and _answers(again) == {201: 20}, again.bodies[:3]

    for chain in ("audit", "ledger"):
        verified = inst.cli(chain, "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "intact" in verified.stdout

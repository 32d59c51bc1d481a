"""A real ``derbes serve`` under concurrent writes: set-up, the server, the load.

Shared by the end-to-end test of concurrent writes and by ``bench/concurrent_writes.py``.
Everything runs on this machine: the server binds 127.0.0.1 on a free port, and
the clients only ever talk to that address. Each load is bounded (a fixed number
of requests, each with a time-out), so a run always ends on its own.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from derbes.identifiers.model._checksum import control_digit

ROOT = Path(__file__).resolve().parents[1]
DERBES = Path(sys.executable).with_name("derbes")
EXPRESS = ROOT / "registers" / "express-avans.yaml"
OPERATOR = "express-avans"
LOOPBACK = "127.0.0.1"
CONSENT_PURPOSES = ("credit_bureau_inquiry", "pension_centre_inquiry", "customer_database",
                    "statistics")
REQUEST_TIMEOUT = 120.0  # seconds a single request may take before it counts as failed


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        port: int = s.getsockname()[1]
        return port


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The test's environment without any DERBES_ setting of the developer's, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    env.update(extra)
    env["COLUMNS"] = "200"
    return env


def derbes(env: Mapping[str, str], cwd: Path, *args: str,
           stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(DERBES), *args], cwd=cwd, env=dict(env), input=stdin,
                          capture_output=True, text=True, check=False, timeout=600)


def adult_iin(n: int) -> str:
    """The ``n``-th valid IIN of an adult (born in the 1980s), distinct for distinct ``n``."""
    born = date(1980 + n % 10, 1 + (n // 10) % 12, 1 + (n // 120) % 28)
    century = 3  # a man born in the 20th century
    for serial in range(n // 3360 * 100, 10_000):
        first = f"{born:%y%m%d}{century}{serial:04d}"
        digit = control_digit(first)
        if digit is not None:
            return first + str(digit)
    raise AssertionError("no IIN")


def subject_body(n: int) -> dict[str, Any]:
    return {
        "operator": OPERATOR,
        "values": [
            {"category": "identity.iin", "value": adult_iin(n)},
            {"category": "identity.full_name", "value": f"Тестов Сәкен №{n}"},
            {"category": "contact.phone", "value": f"+7701{n:07d}"},
        ],
        "identifiers": {"customer_id": f"LOAD-{n:06d}"},
    }


def consent_body(subject_id: str, n: int) -> dict[str, Any]:
    return {
        "subject_id": subject_id,
        "channel": "web_checkbox",
        "scopes": [{"kind": "processing", "purposes": list(CONSENT_PURPOSES)}],
        "evidence": {"ip": "203.0.113.7", "user_agent": f"load-test/{n}"},
        "idempotency_key": f"load-consent-{n:06d}",
    }


@dataclass
class Installation:
    """A derbes installation in ``workdir`` (its databases given by ``env``)."""

    workdir: Path
    env: dict[str, str]
    token: str = ""

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return derbes(self.env, self.workdir, *args, stdin=stdin)

    def prepare(self, registers: Sequence[Path] = (EXPRESS,)) -> None:
        """``derbes init``, the registers published (Express Аванс), an admin API key."""
        for args in (("init",), ("register", "publish", *map(str, registers))):
            done = self.cli(*args)
            if done.returncode != 0:
                raise AssertionError(f"derbes {' '.join(args)} failed: {done.stderr}")
        made = self.cli("apikey", "create", "--name", "load", "--scope", "admin")
        if made.returncode != 0:
            raise AssertionError(f"derbes apikey create failed: {made.stderr}")
        self.token = made.stdout.strip().splitlines()[-1]


def installation(workdir: Path, database_url: str, keystore_url: str) -> Installation:
    env = clean_env({
        "DERBES_DATABASE_URL": database_url,
        "DERBES_KEYSTORE_URL": keystore_url,
        "DERBES_VAR_DIR": str(workdir / "var"),
        "DERBES_KEK_FILE": str(workdir / "var" / "kek.key"),
        "DERBES_REGISTERS_DIR": str(ROOT / "registers"),
        "DERBES_LOG_LEVEL": "WARNING",
    })
    return Installation(workdir, env)


@contextmanager
def live_server(inst: Installation, *, ready_within: float = 60.0,
                workers: int = 1) -> Iterator[str]:
    """``derbes serve`` on 127.0.0.1 and a free port; yields its base URL, stops it after."""
    with served(inst, ready_within=ready_within, workers=workers) as (base, _):
        yield base


@contextmanager
def served(inst: Installation, *, ready_within: float = 60.0,
           workers: int = 1) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """:func:`live_server`, yielding the server's process too."""
    port = free_port()
    log = (inst.workdir / f"serve-{port}.log").open("w")
    process = subprocess.Popen(
        [str(DERBES), "serve", "--host", LOOPBACK, "--port", str(port),
         "--workers", str(workers)],
        cwd=inst.workdir, env=inst.env, stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + ready_within
        while True:
            if process.poll() is not None:
                raise AssertionError(f"derbes serve exited with {process.returncode}: "
                                     f"{(inst.workdir / f'serve-{port}.log').read_text()}")
            try:
                status, _ = call(f"http://{LOOPBACK}:{port}", "GET", "/health", timeout=2)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("derbes serve did not answer /health in time")
            time.sleep(0.2)
        yield f"http://{LOOPBACK}:{port}", process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        log.close()


def call(base: str, method: str, path: str, body: Any = None, *, token: str | None = None,
         timeout: float = REQUEST_TIMEOUT,
         headers: Mapping[str, str] | None = None) -> tuple[int, Any]:
    """One HTTP request to ``base`` (a loopback URL): status and decoded JSON (or text)."""
    host, port = base.removeprefix("http://").split(":")
    if host != LOOPBACK:  # never anything but this machine
        raise ValueError("load is only ever sent to the loopback interface")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        payload = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        connection.request(method, path, body=payload, headers=sent)
        response = connection.getresponse()
        raw = response.read()
        try:
            data: Any = json.loads(raw) if raw else None
        except ValueError:
            data = raw.decode("utf-8", "replace")
        return response.status, data
    finally:
        connection.close()


@dataclass
class Outcome:
    """What a burst of requests gave: statuses in order, and the seconds it took."""

    statuses: list[int] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # transport failures (no status)
    seconds: float = 0.0

    @property
    def server_errors(self) -> int:
        return sum(1 for s in self.statuses if s >= 500)

    def count(self, status: int) -> int:
        return sum(1 for s in self.statuses if s == status)


def burst(base: str, token: str, method: str, path: str, bodies: Sequence[Any],
          *, threads: int | None = None) -> Outcome:
    """Send every body at once: one thread per request (or ``threads`` workers), all
    released together by a barrier, so the server sees them concurrently."""
    n = len(bodies)
    workers = min(threads or n, n)
    statuses: list[int] = [0] * n
    answers: list[Any] = [None] * n
    errors: list[str] = []
    lock = threading.Lock()
    next_index = iter(range(n))
    barrier = threading.Barrier(workers + 1)

    def work() -> None:
        barrier.wait()
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                return
            try:
                statuses[i], answers[i] = call(base, method, path, bodies[i], token=token)
            except OSError as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")

    pool = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    for t in pool:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in pool:
        t.join(timeout=REQUEST_TIMEOUT * 2)
    seconds = time.perf_counter() - started
    # 0 stands for a request that got no answer (its error is in ``errors``).
    return Outcome(statuses, answers, errors, seconds)


def sequential(base: str, token: str, method: str, path: str,
               bodies: Sequence[Any]) -> Outcome:
    out = Outcome()
    started = time.perf_counter()
    for body in bodies:
        status, answer = call(base, method, path, body, token=token)
        out.statuses.append(status)
        out.bodies.append(answer)
    out.seconds = time.perf_counter() - started
    return out


def make_subjects(base: str, token: str, numbers: Sequence[int],
                  send: Callable[..., Outcome] = burst) -> tuple[Outcome, list[str]]:
    """Create one subject per number; returns the outcome and the ids of those created."""
    out = send(base, token, "POST", "/v1/subjects", [subject_body(n) for n in numbers])
    ids = [b["subject_id"] for s, b in zip(out.statuses, out.bodies, strict=False)
           if s == 201 and isinstance(b, dict)]
    return out, ids

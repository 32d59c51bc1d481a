"""Benchmark: banner choices recorded in the consent ledger over HTTP, against an echo.

    python bench/banner.py [--choices 500] [--rounds 3]

One installation on SQLite in a temporary directory (the seed registers published) served
by uvicorn in a child process on 127.0.0.1, with one extra route, ``POST /bench/echo``,
that parses the same JSON body and sends it back: the HTTP, JSON and framework cost with
no work. The client sends ``--choices`` genuine banner answers of QIWI (new visitor and
choice ids each) one after the other on one kept-alive connection, then as many echoes,
alternating which goes first over ``--rounds`` rounds.

Printed: choices/s, echoes/s and their ratio (the goal is at least 0.5), the banner
script's size gzipped (the goal is at most 15 KB), and whether the ledger verifies with
every choice in it. Load goes only to 127.0.0.1. Synthetic values only.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OPERATOR = "qiwi-kz"
console = Console(width=110)


def _serve(directory: Path, port: int) -> None:
    """The child: build the installation and serve it with the echo route."""
    import uvicorn
    from tests.api_world import make_world

    world = make_world(directory)

    @world.app.post("/bench/echo")
    async def echo(request: Request) -> JSONResponse:
        return JSONResponse(await request.json())

    uvicorn.run(world.app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _Client:
    """One kept-alive HTTP/1.1 connection to the server."""

    def __init__(self, port: int) -> None:
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method: str, path: str, body: object = None) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body).encode()
        headers = {} if data is None else {"Content-Type": "application/json"}
        self._connection.request(method, path, body=data, headers=headers)
        answer = self._connection.getresponse()
        return answer.status, answer.read()

    def close(self) -> None:
        self._connection.close()


def _wait(port: int, child: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if child.poll() is not None:
            raise SystemExit("the server stopped while starting")
        client = _Client(port)
        try:
            if client.call("GET", "/health")[0] == 200:
                return
        except OSError:
            pass
        finally:
            client.close()
        time.sleep(0.1)
    raise SystemExit("the server did not start")


def _run(client: _Client, path: str, bodies: list[dict[str, Any]], expect: int,
         progress: Progress, label: str) -> float:
    task = progress.add_task(label, total=len(bodies))
    started = time.perf_counter()
    for body in bodies:
        status, text = client.call("POST", path, body)
        if status != expect:
            raise SystemExit(f"{path}: {status} {text[:200]!r}")
        progress.advance(task)
    return len(bodies) / (time.perf_counter() - started)


def _genuine(client: _Client) -> dict[str, Any]:
    """A genuine Reject all answer, from the banner data the script carries."""
    status, script = client.call("GET", f"/banner/{OPERATOR}.js")
    if status != 200:
        raise SystemExit(f"the banner script: {status}")
    text = script.decode("utf-8")
    data = json.JSONDecoder().raw_decode(text, text.index("var C = ") + 8)[0]
    return {"operator": OPERATOR, "banner_version": data["version"],
            "text_hash": data["hashes"]["en"], "lang": "en", "action": "reject_all",
            "categories": [], "gpc": False}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--choices", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="derbes-bench-banner-") as tmp:
        port = _free_port()
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve", tmp, str(port)], cwd=ROOT)
        try:
            _wait(port, child)
            _measure(port, args.choices, args.rounds, Path(tmp))
        finally:
            child.terminate()
            child.wait(30)


def _measure(port: int, count: int, rounds: int, directory: Path) -> None:
    client = _Client(port)
    try:
        script = client.call("GET", f"/banner/{OPERATOR}.js")[1]
        genuine = _genuine(client)
        rates: dict[str, list[float]] = {"choices": [], "echo": []}
        with Progress(console=console) as progress:
            for n in range(rounds):
                bodies = [{**genuine, "choice_id": str(uuid.uuid4()),
                           "visitor_id": str(uuid.uuid4())} for _ in range(count)]
                order = ["choices", "echo"] if n % 2 == 0 else ["echo", "choices"]
                for kind in order:
                    path = f"/banner/{OPERATOR}/choices" if kind == "choices" else "/bench/echo"
                    expect = 201 if kind == "choices" else 200
                    rates[kind].append(_run(client, path, bodies, expect, progress,
                                            f"round {n + 1}: {kind}"))
    finally:
        client.close()
    verified = _verify(directory, count * rounds)
    choices = sorted(rates["choices"])[len(rates["choices"]) // 2]
    echo = sorted(rates["echo"])[len(rates["echo"]) // 2]
    table = Table(title="Banner choices over HTTP (median of rounds, SQLite, 127.0.0.1)")
    for column in ("choices/s", "echo/s", "ratio (goal ≥ 0.5)", "script gzipped",
                   "ledger verifies"):
        table.add_column(column)
    table.add_row(f"{choices:.0f}", f"{echo:.0f}", f"{choices / echo:.2f}",
                  f"{len(gzip.compress(script, 9)) / 1024:.1f} KB (goal ≤ 15)",
                  "yes" if verified else "NO")
    console.print(table)


def _verify(directory: Path, expected: int) -> bool:
    """The chain holds, every projection replays, and every choice is in it."""
    from derbes.bootstrap import Container
    from derbes.consent.model.consent import LedgerEvent
    from derbes.consent.service import consent as consent_svc
    from derbes.integrity.service.verify import verify_projections
    from derbes.platform.clock import FixedClock
    from derbes.settings import Settings

    settings = Settings(
        database_url=f"sqlite:///{directory / 'derbes.sqlite3'}",
        keystore_url=f"sqlite:///{directory / 'keys.sqlite3'}",
        kek_file=directory / "kek.key", var_dir=directory,
        registers_dir=ROOT / "registers", datasets_dir=directory / "no-datasets")
    container = Container(settings=settings, clock=FixedClock())
    chain = consent_svc.verify(container.uow(), container.ledger_key)
    report = verify_projections(container.uow(), container.audit_key)
    with container.uow() as uow:
        found = sum(1 for e in uow.consent_ledger.entries()
                    if e.event == LedgerEvent.COOKIE_CHOICE.value)
    return chain.ok and report.ok and found == expected


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        _serve(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        main()

"""`make demo` on a fresh directory: the main job runs end to end on SQLite.

The demo loads everything, makes its sample operator database and maps it, answers a
request of every seed operator over the API it serves, keeps one admin key across
runs, keeps its files private, and refuses a taken port before the long set-up.
"""

import http.client
import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from derbes.installation.service.demo import PHONE, demo_iin
from tests import load_support as load

ROOT = Path(__file__).parents[2]
REGISTERS = ROOT / "registers"
OPERATORS = ("kassa24", "express-avans", "qiwi-kz", "kredit-seven", "altyncoin")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DERBES_") and k != "KREDIT_SEVEN_CORE_URL"}
    env["DERBES_REGISTERS_DIR"] = str(REGISTERS)
    env["DERBES_DATASETS_DIR"] = str(REGISTERS / "datasets")
    env["COLUMNS"] = "200"
    return env


def _demo(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "derbes", "demo", "--no-pdf", *args],
                          cwd=workdir, env=_env(), capture_output=True, text=True, timeout=600)


def _token(stdout: str) -> str:
    return stdout.strip().splitlines()[-1].rsplit(" ", 1)[-1]


def _keys(workdir: Path) -> int:
    listed = subprocess.run([sys.executable, "-m", "derbes", "apikey", "list"], cwd=workdir,
                            env=_env(), capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    return listed.stdout.count("active")


def _loose(var: Path) -> list[str]:
    return [str(p) for p in [var, *var.rglob("*")] if stat.S_IMODE(p.stat().st_mode) & 0o077]


def test_demo_loads_everything_and_runs_again(tmp_path: Path) -> None:
    first = _demo(tmp_path, "--no-serve")
    assert first.returncode == 0, first.stderr
    assert "/console/sign-in  login dpo@demo.derbes.kz" in first.stdout
    # The cabinet: where it is and how the code arrives; the phone only masked on screen.
    assert "cabinet http://127.0.0.1:8000/my/express-avans/sign-in" in first.stdout
    assert "SMS code is printed here" in first.stdout
    assert "demo customer of express-avans added to the vault" in first.stdout
    assert PHONE not in first.stdout and PHONE[1:] not in first.stdout
    assert (tmp_path / "var" / "demo-customer-phone").read_text().strip() == PHONE
    var = tmp_path / "var"
    assert (var / "derbes.sqlite3").is_file()
    assert (var / "kek.key").stat().st_mode & 0o077 == 0
    for operator in OPERATORS:
        assert f"{operator} policy" in first.stdout
        for lang in ("ru", "kk", "en"):
            assert (var / "notices" / f"{operator}.{lang}.html").is_file()
    assert (var / "letters" / "access-answer.kk.pdf").read_bytes()[:4] == b"%PDF"
    assert "added to the vault" in first.stdout
    assert "kredit-seven-core made with invented borrowers" in first.stdout
    assert (var / "kredit-seven-core.sqlite3").is_file()
    assert "API key (admin, new;" in first.stdout
    assert _loose(var) == []  # var/ 0700, every file in it 0600

    second = _demo(tmp_path, "--no-serve")
    assert second.returncode == 0, second.stderr
    assert "already in force" in second.stdout
    assert "already in the vault" in second.stdout
    assert "demo customer of express-avans already in the vault" in second.stdout
    assert "kredit-seven-core in place" in second.stdout
    # The same admin key, not one more per run.
    assert _token(second.stdout) == _token(first.stdout)
    assert "new" not in second.stdout.splitlines()[-1]
    assert _keys(tmp_path) == 1


def test_a_taken_port_is_refused_before_the_set_up(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused = _demo(tmp_path, "--port", str(port))
    assert refused.returncode == 2
    assert f"port {port} on 127.0.0.1 is in use" in refused.stderr
    assert not (tmp_path / "var").exists()  # nothing was set up for nothing


def _answer(base: str, token: str, operator: str, iin: str) -> tuple[int, object]:
    status, filed = load.call(base, "POST", "/v1/requests", {
        "operator": operator, "type": "access", "language": "kk",
        "identifiers": {"iin": iin}}, token=token)
    assert status == 201, filed
    assert isinstance(filed, dict)
    request_id = filed["id"]
    status, verified = load.call(base, "POST", f"/v1/requests/{request_id}/verify",
                                 {"method": "staff_document", "document_ref": "ID 0001",
                                  "reason": "identity card seen at the office"},
                                 token=token)
    assert status == 200, verified
    return load.call(base, "POST", f"/v1/requests/{request_id}/answer", token=token)


def _form(base: str, method: str, path: str, cookie: str = "",
          fields: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """One request as a browser without JavaScript sends it (a form, a cookie); no
    redirect followed."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        body = urlencode(fields) if fields is not None else None
        headers = {"Cookie": cookie} if cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        headers = {k.lower(): v for k, v in answer.getheaders() if k.lower() != "set-cookie"}
        # The session's cookie only (a language cookie may come with it).
        headers["session"] = "; ".join(v.split(";")[0] for k, v in answer.getheaders()
                                       if k.lower() == "set-cookie"
                                       and v.startswith("__Host-derbes-my="))
        return answer.status, headers, answer.read().decode("utf-8")
    finally:
        connection.close()


def _cabinet_with_the_printed_code(base: str, log: Path) -> None:
    """Sign in to the demo customer's cabinet as the demo line says: the phone from the
    private file, the code from the demo's console (the cabinet's cookie is Secure and
    ``__Host-``: sent back by hand over the loopback's plain http)."""
    phone = (log.parent / "var" / "demo-customer-phone").read_text().strip()
    status, headers, text = _form(base, "POST", "/my/express-avans/sign-in?lang=kk",
                                  fields={"phone": phone})
    assert status == 303, text
    cookie = headers["session"]
    _, _, form = _form(base, "GET", "/my/express-avans/code", cookie)
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', form)
    printed = re.findall(r"not sent\] SMS to \+77012345678: \D*(\d{6})", log.read_text())
    assert csrf and printed, log.read_text()[-2000:]
    status, headers, text = _form(base, "POST", "/my/express-avans/code", cookie,
                                  {"code": printed[-1], "csrf_token": csrf.group(1)})
    assert status == 303 and headers["location"].endswith("/data"), text
    status, _, mine = _form(base, "GET", "/my/express-avans/consents", headers["session"])
    # Processing, transfers and marketing, each of which may be withdrawn.
    assert status == 200 and mine.count("/withdraw") == 3


def test_after_the_demo_every_seed_operators_request_is_answered(tmp_path: Path) -> None:
    port = load.free_port()
    log = (tmp_path / "demo.log").open("w")
    demo = subprocess.Popen(
        [sys.executable, "-m", "derbes", "demo", "--no-pdf", "--port", str(port)],
        cwd=tmp_path, env=_env(), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            assert demo.poll() is None, (tmp_path / "demo.log").read_text()
            try:
                if load.call(base, "GET", "/health", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the demo did not start serving"
            time.sleep(0.5)
        token = (tmp_path / "var" / "demo-api-key").read_text().strip()
        _cabinet_with_the_printed_code(base, tmp_path / "demo.log")
        for operator in OPERATORS:
            iin = demo_iin() if operator == "kredit-seven" else load.adult_iin(7)
            status, answered = _answer(base, token, operator, iin)
            assert status == 200, (operator, answered)
            assert isinstance(answered, dict)
            assert answered["request"]["state"] == "answered", (operator, answered)
            if operator == "kredit-seven":
                # The demo customer's rows in the sample operator database are in the answer.
                text = json.dumps(answered["answer"], ensure_ascii=False)
                assert "kredit-seven-core" in text and "MK-DEMO-" in text
    finally:
        demo.terminate()
        demo.wait(timeout=60)
        log.close()

    # The same installation served without the variable: a clear 503 that names it.
    inst = load.Installation(tmp_path, {**_env(), "DERBES_LOG_LEVEL": "WARNING"})
    with load.live_server(inst) as base:
        status, problem = _answer(base, token, "kredit-seven", demo_iin())
    assert status == 503, problem
    assert isinstance(problem, dict)
    assert problem["variable"] == "KREDIT_SEVEN_CORE_URL" and problem["store"] == \
        "kredit-seven-core"
    assert "KREDIT_SEVEN_CORE_URL" in problem["detail"]

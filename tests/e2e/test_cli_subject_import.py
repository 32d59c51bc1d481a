"""``derbes subject import`` through the real entry point: CSV and JSON lines, several
processes, a rejects file without PD, and a run killed with SIGKILL that resumes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from derbes.identifiers.model._checksum import control_digit
from tests.vault_support import MINIMAL

DERBES = Path(sys.executable).with_name("derbes")
OPERATOR = "example-pay"


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}


def _derbes(*args: str, cwd: Path, stdin: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(DERBES), *args], cwd=cwd, env=_env(), input=stdin,
                          capture_output=True, text=True, check=False, timeout=300)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    assert _derbes("init", cwd=tmp_path).returncode == 0
    published = _derbes("register", "publish", str(MINIMAL), cwd=tmp_path)
    assert published.returncode == 0, published.stderr
    return tmp_path


def _iins(count: int) -> list[str]:
    out: list[str] = []
    serial = 0
    while len(out) < count:
        serial += 1
        first = f"8805054{serial:04d}"
        check = control_digit(first)
        if check is not None:
            out.append(f"{first}{check}")
    return out


def _count(home: Path, sql: str) -> int:
    with sqlite3.connect(home / "var" / "derbes.sqlite3", timeout=30) as db:
        return int(db.execute(sql).fetchone()[0])


def _rejects(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_csv_over_two_workers_and_json_lines(home: Path) -> None:
    iins = _iins(6)
    csv_file = home / "clients.csv"
    csv_file.write_text(
        "identity.iin,contact.phone,identity.full_name,id:customer_id\n"
        f"{iins[0]},+7 701 100 00 01,Әлия Қасымова,W-1\n"
        f"{iins[1][:-1]}{(int(iins[1][-1]) + 1) % 10},+7 701 100 00 02,Bad Check,W-2\n"
        f"{iins[2]},8 (707) 100-00-03,Нұрлан Әбенов,W-3\n"
        "only,two\n"
        f"{iins[3]},+7 701 100 00 04,\"Иванов, Пётр\",W-4\n"
        f"{iins[0]},+7 701 100 00 05,Same IIN,W-5\n", "utf-8")
    ran = _derbes("subject", "import", str(csv_file), "--operator", OPERATOR,
                  "--workers", "2", "--batch", "2", cwd=home)
    assert ran.returncode == 1, ran.stderr
    assert "stored 3 subject(s) of 6 record(s)" in ran.stderr
    by_line = {int(str(r["line"])): r for r in _rejects(home / "clients.csv.rejects.jsonl")}
    # Lines 2 and 7 carry one IIN and go to different workers: whichever commits second
    # is the one refused, so either may be.
    duplicate = 2 if 2 in by_line else 7
    assert sorted(by_line) == sorted([3, 5, duplicate])
    assert by_line[3]["field"] == "value" and "control digit" in str(by_line[3]["reason"])
    assert by_line[5]["field"] == "record"
    assert by_line[duplicate]["field"] == "identifiers"
    text = (home / "clients.csv.rejects.jsonl").read_text("utf-8")
    assert iins[0] not in text and iins[1][:-1] not in text and "Same IIN" not in text
    for iin in (iins[0], iins[2], iins[3]):
        found = _derbes("subject", "find", "--iin", "-", "--purpose", "aml_identification",
                        cwd=home, stdin=iin + "\n")
        assert found.returncode == 0 and len(found.stdout.split()) == 2, found.stderr

    jsonl = home / "more.jsonl"
    jsonl.write_text(
        json.dumps({"identity.iin": iins[4], "identity.full_name": "Дана"}) + "\n\n"
        + "[1, 2]\n" + json.dumps({"identity.iin": iins[5], "contact.phone": None}) + "\n",
        "utf-8")
    ran = _derbes("subject", "import", str(jsonl), "--operator", OPERATOR,
                  "--rejects", str(home / "out.jsonl"), cwd=home)
    assert ran.returncode == 1 and "stored 2 subject(s) of 3 record(s)" in ran.stderr
    assert _rejects(home / "out.jsonl") == [
        {"line": 3, "field": "record", "reason": "not a JSON object"}]
    assert _count(home, "SELECT count(*) FROM subjects") == 5


def test_bad_invocations_are_clear(home: Path) -> None:
    missing = _derbes("subject", "import", str(home / "nope.csv"), "--operator", OPERATOR,
                      cwd=home)
    assert missing.returncode == 1 and "is not a file" in missing.stderr
    (home / "x.txt").write_text("a\n", "utf-8")
    unknown = _derbes("subject", "import", str(home / "x.txt"), "--operator", OPERATOR,
                      cwd=home)
    assert unknown.returncode == 1 and "--format" in unknown.stderr


def test_a_killed_import_resumes_without_losing_or_doubling_anything(home: Path) -> None:
    iins = _iins(600)
    lines = ["identity.iin,identity.full_name"]
    bad = set(range(5, 600, 97))
    for n, iin in enumerate(iins):
        lines.append(f"{iin[:-1] + str((int(iin[-1]) + 1) % 10) if n in bad else iin},"
                     f"Клиент {n}")
    data = home / "base.csv"
    data.write_text("\n".join(lines) + "\n", "utf-8")
    command = [str(DERBES), "subject", "import", str(data), "--operator", OPERATOR,
               "--workers", "2", "--batch", "10"]
    first = subprocess.Popen(command, cwd=home, env=_env(), start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    stored = 0
    while time.monotonic() < deadline and first.poll() is None:
        try:
            stored = _count(home, "SELECT count(*) FROM subject_imports")
        except sqlite3.OperationalError:  # the table is being migrated or locked
            stored = 0
        if stored >= 2:
            break
        time.sleep(0.02)
    os.killpg(first.pid, signal.SIGKILL)  # the parent and its workers, mid-import
    first.wait(timeout=30)
    batches = 60
    assert 2 <= stored < batches, "the first run should have been cut off mid-way"

    again = _derbes(*command[1:], cwd=home)
    assert again.returncode == 1, again.stderr
    assert "batch(es) stored by an earlier run" in again.stderr
    assert _count(home, "SELECT count(*) FROM subject_imports") == batches
    assert _count(home, "SELECT count(*) FROM subjects") == 600 - len(bad)
    assert _count(home, "SELECT count(DISTINCT digest) FROM subject_lookups") == 600 - len(bad)
    rejects = _rejects(home / "base.csv.rejects.jsonl")
    assert [r["line"] for r in rejects] == [n + 2 for n in sorted(bad)]
    assert not (home / "base.csv.rejects.jsonl.parts").exists()
    verified = _derbes("audit", "verify", cwd=home)
    assert verified.returncode == 0, verified.stderr

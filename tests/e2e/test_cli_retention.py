"""``derbes retention plan|run`` through the real entry point, after ``derbes init``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.retention_support import QIWI

DERBES = Path(sys.executable).with_name("derbes")


def _derbes(*args: str, cwd: Path, stdin: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    return subprocess.run([str(DERBES), *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True, check=False, timeout=180)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    init = _derbes("init", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    return tmp_path


def _event(home: Path, sid: str, type_: str, when: str, event_id: str) -> None:
    done = _derbes("event", "--subject", sid, "--type", type_, "--event-id", event_id,
                   "--contract", "K-1", "--occurred-at", when, cwd=home)
    assert done.returncode == 0, done.stderr


def test_plan_and_run_destroy_a_long_closed_customer(home: Path) -> None:
    added = _derbes("subject", "add", "--operator", "qiwi-kz", "--register", str(QIWI),
                    "--values-file", "-", cwd=home,
                    stdin="identity.full_name=Тест Тестов\ncontact.phone=+77017654321\n"
                          "online.cookies=abc\n")
    assert added.returncode == 0, added.stderr
    sid = added.stdout.strip()
    _event(home, sid, "contract_opened", "2015-01-10T09:00:00+05:00", "e1")
    _event(home, sid, "transaction", "2015-06-01T09:00:00+05:00", "e2")
    _event(home, sid, "contract_closed", "2016-01-10T09:00:00+05:00", "e3")

    plan = _derbes("retention", "plan", "--operator", "qiwi-kz", "--format", "json", cwd=home)
    assert plan.returncode == 0, plan.stderr
    body = json.loads(plan.stdout)
    # AML (p.3.4.2 row 9) kept the name and phone 5 years after the last transaction;
    # the cookie belongs to no purpose the customer is in (no consent to analytics):
    # it is kept with no end date, and the plan says so with the finding behind it.
    assert body["subjects"] == 1 and body["pairs"] == 2
    assert body["kept_with_no_end_date"] == 1
    assert [(k["category"], k["state"]) for k in body["kept"]] == [("online.cookies",
                                                                     "unlinked")]
    assert "Art. 7" in body["kept"][0]["finding"]
    text = _derbes("retention", "plan", "--operator", "qiwi-kz", cwd=home)
    assert "2 (subject, category) pair(s) due" in text.stdout
    assert "Falling due" in text.stdout and "destroy" in text.stdout
    assert "Kept with no end date" in text.stdout

    future = _derbes("retention", "run", "--operator", "qiwi-kz", "--as-of", "2099-01-01",
                     cwd=home)
    assert future.returncode != 0 and "future" in future.stderr

    ran = _derbes("retention", "run", "--operator", "qiwi-kz", cwd=home)
    assert ran.returncode == 0, ran.stderr
    assert "1 partly destroyed" in ran.stdout
    again = _derbes("retention", "run", "--operator", "qiwi-kz", cwd=home)
    assert again.returncode == 0 and "nothing is due" in again.stdout
    shown = _derbes("subject", "show", sid, "--purpose", "aml_antifraud", "--json", cwd=home)
    assert shown.returncode == 0 and json.loads(shown.stdout)["values"] == []
    acts = _derbes("acts", "list", cwd=home)
    assert acts.returncode == 0 and "qiwi-kz" in acts.stdout

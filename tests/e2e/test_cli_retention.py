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
    assert body["subjects"] == 1 and body["pairs"] == 3
    text = _derbes("retention", "plan", "--operator", "qiwi-kz", cwd=home)
    assert "3 (subject, category) pair(s) due" in text.stdout
    assert "Falling due" in text.stdout and "destroy" in text.stdout

    future = _derbes("retention", "run", "--operator", "qiwi-kz", "--as-of", "2099-01-01",
                     cwd=home)
    assert future.returncode != 0 and "future" in future.stderr

    ran = _derbes("retention", "run", "--operator", "qiwi-kz", cwd=home)
    assert ran.returncode == 0, ran.stderr
    assert "1 subject(s) crypto-shredded" in ran.stdout
    again = _derbes("retention", "run", "--operator", "qiwi-kz", cwd=home)
    assert again.returncode == 0 and "nothing is due" in again.stdout
    shown = _derbes("subject", "show", sid, "--purpose", "user_requests", cwd=home)
    assert shown.returncode == 3  # destroyed
    acts = _derbes("acts", "list", cwd=home)
    assert acts.returncode == 0 and "qiwi-kz" in acts.stdout

"""``derbes subject …`` through the real entry point, in a fresh directory after ``derbes init``."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.vault_support import FULL_NAME, IIN, MINIMAL, PHONE

DERBES = Path(sys.executable).with_name("derbes")


def _derbes(*args: str, cwd: Path, stdin: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    return subprocess.run([str(DERBES), *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True, check=False, timeout=120)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    init = _derbes("init", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    return tmp_path


def test_add_find_show_destroy(home: Path) -> None:
    added = _derbes("subject", "add", "--operator", "example-pay", "--register", str(MINIMAL),
                    "--values-file", "-", "--id", "customer_id=W-9", cwd=home,
                    stdin=f"identity.full_name={FULL_NAME}\nidentity.iin={IIN}\n"
                          f"contact.phone=8 701 765 43 21\n")
    assert added.returncode == 0, added.stderr
    sid = added.stdout.strip()

    found = _derbes("subject", "find", "--iin", "-", "--purpose", "aml_identification",
                    cwd=home, stdin=IIN + "\n")
    assert found.returncode == 0, found.stderr
    assert found.stdout.split() == [sid, "example-pay"]
    by_id = _derbes("subject", "find", "--customer-id", "W-9", "--purpose", "payment_service",
                    cwd=home)
    assert by_id.stdout.split()[0] == sid

    shown = _derbes("subject", "show", sid, "--purpose", "payment_service", "--json", cwd=home)
    assert shown.returncode == 0, shown.stderr
    assert FULL_NAME in shown.stdout and PHONE in shown.stdout and IIN not in shown.stdout

    no_purpose = _derbes("subject", "show", sid, cwd=home)
    assert no_purpose.returncode == 1 and "purpose" in no_purpose.stderr

    blocked = _derbes("subject", "block", sid, "--reason", "dispute", "--category",
                      "contact.phone", cwd=home)
    assert blocked.returncode == 0, blocked.stderr

    destroyed = _derbes("subject", "destroy", sid, "--reason", "request 1", "--yes", cwd=home)
    assert destroyed.returncode == 0, destroyed.stderr
    assert "data key destroyed" in destroyed.stdout
    after = _derbes("subject", "show", sid, "--purpose", "payment_service", cwd=home)
    assert after.returncode == 3
    gone = _derbes("subject", "find", "--iin", IIN, "--purpose", "aml_identification",
                   cwd=home)
    assert gone.returncode == 3

    verified = _derbes("audit", "show", cwd=home)
    assert f"cli:{getpass.getuser()}" in verified.stdout + verified.stderr


def test_refusals_are_clear_and_quote_no_pd(home: Path) -> None:
    refused = _derbes("subject", "add", "--operator", "example-pay", "--register", str(MINIMAL),
                      "--value", "identity.birth_date=1990-01-01", cwd=home)
    assert refused.returncode == 1
    assert "Law 94-V Art. 7" in refused.stderr and "1990-01-01" not in refused.stderr
    bad = _derbes("subject", "add", "--operator", "example-pay", "--value",
                  f"identity.iin={IIN[:-1]}7", cwd=home)
    assert bad.returncode == 1 and IIN[:-1] not in bad.stderr
    unknown = _derbes("subject", "add", "--operator", "example-pay", "--value",
                      "identity.shoe_size=44", cwd=home)
    assert unknown.returncode == 1 and "identity.shoe_size" in unknown.stderr

"""``derbes staff`` through the installed entry point."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_cli_keys import _derbes

REGISTERS = Path(__file__).resolve().parents[2] / "registers"
PASSWORD = "Жазғы-таң-2026!"


def _run(root: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    if stdin is None:
        return _derbes(*args, cwd=root)
    derbes = Path(sys.executable).with_name("derbes")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    return subprocess.run([str(derbes), *args], cwd=root, env={**env, "COLUMNS": "200"},
                          input=stdin, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("staff")
    assert _derbes("init", cwd=root).returncode == 0
    shutil.copy(REGISTERS / "kassa24.yaml", root / "kassa24.yaml")
    published = _derbes("register", "publish", "kassa24.yaml", cwd=root)
    assert published.returncode == 0, published.stderr
    return root


def test_add_grant_totp_list_access_and_revoke(site: Path) -> None:
    added = _run(site, "staff", "add", "dpo@kassa24.kz", "--name", "Айгерім Нұрланова",
                 "--password-stdin", "--lang", "kk", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert "қосылды" in added.stdout and PASSWORD not in added.stdout + added.stderr
    granted = _run(site, "staff", "grant", "dpo@kassa24.kz", "--operator", "kassa24",
                   "--role", "dpo", "--lang", "en")
    assert granted.returncode == 0, granted.stderr
    listed = _run(site, "staff", "list", "--lang", "en")
    assert "second factor required, not enrolled" in listed.stdout
    enrolled = _run(site, "staff", "totp", "dpo@kassa24.kz", "--lang", "ru")
    assert enrolled.returncode == 0 and enrolled.stdout.startswith("otpauth://totp/derbes")
    assert "больше не будет показан" in enrolled.stderr
    roles = _run(site, "staff", "roles", "--lang", "kk")
    assert "Дербес деректерді өңдеуді ұйымдастыруға жауапты тұлға" in roles.stdout
    csv = _run(site, "staff", "access", "kassa24", "--format", "csv", "-o", "access.csv")
    assert csv.returncode == 0, csv.stderr
    assert "Айгерім Нұрланова" in (site / "access.csv").read_text(encoding="utf-8-sig")
    pdf = _run(site, "staff", "access", "kassa24", "--format", "pdf", "--lang", "kk",
               "-o", "access.pdf")
    assert pdf.returncode == 0 and (site / "access.pdf").read_bytes().startswith(b"%PDF")
    revoked = _run(site, "staff", "revoke", "dpo@kassa24.kz", "--lang", "en")
    assert revoked.returncode == 0, revoked.stderr
    assert "1 role(s) ended" in revoked.stdout and "can no longer sign in" in revoked.stdout
    audit = _run(site, "audit", "show", "--action", "staff.revoke")
    assert audit.returncode == 0 and "staff.revoke" in audit.stdout


def test_bad_input_is_a_clear_error(site: Path) -> None:
    short = _run(site, "staff", "add", "x@kassa24.kz", "--name", "X", "--password-stdin",
                 stdin="short\n")
    assert short.returncode == 1 and "at least 12 characters" in short.stderr
    role = _run(site, "staff", "grant", "x@kassa24.kz", "--operator", "kassa24", "--role", "god")
    assert role.returncode == 1 and "unknown role" in role.stderr
    nobody = _run(site, "staff", "revoke", "nobody@kassa24.kz")
    assert nobody.returncode == 3

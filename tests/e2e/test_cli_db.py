"""``derbes db`` through the installed entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DERBES = Path(sys.executable).with_name("derbes")


def _derbes(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    return subprocess.run(
        [str(DERBES), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_upgrade_creates_the_default_sqlite_database(tmp_path: Path) -> None:
    before = _derbes("db", "current", cwd=tmp_path)
    assert before.returncode == 0, before.stderr
    assert "empty" in before.stdout

    upgraded = _derbes("db", "upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "upgraded" in upgraded.stdout
    assert (tmp_path / "var" / "derbes.sqlite3").is_file()

    again = _derbes("db", "upgrade", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stdout
    assert "up to date" in again.stdout


def test_unreachable_database_is_a_configuration_error(tmp_path: Path) -> None:
    result = _derbes(
        "db", "current", "--database-url",
        f"postgresql://derbes:s3cret@/derbes?host={tmp_path}&port=1",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "cannot use the database" in result.stderr
    assert "s3cret" not in result.stderr + result.stdout

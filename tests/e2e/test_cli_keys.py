"""``derbes init`` and ``derbes keys`` through the installed entry point."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from pathlib import Path

DERBES = Path(sys.executable).with_name("derbes")


def _derbes(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    return subprocess.run(
        [str(DERBES), *args],
        cwd=cwd,
        env={**clean, "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def _snapshot(directory: Path) -> dict[str, tuple[int, bytes]]:
    # WAL side files of SQLite come and go; the databases and the key file must not change.
    return {
        p.name: (stat.S_IMODE(p.stat().st_mode), p.read_bytes())
        for p in sorted(directory.iterdir())
        if p.suffix in {".key", ".sqlite3"}
    }


def test_init_twice_creates_once_and_then_changes_nothing(tmp_path: Path) -> None:
    first = _derbes("init", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    kek_file = tmp_path / "var" / "kek.key"
    assert stat.S_IMODE(kek_file.stat().st_mode) == 0o600
    assert len(base64.b64decode(kek_file.read_text())) == 32
    assert (tmp_path / "var" / "keys.sqlite3").is_file()
    assert (tmp_path / "var" / "derbes.sqlite3").is_file()
    assert "created KEK file var/kek.key (mode 0600)" in first.stdout
    assert "created system keys: blind_index, audit_chain" in first.stdout
    assert kek_file.read_text().strip() not in first.stdout + first.stderr
    before = _snapshot(tmp_path / "var")

    second = _derbes("init", cwd=tmp_path)

    assert second.returncode == 0, second.stderr
    assert "nothing to do: already initialised" in second.stdout
    assert "left as it is" in second.stdout
    assert _snapshot(tmp_path / "var") == before


def test_rotate_then_status(tmp_path: Path) -> None:
    assert _derbes("init", cwd=tmp_path).returncode == 0
    kek_file = tmp_path / "var" / "kek.key"
    old_key = kek_file.read_text()

    rotated = _derbes("keys", "rotate", "--batch-size", "1", cwd=tmp_path)

    assert rotated.returncode == 0, rotated.stderr
    # The two system keys and the key of epoch 1 (data keys are wrapped by the epoch).
    assert "re-wrapped 3 key(s)" in rotated.stdout
    assert kek_file.read_text() != old_key
    assert stat.S_IMODE(kek_file.stat().st_mode) == 0o600
    assert not (tmp_path / "var" / "kek.key.new").exists()
    retired = list((tmp_path / "var").glob("kek.key.retired-*"))
    assert len(retired) == 1 and retired[0].read_text() == old_key
    assert old_key.strip() not in rotated.stdout + rotated.stderr

    status = _derbes("keys", "status", cwd=tmp_path)

    assert status.returncode == 0, status.stderr
    new_id = rotated.stdout.split("→")[1].split()[0]
    assert "configured KEK: " + new_id in status.stdout
    assert retired[0].name.removeprefix("kek.key.retired-") not in status.stdout
    again = _derbes("init", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stdout


def test_a_wrong_kek_is_refused_with_exit_code_2(tmp_path: Path) -> None:
    assert _derbes("init", cwd=tmp_path).returncode == 0
    wrong = base64.b64encode(os.urandom(32)).decode()

    result = _derbes("init", cwd=tmp_path, env={"DERBES_KEK": wrong})

    assert result.returncode == 2, result.stdout + result.stderr
    assert "DERBES_KEK" in result.stderr
    assert wrong not in result.stdout + result.stderr


def test_a_key_file_others_may_read_is_refused(tmp_path: Path) -> None:
    assert _derbes("init", cwd=tmp_path).returncode == 0
    (tmp_path / "var" / "kek.key").chmod(0o644)

    result = _derbes("keys", "rotate", cwd=tmp_path)

    assert result.returncode == 2
    assert "chmod 600" in result.stderr


def test_status_before_init_says_to_initialise(tmp_path: Path) -> None:
    result = _derbes("keys", "status", cwd=tmp_path)

    assert result.returncode == 2
    assert "derbes init" in result.stderr

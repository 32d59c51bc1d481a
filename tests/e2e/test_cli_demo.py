"""`make demo` on a fresh directory: the main job runs end to end on SQLite."""

import os
import subprocess
import sys
from pathlib import Path

REGISTERS = Path(__file__).parents[2] / "registers"


def _demo(workdir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DERBES_REGISTERS_DIR": str(REGISTERS)}
    for name in ("DERBES_DATABASE_URL", "DERBES_KEK", "DERBES_KEYSTORE_URL"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "derbes", "demo", "--no-serve", "--no-pdf"],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=600)


def test_demo_loads_everything_and_runs_again(tmp_path: Path) -> None:
    first = _demo(tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "var" / "derbes.sqlite3").is_file()
    assert (tmp_path / "var" / "kek.key").stat().st_mode & 0o077 == 0
    for operator in ("kassa24", "express-avans", "qiwi-kz", "kredit-seven", "altyncoin"):
        assert f"{operator} policy" in first.stdout
        for lang in ("ru", "kk", "en"):
            assert (tmp_path / "var" / "notices" / f"{operator}.{lang}.html").is_file()
    assert (tmp_path / "var" / "letters" / "access-answer.kk.pdf").read_bytes()[:4] == b"%PDF"
    assert "added to the vault" in first.stdout
    assert "API key (admin, shown once): dbk_" in first.stdout

    second = _demo(tmp_path)
    assert second.returncode == 0, second.stderr
    assert "already in force" in second.stdout
    assert "already in the vault" in second.stdout

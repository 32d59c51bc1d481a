import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parents[1] / "fixtures" / "registers"


def _derbes(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DERBES_DATABASE_URL": f"sqlite:///{tmp_path / 'd.sqlite3'}"}
    return subprocess.run([sys.executable, "-m", "derbes", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def test_publish_then_widen(tmp_path: Path) -> None:
    assert _derbes(tmp_path, "db", "upgrade").returncode == 0
    first = _derbes(tmp_path, "register", "publish", str(FIXTURES / "minimal.yaml"))
    assert first.returncode == 0, first.stderr
    assert "example-pay policy 1.0 published" in first.stdout
    again = _derbes(tmp_path, "register", "publish", str(FIXTURES / "minimal.yaml"))
    assert "already in force" in again.stdout
    wider = _derbes(tmp_path, "register", "publish", str(FIXTURES / "minimal-v2.yaml"))
    assert wider.returncode == 0, wider.stderr
    assert "widens processing" in wider.stdout
    assert "consents now needing re-consent: 0" in wider.stdout


def test_a_broken_file_stores_nothing(tmp_path: Path) -> None:
    assert _derbes(tmp_path, "db", "upgrade").returncode == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\n", encoding="utf-8")
    out = _derbes(tmp_path, "register", "publish", str(FIXTURES / "minimal.yaml"), str(bad))
    assert out.returncode == 1
    assert "bad.yaml" in out.stderr
    listing = _derbes(tmp_path, "register", "publish", str(FIXTURES / "minimal.yaml"))
    assert "published (sha256" in listing.stdout  # the first run stored nothing

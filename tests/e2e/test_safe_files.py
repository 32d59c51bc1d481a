"""Files derbes makes are private: ``var/`` 0700; databases, WAL and shared-memory files,
the KEK, letters, acts, notices and exports 0600 — also when the shell's umask is 022,
and also for files an older version left readable by others."""

from __future__ import annotations

import os
import stat
import subprocess
import time
from pathlib import Path

from tests import load_support as load

REGISTERS = load.ROOT / "registers"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _under_umask_022(inst: load.Installation, *args: str,
                     stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``derbes ARGS`` started from a shell whose umask lets everybody read new files."""
    command = " ".join(["umask 022;", "exec", str(load.DERBES), *map(_quote, args)])
    return subprocess.run(["bash", "-c", command], cwd=inst.workdir, env=inst.env,
                          input=stdin, capture_output=True, text=True, check=False,
                          timeout=600)


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


def _private_tree(var: Path) -> list[str]:
    """Everything under ``var`` that others may read, write or enter."""
    loose = []
    for path in [var, *var.rglob("*")]:
        if _mode(path) & 0o077:
            loose.append(f"{path.relative_to(var.parent)} {oct(_mode(path))}")
    return loose


def _installation(tmp_path: Path) -> load.Installation:
    var = tmp_path / "var"
    return load.installation(tmp_path, f"sqlite:///{var / 'derbes.sqlite3'}",
                             f"sqlite:///{var / 'keys.sqlite3'}")


def test_init_serve_and_outputs_are_private_under_a_permissive_umask(tmp_path: Path) -> None:
    inst = _installation(tmp_path)
    var = tmp_path / "var"
    for args in (("init",), ("register", "publish", str(load.EXPRESS))):
        done = _under_umask_022(inst, *args)
        assert done.returncode == 0, done.stderr
    made = _under_umask_022(inst, "apikey", "create", "--name", "t", "--scope", "admin")
    inst.token = made.stdout.strip().splitlines()[-1]
    assert _mode(var) == 0o700
    assert _mode(var / "kek.key") == 0o600
    assert _mode(var / "derbes.sqlite3") == 0o600 and _mode(var / "keys.sqlite3") == 0o600

    # The server writes (WAL and shared-memory files appear) under the same umask.
    port = load.free_port()
    server = subprocess.Popen(
        ["bash", "-c", f"umask 022; exec {load.DERBES} serve --host 127.0.0.1 --port {port}"],
        cwd=tmp_path, env=inst.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if load.call(base, "GET", "/health", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            server.poll()
            assert server.returncode is None
            time.sleep(0.2)
        status, body = load.call(base, "POST", "/v1/subjects", load.subject_body(1),
                                 token=inst.token)
        assert status == 201, body
        wal = [p for p in var.iterdir() if p.name.endswith(("-wal", "-shm"))]
        assert wal, "the server's writes go through SQLite's WAL"
    finally:
        server.terminate()
        server.wait(timeout=30)

    # Outputs a user asks for: a notice, an answer letter, an evidence export.
    out = tmp_path / "var" / "out"
    out.mkdir()
    os.chmod(out, 0o700)
    notice = out / "notice.md"
    notice.write_text("left by an older version")
    os.chmod(notice, 0o644)  # an existing, world-readable file is overwritten privately
    done = _under_umask_022(inst, "notice", str(load.EXPRESS), "--format", "md",
                            "--lang", "kk", "--output", str(notice))
    assert done.returncode == 0, done.stderr
    assert _mode(notice) == 0o600
    subject = body["subject_id"]
    exported = out / "evidence.json"
    done = _under_umask_022(inst, "consent", "export", "--subject", subject, "--format",
                            "json", "--output", str(exported))
    assert done.returncode == 0, done.stderr
    assert _mode(exported) == 0o600
    assert _private_tree(var) == []


def test_files_an_older_version_left_readable_are_tightened(tmp_path: Path) -> None:
    inst = _installation(tmp_path)
    var = tmp_path / "var"
    assert inst.cli("init").returncode == 0
    os.chmod(var, 0o755)
    for name in ("derbes.sqlite3", "keys.sqlite3"):
        os.chmod(var / name, 0o644)
    done = _under_umask_022(inst, "db", "current")
    assert done.returncode == 0, done.stderr
    assert _mode(var) == 0o700
    assert _mode(var / "derbes.sqlite3") == 0o600
    done = _under_umask_022(inst, "audit", "verify")  # opens the key store too
    assert done.returncode == 0, done.stdout + done.stderr
    assert _private_tree(var) == []

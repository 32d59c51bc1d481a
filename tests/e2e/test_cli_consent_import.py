"""``derbes consent import`` through the real entry point: original times kept, bad lines
rejected with reasons (no PD), a second run replays, the ledger verifies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.vault_support import IIN, MINIMAL

DERBES = Path(sys.executable).with_name("derbes")


def _derbes(*args: str, cwd: Path, stdin: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    return subprocess.run([str(DERBES), *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True, check=False, timeout=300)


def test_consents_migrate_with_their_times_and_a_rerun_replays(tmp_path: Path) -> None:
    assert _derbes("init", cwd=tmp_path).returncode == 0
    added = _derbes("subject", "add", "--operator", "example-pay", "--register", str(MINIMAL),
                    "--values-file", "-", cwd=tmp_path, stdin=f"identity.iin={IIN}\n")
    assert added.returncode == 0, added.stderr
    sid = added.stdout.strip()
    evidence = {"ip": "203.0.113.5", "user_agent": "Legacy CRM"}
    lines = [
        {"subject_id": sid, "scopes": ["processing:newsletters"], "channel": "web_checkbox",
         "given_at": "2024-03-01T10:15:00+05:00", "evidence": evidence},
        {"subject_id": sid, "scopes": ["processing:no_such"], "channel": "web_checkbox",
         "given_at": "2024-03-02T10:15:00+05:00", "evidence": evidence},
        {"subject_id": sid, "scopes": ["marketing"], "channel": "web_checkbox",
         "evidence": evidence},
        {"subject_id": sid, "scopes": ["marketing"], "channel": "web_checkbox",
         "given_at": "2023-06-30T23:00:00Z", "evidence": evidence,
         "idempotency_key": "crm-77"},
    ]
    data = tmp_path / "consents.jsonl"
    data.write_text("\n".join(json.dumps(x) for x in lines) + "\n{oops\n", "utf-8")
    first = _derbes("consent", "import", str(data), "--batch", "3", cwd=tmp_path)
    assert first.returncode == 1, first.stderr
    assert "stored 2 act(s), 0 stored before" in first.stderr
    rejects = [json.loads(x) for x in
               (tmp_path / "consents.jsonl.rejects.jsonl").read_text("utf-8").splitlines()]
    assert [(r["line"], r["field"]) for r in rejects] == [
        (2, "scopes[0].purposes"), (3, "given_at"), (5, "record")]
    assert "203.0.113.5" not in json.dumps(rejects)

    again = _derbes("consent", "import", str(data), cwd=tmp_path)
    assert again.returncode == 1 and "stored 0 act(s), 2 stored before" in again.stderr
    shown = _derbes("consent", "show", "--subject", sid, "--format", "json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    given = sorted(c["given_at"] for c in json.loads(shown.stdout))
    assert given == ["2023-06-30T23:00:00+00:00", "2024-03-01T05:15:00+00:00"]
    verified = _derbes("ledger", "verify", cwd=tmp_path)
    assert verified.returncode == 0 and "intact: 2 entries" in verified.stdout

"""``derbes consent``, ``derbes event`` and ``derbes ledger`` through the installed entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.consent_support import EXPRESS, FULL_NAME, IP, PHONE

DERBES = Path(sys.executable).with_name("derbes")
IIN = "880315301002"


def _derbes(*args: str, cwd: Path, stdin: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    return subprocess.run([str(DERBES), *args], cwd=cwd, env={**clean, "COLUMNS": "200"},
                          input=stdin, capture_output=True, text=True, check=False)


def test_give_event_withdraw_export_verify(tmp_path: Path) -> None:
    assert _derbes("init", cwd=tmp_path).returncode == 0
    added = _derbes("subject", "add", "--operator", "express-avans", "--register", str(EXPRESS),
                    "--values-file", "-", cwd=tmp_path,
                    stdin=f"identity.iin={IIN}\nidentity.full_name={FULL_NAME}\n"
                          f"contact.phone={PHONE}\n")
    assert added.returncode == 0, added.stderr
    subject = added.stdout.strip()

    given = _derbes("consent", "give", "--subject", subject, "--channel", "signed_paper",
                    "--scope", "processing:statistics,customer_database",
                    "--scope", "third_party_transfer:credit_bureaus", "--scope", "marketing",
                    "--evidence-file", "-", "--idempotency-key", "paper-17", cwd=tmp_path,
                    stdin=json.dumps({"ip": IP, "document_number": "PAPER-17"}))
    assert given.returncode == 0, given.stderr
    assert [line.split()[1] for line in given.stdout.splitlines()] == [
        "processing", "third_party_transfer", "marketing"]
    assert IP not in given.stdout + given.stderr

    refused = _derbes("consent", "give", "--subject", subject, "--channel", "web_checkbox",
                      "--scope", "processing:loan_contract", cwd=tmp_path)
    assert refused.returncode == 1 and "needs no consent" in refused.stderr

    opened = _derbes("event", "--subject", subject, "--type", "contract_opened",
                     "--event-id", "cli-1", "--contract", "L-1", cwd=tmp_path)
    assert opened.returncode == 0 and "contract L-1 open" in opened.stdout

    withdrawn = _derbes("consent", "withdraw", "--subject", subject, "--scope", "processing",
                        "--format", "json", cwd=tmp_path)
    assert withdrawn.returncode == 0, withdrawn.stderr
    answer = json.loads(withdrawn.stdout)
    assert answer["event"] == "withdrawal_refused_in_part"
    by = {o["purpose"]: o["status"] for o in answer["outcomes"]}
    assert by["loan_contract"] == "continues" and by["statistics"] == "stopped"

    pdf = tmp_path / "evidence.pdf"
    exported = _derbes("consent", "export", "--subject", subject, "--format", "pdf",
                       "--lang", "en", "--output", str(pdf), cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert pdf.read_bytes().startswith(b"%PDF")

    verified = _derbes("ledger", "verify", "--format", "json", cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["entries"] == 4  # 3 given, 1 withdrawal

    missing = _derbes("consent", "withdraw", "--subject", "nobody", "--scope", "marketing",
                      cwd=tmp_path)
    assert missing.returncode == 3


def test_the_age_check_follows_the_regime_file(tmp_path: Path) -> None:
    """The age of majority comes from the regime in force (``DERBES_REGIME_FILE``), as the
    due dates do: under a DPO's table saying 21 years, a subject of 20 cannot consent alone
    (Law 94-V Art. 8), while under the shipped table (18 years) they can."""
    from datetime import date
    from importlib import resources

    from tests.consent_support import iin_born

    shipped = resources.files("derbes.data").joinpath("regime.yaml").read_text(encoding="utf-8")
    assert "    value: 18 years\n" in shipped
    regime_file = tmp_path / "regime-21.yaml"
    regime_file.write_text(shipped.replace("    value: 18 years\n", "    value: 21 years\n", 1),
                           encoding="utf-8")
    today = date.today()
    twenty = iin_born(date(today.year - 20, today.month, 1))

    def run(*args: str, regime: Path | None, stdin: str | None = None
            ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
        if regime is not None:
            env["DERBES_REGIME_FILE"] = str(regime)
        return subprocess.run([str(DERBES), *args], cwd=tmp_path, env={**env, "COLUMNS": "200"},
                              input=stdin, capture_output=True, text=True, check=False)

    assert run("init", regime=None).returncode == 0
    added = run("subject", "add", "--operator", "express-avans", "--register", str(EXPRESS),
                "--values-file", "-", regime=None,
                stdin=f"identity.iin={twenty}\nidentity.full_name={FULL_NAME}\n"
                      f"contact.phone={PHONE}\n")
    assert added.returncode == 0, added.stderr
    give = ("consent", "give", "--subject", added.stdout.strip(), "--channel", "web_checkbox",
            "--scope", "marketing")

    refused = run(*give, regime=regime_file)
    assert refused.returncode != 0
    assert "age of majority" in refused.stderr
    given = run(*give, regime=None)
    assert given.returncode == 0, given.stderr

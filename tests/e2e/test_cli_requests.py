"""``derbes request …`` and ``derbes requests overdue`` through the real entry point."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fake_mobizon import running
from tests.operator_db import DATASET, REGISTER, generator
from tests.requests_support import busy_client, pdf_text

DERBES = Path(sys.executable).with_name("derbes")


def _derbes(*args: str, cwd: Path, stdin: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    return subprocess.run([str(DERBES), *args], cwd=cwd, env={**clean, **(env or {})},
                          input=stdin, capture_output=True, text=True, check=False,
                          timeout=180)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    assert _derbes("init", cwd=tmp_path).returncode == 0
    published = _derbes("register", "publish", str(REGISTER), cwd=tmp_path)
    assert published.returncode == 0, published.stderr
    return tmp_path


def test_file_verify_answer_list_overdue(home: Path) -> None:
    datasets = home / "datasets"
    datasets.mkdir()
    shutil.copy(DATASET, datasets / DATASET.name)
    op_url = f"sqlite:///{home / 'core.sqlite3'}"
    generator().generate(op_url, 15, seed=9, batch_size=10)
    env = {"KREDIT_SEVEN_CORE_URL": op_url, "DERBES_DATASETS_DIR": str(datasets)}
    client = busy_client(op_url)
    added = _derbes("subject", "add", "--operator", "kredit-seven", "--values-file", "-",
                    cwd=home, env=env,
                    stdin=f"identity.iin={client.iin}\nidentity.full_name={client.last_name}\n")
    assert added.returncode == 0, added.stderr

    filed = _derbes("request", "file", "--operator", "kredit-seven", "--type", "access",
                    "--lang", "kk", "--iin", "-", cwd=home, env=env, stdin=client.iin + "\n")
    assert filed.returncode == 0, filed.stderr
    rid, _, _due = filed.stdout.split()
    assert client.iin not in filed.stdout + filed.stderr

    unverified = _derbes("request", "answer", rid, cwd=home, env=env)
    assert unverified.returncode == 1 and "not verified" in unverified.stderr

    verified = _derbes("request", "verify", rid, "--document", "ID card 041234567",
                       "--reason", "the card was shown at the desk", cwd=home,
                       env=env)
    assert verified.returncode == 0 and "verified" in verified.stdout
    letter = home / "answer.pdf"
    answered = _derbes("request", "answer", rid, "--letter", str(letter), cwd=home, env=env)
    assert answered.returncode == 0, answered.stderr
    assert answered.stdout.split() == [rid, "answered"]
    text = pdf_text(letter.read_bytes())
    assert client.iin in text.replace(" ", "") and "дербес деректеріңіз" in text

    shown = _derbes("request", "show", rid, "--json", cwd=home, env=env)
    view = json.loads(shown.stdout)
    assert view["state"] == "answered" and client.iin not in shown.stdout
    assert view["verification"]["reference"].endswith("4567")
    assert "041234567" not in shown.stdout

    other = _derbes("request", "file", "--operator", "kredit-seven", "--type", "blocking",
                    "--phone", "+77001112233", cwd=home, env=env)
    assert other.returncode == 0, other.stderr
    other_id = other.stdout.split()[0]
    listed = _derbes("request", "list", "--json", cwd=home, env=env)
    assert {r["id"]: r["state"] for r in json.loads(listed.stdout)} == {
        rid: "answered", other_id: "received"}

    late = _derbes("requests", "overdue", "--as-of", "2099-01-01", "--json", cwd=home, env=env)
    assert late.returncode == 1
    assert [r["id"] for r in json.loads(late.stdout)] == [other_id]
    none_yet = _derbes("requests", "overdue", "--as-of", "2000-01-01", cwd=home, env=env)
    assert none_yet.returncode == 0
    tomorrow = _derbes("requests", "overdue", "--tomorrow", "--as-of", "2099-01-01", cwd=home,
                       env=env)
    assert tomorrow.returncode == 0 and other_id not in tomorrow.stdout
    bad = _derbes("request", "file", "--operator", "kredit-seven", "--type", "nope",
                  "--phone", "+77001112233", cwd=home, env=env)
    assert bad.returncode == 1 and "unknown request type" in bad.stderr


def test_sms_code_issued_and_verified_from_the_command_line(home: Path) -> None:
    # A consent or request verified by SMS OTP (Rules 395/НҚ: a form that proves it) can
    # be completed from the CLI too: the code goes out through the Mobizon gateway
    # (here its local stand-in), the subject reads it on the phone and types it back.
    filed = _derbes("request", "file", "--operator", "kredit-seven", "--type", "access",
                    "--phone", "+77001112233", cwd=home)
    assert filed.returncode == 0, filed.stderr
    rid = filed.stdout.split()[0]
    with running() as gateway:
        env = {"DERBES_SMS_GATEWAY": "mobizon", "DERBES_MOBIZON_URL": gateway.url,
               "DERBES_MOBIZON_API_KEY": gateway.api_key}
        issued = _derbes("request", "otp", "issue", rid, cwd=home, env=env)
    assert issued.returncode == 0, issued.stderr
    reference = issued.stdout.split()[0]
    assert reference.startswith("otp_")
    (sms,) = gateway.received
    assert sms.recipient == "77001112233" and sms.text.startswith("Код подтверждения")
    code = gateway.last_code()
    assert code is not None
    assert code not in issued.stdout + issued.stderr  # the operator's staff never see it
    wrong = _derbes("request", "otp", "verify", rid, "--reference", reference, "--code",
                    "000000" if code != "000000" else "111111", cwd=home)
    assert wrong.returncode == 1 and "does not match" in wrong.stderr
    ok = _derbes("request", "otp", "verify", rid, "--reference", reference, "--code", "-",
                 cwd=home, stdin=code + "\n")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.split() == [rid, "verified"]
    again = _derbes("request", "otp", "issue", rid, cwd=home)
    assert again.returncode == 1 and "needs no verification code" in again.stderr

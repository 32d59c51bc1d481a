"""``derbes dataset …`` through the real entry point, on a generated SQLite operator database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.operator_db import DATASET, generator

DERBES = Path(sys.executable).with_name("derbes")


def _derbes(*args: str, cwd: Path, stdin: str | None = None, url: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DERBES_") and k != "KREDIT_SEVEN_CORE_URL"}
    if url is not None:
        env["KREDIT_SEVEN_CORE_URL"] = url
    return subprocess.run([str(DERBES), *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True, check=False, timeout=120)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    init = _derbes("init", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    return tmp_path


@pytest.fixture
def operator_db(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "core.sqlite3"
    generator().generate(f"sqlite:///{path}", 25, seed=3, batch_size=10)
    return f"sqlite:///{path}", path


def _client(path: Path) -> tuple[int, str, str]:
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT c.id, c.iin, c.last_name FROM clients c JOIN applications a "
                         "ON a.client_id = c.id JOIN loans l ON l.application_id = a.id "
                         "ORDER BY c.id LIMIT 1").fetchone()
    return int(row[0]), str(row[1]), str(row[2])


def _count(path: Path, sql: str, *args: object) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute(sql, args).fetchone()[0])


def test_check_show_erase(home: Path, operator_db: tuple[str, Path]) -> None:
    url, path = operator_db
    client_id, iin, last_name = _client(path)
    dataset = str(DATASET)

    checked = _derbes("dataset", "check", dataset, cwd=home, url=url)
    assert checked.returncode == 0, checked.stderr
    assert "valid" in checked.stdout and "5 table(s)" in checked.stdout

    shown = _derbes("dataset", "show", dataset, "--iin", "-", "--json", cwd=home, url=url,
                    stdin=iin + "\n")
    assert shown.returncode == 0, shown.stderr
    body = json.loads(shown.stdout)
    assert body["found"] and body["rows"]["clients"][0]["key"] == client_id
    assert body["rows"]["clients"][0]["values"]["last_name"] == {
        "category": "identity.full_name", "value": last_name}
    assert body["rows"]["loans"]

    table = _derbes("dataset", "show", dataset, "--iin", "-", cwd=home, url=url,
                    stdin=iin + "\n")
    assert table.returncode == 0 and last_name in table.stdout

    audit = _derbes("audit", "show", "--subject", f"kredit-seven-core/clients/{client_id}",
                    "--format", "json", cwd=home)
    assert audit.returncode == 0, audit.stderr
    entries = json.loads(audit.stdout)
    assert [e["action"] for e in entries] == ["subject.read", "subject.read"]
    assert entries[0]["details"]["operation"] == "dataset.collect"
    assert iin not in audit.stdout and last_name not in audit.stdout

    dry = _derbes("dataset", "erase", dataset, "--iin", "-", "--dry-run", cwd=home, url=url,
                  stdin=iin + "\n")
    assert dry.returncode == 0, dry.stderr
    assert "credit_dossier" in dry.stdout and "dry run: nothing was changed" in dry.stdout
    assert iin not in dry.stdout
    assert _count(path, "SELECT count(*) FROM clients WHERE iin = ?", iin) == 1

    refused = _derbes("dataset", "erase", dataset, "--iin", "-", cwd=home, url=url,
                      stdin=iin + "\n")
    assert refused.returncode == 1 and "--yes" in refused.stderr

    phone_only = _derbes("dataset", "erase", dataset, "--customer-id", str(client_id),
                         "--category", "contact.phone", "--keep-nothing", "--yes", cwd=home,
                         url=url)
    assert phone_only.returncode == 0, phone_only.stderr
    assert _count(path, "SELECT count(*) FROM clients WHERE id = ? AND phone LIKE '+7%**%'",
                  client_id) == 1

    erased = _derbes("dataset", "erase", dataset, "--iin", "-", "--keep-nothing", "--yes",
                     cwd=home, url=url, stdin=iin + "\n")
    assert erased.returncode == 0, erased.stderr
    assert "row(s) deleted" in erased.stdout
    assert _count(path, "SELECT count(*) FROM clients WHERE id = ?", client_id) == 0
    assert _count(path, "SELECT count(*) FROM applications WHERE client_id = ?", client_id) == 0

    gone = _derbes("dataset", "show", dataset, "--iin", "-", cwd=home, url=url, stdin=iin + "\n")
    assert gone.returncode == 0 and "no data held" in gone.stdout


def test_bad_mapping_and_missing_url(home: Path, operator_db: tuple[str, Path]) -> None:
    url, _ = operator_db
    broken = home / "datasets" / "core.yaml"
    broken.parent.mkdir()
    text = DATASET.read_text(encoding="utf-8").replace("      credit_score: {", "      score: {")
    broken.write_text(text, encoding="utf-8")
    register = str(DATASET.parent.parent / "kredit-seven.yaml")
    line = text[: text.index("score: {")].count("\n") + 1

    result = _derbes("dataset", "check", str(broken), "--register", register, cwd=home, url=url)
    assert result.returncode == 1
    assert f"{broken}:{line} tables[1].columns.score" in result.stderr
    assert "applications.score does not exist" in result.stderr

    offline = _derbes("dataset", "check", str(broken), "--register", register, "--offline",
                      cwd=home)
    assert offline.returncode == 0, offline.stderr

    no_url = _derbes("dataset", "check", str(DATASET), cwd=home)
    assert no_url.returncode == 2 and "KREDIT_SEVEN_CORE_URL" in no_url.stderr

    no_register = _derbes("dataset", "check", str(broken), cwd=home, url=url)
    assert no_register.returncode == 1 and "--register" in no_register.stderr

    bad_iin = _derbes("dataset", "show", str(DATASET), "--iin", "-", cwd=home, url=url,
                      stdin="123456789012\n")
    assert bad_iin.returncode == 1 and "123456789012" not in bad_iin.stderr


def test_schema_is_json() -> None:
    result = _derbes("dataset", "schema", cwd=Path.cwd())
    assert result.returncode == 0
    assert json.loads(result.stdout)["properties"]["store"]["required"] == ["id", "url_env"]

"""``derbes audit`` through the installed entry point, on a SQLite file tampered with sqlite3."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from derbes.audit.model.log import AuditRecord
from derbes.bootstrap import Container
from derbes.settings import Settings

DERBES = Path(sys.executable).with_name("derbes")
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _derbes(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    return subprocess.run(
        [str(DERBES), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def settings_for(root: Path) -> Settings:
    """The settings ``derbes`` uses when run in ``root`` without DERBES_ variables."""
    var = root / "var"
    return Settings(
        database_url=f"sqlite:///{var / 'derbes.sqlite3'}",
        keystore_url=f"sqlite:///{var / 'keys.sqlite3'}",
        kek_file=var / "kek.key",
        var_dir=var,
    )


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised installation with five audit entries (copied for each test)."""
    root = tmp_path_factory.mktemp("site")
    init = _derbes("init", cwd=root)
    assert init.returncode == 0, init.stderr
    container = Container(settings=settings_for(root))
    try:
        with container.uow() as uow:
            for i in range(1, 6):
                uow.audit.record(AuditRecord(
                    at=T0 + timedelta(minutes=i), actor="clerk", action="subject.read",
                    subject_ids=[f"subject-{i}"], categories=["phone"], purpose="service",
                    request_id=f"r{i}",
                ))
            uow.commit()
    finally:
        container.engine.dispose()
        container.keystore_engine.dispose()
    return root


@pytest.fixture
def site(prepared: Path, tmp_path: Path) -> Path:
    shutil.copytree(prepared / "var", tmp_path / "var")
    return tmp_path


def _sql(root: Path, statement: str) -> None:
    connection = sqlite3.connect(root / "var" / "derbes.sqlite3")
    try:
        connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


def test_an_intact_log_exits_0_with_a_summary(site: Path) -> None:
    result = _derbes("audit", "verify", cwd=site)
    assert result.returncode == 0, result.stderr
    assert "audit log intact: 5 entries" in result.stdout


def test_an_edited_row_exits_1_and_names_the_seq(site: Path) -> None:
    _sql(site, "UPDATE audit_log SET actor = 'someone else' WHERE seq = 3")
    result = _derbes("audit", "verify", cwd=site)
    assert result.returncode == 1
    assert "BROKEN: 1 break(s) in 5 entries" in result.stdout
    assert "seq 3: edited" in result.stdout


def test_json_lists_each_break(site: Path) -> None:
    _sql(site, "DELETE FROM audit_log WHERE seq = 2")
    result = _derbes("audit", "verify", "--format", "json", cwd=site)
    assert result.returncode == 1
    body = json.loads(result.stdout)
    assert body["ok"] is False
    assert body["entries"] == 4
    assert [(b["seq"], b["kind"]) for b in body["breaks"]] == [(2, "deleted")]


def test_an_expected_head_catches_a_cut_tail_with_a_rewound_head(site: Path) -> None:
    before = _derbes("audit", "verify", "--format", "json", cwd=site)
    assert before.returncode == 0, before.stderr
    first = json.loads(before.stdout)
    head = f"{first['head_seq']}:{first['head_hash']}"
    _sql(site, "DELETE FROM audit_log WHERE seq = 5")
    _sql(site, "UPDATE audit_head SET seq = 4, "
               "hash = (SELECT hash FROM audit_log WHERE seq = 4)")
    assert _derbes("audit", "verify", cwd=site).returncode == 0
    result = _derbes("audit", "verify", "--expect", head, cwd=site)
    assert result.returncode == 1
    assert "seq 5: truncated" in result.stdout


def test_without_the_kek_verification_is_a_configuration_error(site: Path) -> None:
    (site / "var" / "kek.key").unlink()
    result = _derbes("audit", "verify", cwd=site)
    assert result.returncode == 2
    assert "error" in result.stderr


def test_show_and_alerts(site: Path) -> None:
    shown = _derbes("audit", "show", "--subject", "subject-4", "--format", "json", cwd=site)
    assert shown.returncode == 0, shown.stderr
    assert [e["seq"] for e in json.loads(shown.stdout)] == [4]
    table = _derbes("audit", "show", "--actor", "clerk", "--limit", "2", cwd=site)
    assert table.returncode == 0 and "subject-5" in table.stdout
    alerts = _derbes("audit", "alerts", cwd=site)
    assert alerts.returncode == 0, alerts.stderr
    assert "no access alerts" in alerts.stdout


def test_a_broken_log_opens_one_candidate_incident_per_operator(site: Path) -> None:
    registers = Path(__file__).resolve().parents[2] / "registers"
    published = _derbes("register", "publish", str(registers / "express-avans.yaml"), cwd=site)
    assert published.returncode == 0, published.stderr
    _sql(site, "UPDATE audit_log SET actor = 'someone else' WHERE seq = 3")
    first = _derbes("audit", "verify", cwd=site)
    assert first.returncode == 1
    assert "opened 1 candidate incident(s)" in first.stdout
    again = _derbes("audit", "verify", "--format", "json", cwd=site)
    assert again.returncode == 1 and json.loads(again.stdout)["candidate_incidents"] == []
    listed = json.loads(_derbes("incident", "list", "--state", "candidate", "--json",
                                cwd=site).stdout)
    assert [(i["operator"], i["trigger"], i["severity"]) for i in listed] == [
        ("express-avans", "chain_break", "critical")]
    dismissed = _derbes("incident", "dismiss", listed[0]["id"], cwd=site)
    assert dismissed.returncode != 0 and "reason" in dismissed.stderr
    confirmed = _derbes("incident", "confirm", listed[0]["id"], "--reason",
                        "Row 3 was edited outside derbes", cwd=site)
    assert confirmed.returncode == 0, confirmed.stderr
    shown = json.loads(_derbes("incident", "show", listed[0]["id"], "--json", cwd=site).stdout)
    assert shown["timeline"][-1]["kind"] == "confirm"
    assert shown["timeline"][-1]["details"]["reason"] == "Row 3 was edited outside derbes"

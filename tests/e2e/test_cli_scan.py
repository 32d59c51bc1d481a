"""``derbes scan`` through the real entry point: the demo operator database of Kredit Seven
and a planted log, reported against the Kredit Seven register in SARIF, HTML and JSON."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.operator_db import REGISTER, generator

DERBES = Path(sys.executable).with_name("derbes")


def _derbes(*args: str, cwd: Path, env: dict[str, str] | None = None,
            timeout: int = 300) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    clean.update(env or {})
    return subprocess.run([str(DERBES), *args], cwd=cwd, env=clean, capture_output=True,
                          text=True, check=False, timeout=timeout)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], list[str]]:
    """The operator database, a log with the IINs of some clients, and what was planted."""
    root = tmp_path_factory.mktemp("scan")
    database = root / "kredit-seven-core.sqlite3"
    generator().generate(f"sqlite:///{database}", 40, seed=7, batch_size=20)
    with sqlite3.connect(database) as db:
        iins = [r[0] for r in db.execute("SELECT iin FROM clients ORDER BY id LIMIT 6")]
        comments = [r[0] for r in db.execute(
            "SELECT comment FROM applications WHERE comment LIKE '%7%' ORDER BY id")]
    logs = root / "logs"
    logs.mkdir()
    with (logs / "gateway.log").open("w", encoding="utf-8") as handle:
        for n, value in enumerate(iins):
            handle.write(f"2026-03-01 10:00:{n:02d} INFO kyc check passed iin={value} "
                         f"session=9f{n:04d}\n")
            handle.write(f"2026-03-01 10:01:{n:02d} INFO order 2026030100{n:02d} paid "
                         "15 000 KZT\n")
    return root, iins, comments


def test_scan_reports_undeclared_pd_in_sarif_and_html(
        planted: tuple[Path, list[str], list[str]]) -> None:
    root, iins, comments = planted
    assert comments, "the generator writes phone numbers into comments"
    out = root / "out"
    result = _derbes(
        "scan", "env:KREDIT_SEVEN_CORE_URL", str(root / "logs"), "--register", str(REGISTER),
        "--sarif", str(out / "scan.sarif"), "--html", str(out / "scan.html"),
        "--json", str(out / "scan.json"), "--fail-on", "undeclared", "--no-ner",
        cwd=root, env={"KREDIT_SEVEN_CORE_URL": f"sqlite:///{root / 'kredit-seven-core.sqlite3'}"},
    )
    assert result.returncode == 1, result.stderr

    sarif = json.loads((out / "scan.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    in_log = [r for r in results if r["ruleId"] == "DRS002"
              and r["properties"]["entity"] == "iin"]
    assert in_log and in_log[0]["level"] == "error"
    physical = in_log[0]["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"].endswith("logs/gateway.log")
    assert physical["region"]["startLine"] == 1
    in_comment = [r for r in results if r["ruleId"] == "DRS001"
                  and r["properties"]["entity"] == "phone"]
    assert [r["locations"][0]["logicalLocations"][0]["name"] for r in in_comment] == [
        "applications.comment"]
    assert "Law 94-V Art. 7" in in_comment[0]["message"]["text"]
    # The comment column's table is mapped: the result points at it in the dataset file.
    mapped = in_comment[0]["locations"][0]["physicalLocation"]
    assert mapped["artifactLocation"]["uri"].endswith("datasets/kredit-seven-core.yaml")
    assert mapped["region"]["startLine"] > 1
    # Declared columns are notes; the order numbers of the log are not IINs.
    assert any(r["level"] == "note" and r["properties"]["entity"] == "iin" for r in results)

    report = json.loads((out / "scan.json").read_text(encoding="utf-8"))
    [log_iins] = [f for f in report["findings"]
                  if f["location"]["source"].endswith("gateway.log")]
    assert log_iins["entity"] == "iin" and log_iins["values"] == len(iins)

    html = (out / "scan.html").read_text(encoding="utf-8")
    assert "<svg" in html and "applications › comment" in html and "gateway.log" in html

    # No full value anywhere: not in the reports, not on the terminal.
    everything = result.stdout + result.stderr + html + json.dumps(sarif) + json.dumps(report)
    for value in iins:
        assert value not in everything
    for comment in comments:
        digits = "".join(c for c in comment if c.isdigit())
        assert digits[-7:] not in "".join(c for c in everything if c.isdigit() or c == " ")


def test_scan_resumes_from_its_state_file(planted: tuple[Path, list[str], list[str]]) -> None:
    root, _, _ = planted
    state = root / "scan.state"
    args = ("scan", str(root / "logs"), "--register", str(REGISTER), "--state", str(state),
            "--json", "-", "--quiet", "--no-ner")
    first = _derbes(*args, cwd=root)
    second = _derbes(*args, cwd=root)
    assert first.returncode == second.returncode == 0
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    assert (one["resumed"], two["resumed"]) == (0, 1)
    assert one["findings"] == two["findings"]
    assert oct(state.stat().st_mode & 0o777) == "0o600"


def test_bad_sources_are_reported_and_the_scan_goes_on(tmp_path: Path) -> None:
    (tmp_path / "ok.log").write_text("тел +7 701 123 45 67\n", encoding="utf-8")
    (tmp_path / "bin.dat").write_bytes(b"\x00\x01" * 100)
    result = _derbes("scan", str(tmp_path), str(tmp_path / "nope"),
                     "postgresql://scan:hunter2@127.0.0.1:1/core", "--register", str(REGISTER),
                     "--json", "-", "--quiet", "--no-ner", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    reasons = {s["where"]: s["reason"] for s in report["skipped"]}
    assert reasons[str(tmp_path / "bin.dat")] == "binary file (not text)"
    assert reasons[str(tmp_path / "nope")] == "no such file or directory"
    assert any("refused" in r for r in reasons.values())
    assert "hunter2" not in result.stdout + result.stderr
    assert [f["entity"] for f in report["findings"]] == ["phone"]


def test_spark_engine_finds_the_same(planted: tuple[Path, list[str], list[str]]) -> None:
    root, iins, _ = planted
    result = _derbes("scan", str(root / "logs"), "--register", str(REGISTER), "--engine",
                     "spark", "--json", "-", "--quiet", "--no-ner", cwd=root, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["entity"] == "iin" and finding["values"] == len(iins)
    assert finding["location"]["first"] == 1

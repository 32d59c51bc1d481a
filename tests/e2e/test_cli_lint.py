"""``derbes register lint`` through the installed entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DERBES = Path(sys.executable).with_name("derbes")
FIXTURE = Path(__file__).parents[1] / "fixtures" / "registers" / "complete.yaml"
MINIMAL = FIXTURE.read_text(encoding="utf-8")

WAIVERS = """waivers:
  - code: DRB012
    path: policy.change
    clause: "10.5"
    reason: "the operator asks again at next login"
"""


def _derbes(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    return subprocess.run(
        [str(DERBES), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def _edit(old: str, new: str, text: str = MINIMAL) -> str:
    assert old in text
    return text.replace(old, new, 1)


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    abroad = _edit("primary_database_country: KZ", "primary_database_country: RU")
    automated = _edit("    automated_decision: false\n", "    automated_decision: true\n")
    silence = _edit("silence_means_consent: false", "silence_means_consent: true") + WAIVERS
    undeclared = _edit("categories: [contact.email]", "categories: [contact.telegram]")
    return {
        "clean": _write(tmp_path, "clean.yaml", MINIMAL),
        "abroad": _write(tmp_path, "abroad.yaml", abroad),
        "automated": _write(tmp_path, "automated.yaml", automated),
        "waived": _write(tmp_path, "waived.yaml", silence),
        "undeclared": _write(tmp_path, "undeclared.yaml", undeclared),
        "broken": _write(tmp_path, "broken.yaml", "schema_version: 1\noperator: [a,\n"),
    }


def test_clean_register_exits_0(files: dict[str, Path], tmp_path: Path) -> None:
    result = _derbes("register", "lint", str(files["clean"]), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "example-pay: 0 errors, 0 warnings, 0 waived" in result.stdout


def test_error_exits_1_with_file_and_line(files: dict[str, Path], tmp_path: Path) -> None:
    result = _derbes("register", "lint", "abroad.yaml", cwd=tmp_path)
    assert result.returncode == 1
    line = _line_of(files["abroad"].read_text(encoding="utf-8"), "primary_database_country")
    assert (
        f"abroad.yaml:{line}: DRB008 error operator.primary_database_country: "
        in result.stdout
    )
    assert "[Law 94-V Art. 12 p.2]" in result.stdout
    # The risk of the finding: Code of Administrative Offences Art. 79, in MCI and tenge.
    assert "risk: КоАП (Code of Administrative Offences) Art. 79" in result.stdout
    assert "60/100/200 MCI = 259,500/432,500/865,000 tenge" in result.stdout
    assert "abroad.yaml: example-pay: 1 error, 0 warnings, 0 waived" in result.stdout


def test_warning_fails_only_with_strict(files: dict[str, Path], tmp_path: Path) -> None:
    plain = _derbes("register", "lint", "automated.yaml", cwd=tmp_path)
    assert plain.returncode == 0, plain.stdout
    assert "DRB018 warning purposes[0].automated_decision" in plain.stdout
    strict = _derbes("register", "lint", "--strict", "automated.yaml", cwd=tmp_path)
    assert strict.returncode == 1


def test_waived_error_is_hidden_unless_strict(files: dict[str, Path], tmp_path: Path) -> None:
    plain = _derbes("register", "lint", "waived.yaml", cwd=tmp_path)
    assert plain.returncode == 0, plain.stdout
    assert "DRB012" not in plain.stdout
    assert "0 errors, 0 warnings, 1 waived" in plain.stdout
    strict = _derbes("register", "lint", "--strict", "waived.yaml", cwd=tmp_path)
    assert strict.returncode == 0, strict.stdout
    assert "DRB012 error policy.change.silence_means_consent" in strict.stdout
    assert "waived (clause 10.5" in strict.stdout


def test_one_failing_file_fails_the_run(files: dict[str, Path], tmp_path: Path) -> None:
    result = _derbes("register", "lint", "clean.yaml", "abroad.yaml", "waived.yaml", cwd=tmp_path)
    assert result.returncode == 1
    summaries = [line for line in result.stdout.splitlines() if "waived" in line]
    assert [s.split(":")[0] for s in summaries if "example-pay" in s] == [
        "clean.yaml", "abroad.yaml", "waived.yaml"
    ]


def test_registers_that_do_not_load_are_findings(files: dict[str, Path], tmp_path: Path) -> None:
    result = _derbes(
        "register", "lint", "undeclared.yaml", "broken.yaml", "absent.yaml", cwd=tmp_path
    )
    assert result.returncode == 1
    line = _line_of(files["undeclared"].read_text(encoding="utf-8"), "contact.telegram")
    assert f"undeclared.yaml:{line}: DRB003 error purposes[2].categories[0]:" in result.stdout
    assert "broken.yaml:3: DRB000 error: malformed YAML" in result.stdout
    assert "absent.yaml: DRB000 error: file not found" in result.stdout
    assert "broken.yaml: does not load: 1 error" in result.stdout
    assert "Traceback" not in result.stderr


def test_json_output(files: dict[str, Path], tmp_path: Path) -> None:
    result = _derbes(
        "register", "lint", "--format", "json", "clean.yaml", "abroad.yaml", "waived.yaml",
        "broken.yaml", cwd=tmp_path,
    )
    assert result.returncode == 1
    reports = json.loads(result.stdout)
    assert [r["file"] for r in reports] == ["clean.yaml", "abroad.yaml", "waived.yaml",
                                           "broken.yaml"]
    clean, abroad, waived, broken = reports
    assert clean["findings"] == [] and clean["operator"] == "example-pay"
    [drb008] = abroad["findings"]
    assert drb008 == {
        "code": "DRB008",
        "severity": "error",
        "path": "operator.primary_database_country",
        "line": _line_of(files["abroad"].read_text(encoding="utf-8"),
                         "primary_database_country"),
        "message": drb008["message"],
        "citation": "Law 94-V Art. 12 p.2",
        "waived": False,
        "waiver": None,
        "risk": drb008["risk"],
    }
    assert drb008["risk"]["mci"] == {"small": 60, "medium": 100, "large": 200}
    assert drb008["risk"]["mci_tenge"] == 4325
    [drb012] = waived["findings"]  # waived findings are always listed in json
    assert drb012["waived"] is True
    assert drb012["waiver"]["clause"] == "10.5"
    assert drb012["waiver"]["reason"]
    assert (waived["errors"], waived["waived"]) == (0, 1)
    assert broken["loaded"] is False and broken["operator"] is None
    assert broken["findings"][0]["code"] == "DRB000"


def test_json_of_clean_registers_exits_0(files: dict[str, Path], tmp_path: Path) -> None:
    result = _derbes("register", "lint", "--format", "json", "clean.yaml", cwd=tmp_path)
    assert result.returncode == 0
    assert json.loads(result.stdout)[0]["errors"] == 0


def test_python_dash_m_runs_the_same_command(files: dict[str, Path], tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    result = subprocess.run(
        [sys.executable, "-m", "derbes", "register", "lint", "abroad.yaml"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 1
    assert "DRB008" in result.stdout


def test_a_schema_1_register_is_upgraded_keeping_its_comments(tmp_path: Path) -> None:
    source = (FIXTURE.parent / "minimal.yaml").read_text(encoding="utf-8")
    path = _write(tmp_path, "old.yaml", "# kept comment\n" + source)
    printed = _derbes("register", "upgrade", "old.yaml", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert "schema_version: 2" in printed.stdout and "# kept comment" in printed.stdout
    assert "now not stated" in printed.stderr  # silence is no longer read as a fact
    assert path.read_text(encoding="utf-8").startswith("# kept comment\nschema_version: 1") or (
        "schema_version: 1" in path.read_text(encoding="utf-8"))
    written = _derbes("register", "upgrade", "--write", "old.yaml", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert "schema_version: 2" in path.read_text(encoding="utf-8")
    again = _derbes("register", "upgrade", "old.yaml", cwd=tmp_path)
    assert "already at the current schema" in again.stdout
    lint = _derbes("register", "lint", "old.yaml", cwd=tmp_path)
    assert "DRB029" not in lint.stdout  # no longer schema 1

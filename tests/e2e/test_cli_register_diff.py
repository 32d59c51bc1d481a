"""``derbes register diff OLD NEW`` through the installed entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DERBES = Path(sys.executable).with_name("derbes")
FIXTURES = Path(__file__).parents[1] / "fixtures" / "registers"
V1 = FIXTURES / "minimal.yaml"
V2 = FIXTURES / "minimal-v2.yaml"


def _derbes(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    return subprocess.run(
        [str(DERBES), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text("utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)


def test_text_names_each_change_and_the_purposes_to_ask_again(tmp_path: Path) -> None:
    result = _derbes("register", "diff", str(V1), str(V2), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    category_line = _line_of(V2, "device.ip_address]")
    assert (f"{V2}:{category_line}: widens category_added_to_purpose "
            "purposes[0].categories[4]:") in out
    assert "    re-consent: processing for purpose payment_service" in out
    assert "widens purpose_added purposes[3]: new purpose fraud_scoring" in out
    assert "widens recipient_added recipients[2]: new recipient mailing_platform in IE" in out
    assert ("    re-consent: cross-border transfer to recipient mailing_platform "
            "(purpose newsletters)") in out
    assert "neutral policy_changed policy.version" in out
    summary = out.strip().splitlines()[-1]
    assert summary.startswith(
        "example-pay 1.0 -> 2.0: widens processing: re-consent required for purposes "
        "newsletters, payment_service; new consent needed for new purposes fraud_scoring"
    )
    assert "aml_identification" not in out  # a legal-obligation purpose is never asked


def test_json(tmp_path: Path) -> None:
    result = _derbes("register", "diff", str(V1), str(V2), "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["operator"] == "example-pay"
    assert data["old"]["policy_version"] == "1.0" and data["new"]["policy_version"] == "2.0"
    assert data["widens"] is True and data["narrows"] is False
    assert data["reconsent_required"] is True
    assert data["reconsent_purposes"] == ["fraud_scoring", "newsletters", "payment_service"]
    assert data["new_purposes"] == ["fraud_scoring"]
    kinds = {(c["kind"], c["path"]): c for c in data["changes"]}
    added = kinds[("category_added_to_purpose", "purposes[0].categories[4]")]
    assert added["effect"] == "widens" and added["in"] == "new"
    assert added["line"] == _line_of(V2, "device.ip_address]")
    assert added["purposes"] == ["payment_service"]
    assert added["reconsent"] == [{
        "kind": "processing", "purpose": "payment_service", "recipient": None,
        "cookie_category": None, "description": "processing for purpose payment_service",
    }]
    assert kinds[("recipient_added", "recipients[2]")]["reconsent"][0]["kind"] == (
        "cross_border_transfer")
    assert kinds[("policy_changed", "policy.version")]["effect"] == "neutral"


def test_backwards_narrows_and_points_into_the_old_file(tmp_path: Path) -> None:
    result = _derbes("register", "diff", str(V2), str(V1), "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["widens"] is False and data["narrows"] is True
    assert data["reconsent_required"] is False
    removed = next(c for c in data["changes"] if c["kind"] == "purpose_removed")
    assert removed["in"] == "old" and removed["file"] == str(V2)
    assert removed["line"] == _line_of(V2, "- id: fraud_scoring")
    assert data["summary"].startswith("narrows processing only")


def test_same_file_has_no_changes(tmp_path: Path) -> None:
    result = _derbes("register", "diff", str(V1), str(V1), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "example-pay 1.0 -> 1.0: no changes"


def test_a_file_that_does_not_load_exits_1(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("schema_version: 1\noperator: [a,\n", encoding="utf-8")
    result = _derbes("register", "diff", str(V1), str(broken), cwd=tmp_path)
    assert result.returncode == 1
    assert "Invalid processing register" in result.stderr
    missing = _derbes("register", "diff", str(tmp_path / "nope.yaml"), str(V1), cwd=tmp_path)
    assert missing.returncode == 1
    assert "file not found" in missing.stderr

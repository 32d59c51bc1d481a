"""``derbes id check`` through the real entry point (``python -m derbes``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def _derbes(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, "-m", "derbes", *args], cwd=cwd, env=env, input=stdin,
        capture_output=True, text=True, encoding="utf-8", check=False,
    )


def _verdict(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_valid_iin_exits_0_with_facts(tmp_path: Path) -> None:
    result = _derbes("id", "check", "900101300126", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    verdict = _verdict(result)
    assert verdict["valid"] is True
    assert verdict["kind"] == "iin"
    assert verdict["facts"]["birth_date"] == "1990-01-01"
    assert verdict["facts"]["sex"] == "male"
    assert verdict["facts"]["century"] == 20
    assert verdict["facts"]["minor"] is False  # today comes from the real clock
    assert verdict["reason"] is None


def test_invalid_iin_exits_1_with_a_reason(tmp_path: Path) -> None:
    result = _derbes("id", "check", "900101300127", "--kind", "iin", cwd=tmp_path)
    assert result.returncode == 1
    verdict = _verdict(result)
    assert verdict["valid"] is False
    assert verdict["value"] is None
    assert "control digit" in verdict["reason"]
    assert "900101300127" not in result.stdout + result.stderr


def test_a_card_number_is_never_printed_in_full(tmp_path: Path) -> None:
    result = _derbes("id", "check", "4111 1111 1111 1111", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "4111111111111111" not in output
    assert "4111 1111 1111 1111" not in output
    verdict = _verdict(result)
    assert verdict["kind"] == "pan"
    assert verdict["facts"] == {"brand": "visa", "bin6": "411111", "last4": "1111", "length": 16}
    assert verdict["masked"] == "411111******1111"


def test_seed_bin_with_kazakh_labels_in_utf8(tmp_path: Path) -> None:
    result = _derbes("id", "check", "060640010247", "--lang", "kk", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "заңды тұлға — резидент" in result.stdout  # not \\u escapes
    assert _verdict(result)["facts"]["registered"] == "2006-06"


def test_value_from_standard_input(tmp_path: Path) -> None:
    result = _derbes("id", "check", "-", cwd=tmp_path, stdin="+7 701 123 45 67\n")
    assert result.returncode == 0, result.stderr
    assert _verdict(result)["value"] == "+77011234567"


def test_bad_kind_is_a_usage_error(tmp_path: Path) -> None:
    result = _derbes("id", "check", "900101300126", "--kind", "snils", cwd=tmp_path)
    assert result.returncode == 2
    assert "--kind" in result.stderr
    assert result.stdout == ""


def test_undetectable_value_is_an_input_error(tmp_path: Path) -> None:
    result = _derbes("id", "check", "hello", cwd=tmp_path)
    assert result.returncode == 1
    assert "cannot tell which kind" in result.stderr
    assert result.stdout == ""

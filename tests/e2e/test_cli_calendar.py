"""``derbes calendar``, ``derbes deadline`` and ``derbes regime show`` through the entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DERBES = Path(sys.executable).with_name("derbes")
FIXTURES = Path(__file__).parents[1] / "fixtures" / "registers"


def _derbes(*args: str, cwd: Path, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    env.update(env_extra)
    env["COLUMNS"] = "200"
    return subprocess.run(
        [str(DERBES), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_calendar_2026_as_json(tmp_path: Path) -> None:
    result = _derbes("calendar", "2026", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["year"] == 2026
    assert data["working_days"] == 247
    assert sum(m["working_days"] for m in data["months"]) == 247
    off = set(data["non_working_days"])
    assert {"2026-03-09", "2026-03-23", "2026-03-24", "2026-03-25", "2026-05-27"} <= off
    assert "2026-08-31" not in off
    special = {s["date"]: s for s in data["special_days"]}
    assert special["2026-05-27"]["name"]["kk"].startswith("Құрбан айт")
    assert special["2026-03-24"]["kind"] == "moved_day_off"
    assert all(s["source"] for s in data["special_days"])


def test_calendar_text_shows_month_grids_and_the_holiday_list(tmp_path: Path) -> None:
    result = _derbes("calendar", "2026", "--lang", "kk", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Наурыз 2026" in result.stdout
    assert "247 working days" in result.stdout
    assert "Құрбан айт" in result.stdout


def test_deadline_access_before_nauryz(tmp_path: Path) -> None:
    result = _derbes("deadline", "access", "2026-03-20T10:00", "--lang", "en", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "due: 2026-03-30" in result.stdout
    assert "3 working days" in result.stdout
    assert "Law No. 94-V" in result.stdout


def test_deadline_as_json_with_a_utc_instant(tmp_path: Path) -> None:
    # 05:00Z is 10:00 in Almaty: the same receipt day.
    result = _derbes("deadline", "access", "2026-03-20T05:00Z", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["due"] == "2026-03-30"
    assert data["received_on"] == "2026-03-20"
    assert data["rule"] == "working_days"
    assert data["check"] is True
    assert set(data["explanation"]) == {"ru", "kk", "en"}


def test_unknown_deadline_and_bad_time(tmp_path: Path) -> None:
    unknown = _derbes("deadline", "acces", "2026-03-20", cwd=tmp_path)
    assert unknown.returncode == 3
    assert "access" in unknown.stderr
    bad = _derbes("deadline", "access", "yesterday", cwd=tmp_path)
    assert bad.returncode == 1
    assert "ISO 8601" in bad.stderr


def test_dpo_calendar_overrides_win(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "overrides:\n"
        "  - date: 2026-03-26\n"
        "    kind: day_off\n"
        "    reason: {ru: Выходной, kk: Демалыс күні, en: Day off}\n"
        "    source: Government decree (test)\n",
        encoding="utf-8",
    )
    result = _derbes(
        "deadline", "access", "2026-03-20T10:00", "--format", "json",
        cwd=tmp_path, DERBES_CALENDAR_OVERRIDES=str(extra),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["due"] == "2026-03-31"


def test_regime_show(tmp_path: Path) -> None:
    text = _derbes("regime", "show", "--lang", "en", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    for word in ("access", "breach_notification", "pretrial_claim", "cookie_max_lifetime"):
        assert word in text.stdout
    as_json = _derbes("regime", "show", "--format", "json", cwd=tmp_path)
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    ids = [d["id"] for d in data["deadlines"]]
    assert len(ids) == len(set(ids))
    assert {"access", "blocking", "rectification", "erasure_on_request", "breach_notification",
            "automated_objection", "consent_withdrawal_stop"} <= set(ids)
    assert all(d["citation"] for d in data["deadlines"])
    assert data["counting"]["timezone"] == "Asia/Almaty"


def _register_with(tmp_path: Path, override: str) -> Path:
    register = tmp_path / "register.yaml"
    register.write_text(
        (FIXTURES / "minimal.yaml").read_text(encoding="utf-8")
        + f"regime_overrides:\n  - {override}\n",
        encoding="utf-8",
    )
    return register


def test_register_overrides_make_deadlines_stricter(tmp_path: Path) -> None:
    register = _register_with(
        tmp_path, '{deadline: access, term: 2 working days, citation: "policy p.6.2"}'
    )
    due = _derbes(
        "deadline", "access", "2026-03-20T10:00", "--register", str(register),
        "--format", "json", cwd=tmp_path,
    )
    assert due.returncode == 0, due.stderr
    data = json.loads(due.stdout)
    assert data["due"] == "2026-03-27"
    assert data["citations"][0] == "policy p.6.2"
    shown = _derbes("regime", "show", str(register), "--format", "json", cwd=tmp_path)
    access = json.loads(shown.stdout)["deadlines"][0]
    assert access["term"] == "2 working days"
    assert access["default"]["term"] == "3 working days"


def test_register_cannot_loosen_a_deadline(tmp_path: Path) -> None:
    register = _register_with(
        tmp_path, '{deadline: erasure_on_request, term: 15 working days, citation: "p.1"}'
    )
    result = _derbes("regime", "show", str(register), cwd=tmp_path)
    assert result.returncode == 1
    assert "erasure_on_request" in result.stderr
    assert "15 working days" in result.stderr

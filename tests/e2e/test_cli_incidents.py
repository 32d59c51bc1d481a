"""``derbes incident`` through the installed entry point, on a SQLite installation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DERBES = Path(sys.executable).with_name("derbes")
REGISTERS = Path(__file__).resolve().parents[2] / "registers"


def _derbes(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    return subprocess.run([str(DERBES), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    assert _derbes(tmp_path, "init").returncode == 0
    published = _derbes(tmp_path, "register", "publish", str(REGISTERS / "express-avans.yaml"))
    assert published.returncode == 0, published.stderr
    return tmp_path


def test_open_show_dismiss_and_bad_input(site: Path) -> None:
    bad = _derbes(site, "incident", "open", "--operator", "no-such-operator",
                  "--detected-at", "2026-01-05T10:00+05:00", "--how", "staff_report",
                  "--what", "x")
    assert bad.returncode != 0 and "no-such-operator" in bad.stderr
    future = _derbes(site, "incident", "open", "--operator", "express-avans",
                     "--detected-at", "2999-01-01T10:00+05:00", "--how", "staff_report",
                     "--what", "x")
    assert future.returncode != 0 and "future" in future.stderr
    opened = _derbes(site, "incident", "open", "--operator", "express-avans",
                     "--detected-at", "2026-01-05T10:00+05:00", "--how", "staff_report",
                     "--what", "Export left on a shared drive", "--subjects", "12")
    assert opened.returncode == 0, opened.stderr
    assert "Art. 25 p.2 sp.8" in opened.stdout
    incident_id = opened.stdout.split()[2].rstrip(";")
    listed = json.loads(_derbes(site, "incident", "list", "--json").stdout)
    assert [i["id"] for i in listed] == [incident_id]
    wrong = _derbes(site, "incident", "dismiss", incident_id, "--reason", "no")
    assert wrong.returncode != 0 and "cannot dismiss" in wrong.stderr
    shown = json.loads(_derbes(site, "incident", "show", incident_id, "--json").stdout)
    assert shown["state"] == "open" and shown["subject_count"] == 12
    assert shown["clock"]["state"] == "overdue"
    assert [e["kind"] for e in shown["timeline"]] == ["open"]
    assert _derbes(site, "incident", "notify", incident_id).returncode == 0
    again = _derbes(site, "incident", "notify", incident_id)
    assert again.returncode != 0


def test_notice_to_the_body_in_kazakh_as_pdf_and_json(site: Path) -> None:
    opened = _derbes(site, "incident", "open", "--operator", "express-avans",
                     "--detected-at", "2026-01-05T10:00+05:00", "--how", "staff_report",
                     "--what", "Экспорт клиенттер тізімі ортақ дискіде қалды",
                     "--subjects", "12", "--category", "identity.iin",
                     "--measures", "Файл жойылды, қолжетімділік жабылды")
    assert opened.returncode == 0, opened.stderr
    incident_id = opened.stdout.split()[2].rstrip(";")
    pdf = site / "notice-kk.pdf"
    done = _derbes(site, "incident", "notice", incident_id, "--lang", "kk", "--format", "pdf",
                   "-o", str(pdf))
    assert done.returncode == 0, done.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    data = json.loads(_derbes(site, "incident", "notice", incident_id, "--lang", "kk",
                              "--format", "json").stdout)
    assert data["detected_at"] == "2026-01-05 10:00" and data["subjects"] == 12
    assert data["operator"] and data["bin"] is None  # the policy states none: not invented
    assert data["what"].startswith("Экспорт") and data["measures_taken"]
    assert data["planned_measures"] is None  # not stated, never invented
    html = _derbes(site, "incident", "notice", incident_id, "--lang", "kk", "--format", "html")
    assert "көрсетілмеген" in html.stdout and "Қабылданған шаралар" in html.stdout
    for bad in (("--lang", "de"), ("--format", "docx")):
        refused = _derbes(site, "incident", "notice", incident_id, *bad)
        assert refused.returncode != 0 and bad[0].lstrip("-") in refused.stderr
    unknown = _derbes(site, "incident", "notice", "no-such-incident")
    assert unknown.returncode != 0 and "no incident" in unknown.stderr


IIN = "900101300126"
NAME = "Гүлнар Сарсенбайқызы Тестова"
PHONE = "+77017654321"


def test_subjects_list_sealed_opened_and_notified_once(site: Path) -> None:
    values = site / "values.txt"
    values.write_text(f"identity.full_name={NAME}\nidentity.iin={IIN}\n"
                      f"contact.phone={PHONE}\n", encoding="utf-8")
    added = _derbes(site, "subject", "add", "--operator", "express-avans",
                    "--values-file", str(values))
    assert added.returncode == 0, added.stderr
    subject_id = added.stdout.strip()
    values.unlink()
    opened = _derbes(site, "incident", "open", "--operator", "express-avans",
                     "--detected-at", "2026-01-05T10:00+05:00", "--how", "processor_report",
                     "--what", "Backup bucket was public", "--subject", subject_id)
    assert opened.returncode == 0, opened.stderr
    incident_id = opened.stdout.split()[2].rstrip(";")
    outputs: list[str] = []

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = _derbes(site, "incident", *args)
        outputs.extend([done.stdout, done.stderr])
        return done

    no_measures = run("notify-subjects", incident_id)
    assert no_measures.returncode != 0 and "measures" in no_measures.stderr
    assert run("update", incident_id, "--measures", "Bucket closed").returncode == 0
    stranger = run("notify-subjects", incident_id, "--subject", "not-a-subject")
    assert stranger.returncode != 0 and "not named in this incident" in stranger.stderr
    sealed = run("seal-list", incident_id)
    assert sealed.returncode == 0, sealed.stderr
    list_id = sealed.stdout.split()[2].rstrip(":")
    out = site / "list.csv"
    assert run("open-list", incident_id, list_id, "-o", str(out)).returncode == 0
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    text = out.read_text("utf-8-sig")
    assert IIN in text and NAME in text and PHONE in text
    # No gateway configured: the SMS is recorded and given up, visibly, against the incident.
    first = run("notify-subjects", incident_id, "--lang", "kk")
    assert first.returncode == 0, first.stderr
    assert "gave_up: 1" in first.stdout and f"{subject_id} kk sms gave_up" in first.stdout
    twice = run("notify-subjects", incident_id)
    assert twice.returncode != 0 and "already notified" in twice.stderr
    shown = json.loads(run("show", incident_id, "--json").stdout)
    assert [e["kind"] for e in shown["timeline"]][-3:] == [
        "list_sealed", "list_opened", "subjects_notified"]
    # Evidence: attached sealed, listed by its neutral name, opened into a private file.
    log = site / "gateway.log"
    log.write_text("10:02 bucket policy changed to public\n", encoding="utf-8")
    unknown = run("attach", incident_id, str(log))
    assert unknown.returncode != 0 and "--media-type" in unknown.stderr
    attached = run("attach", incident_id, str(log), "--media-type", "text/plain")
    assert attached.returncode == 0, attached.stderr
    evidence_id = attached.stdout.split()[1]
    listed = run("evidence", incident_id)
    assert listed.returncode == 0 and "evidence-1.txt" in listed.stdout
    back = site / "back.txt"
    assert run("evidence", incident_id, evidence_id).returncode != 0  # no -o: refused
    assert run("evidence", incident_id, evidence_id, "-o", str(back)).returncode == 0
    assert back.read_bytes() == log.read_bytes()
    shown = json.loads(run("show", incident_id, "--json").stdout)
    assert [x["id"] for x in shown["lists"]] == [list_id]
    assert [(n["subject_id"], n["outcome"]) for n in shown["subjects_notified"]] == [
        (subject_id, "gave_up")]
    assert [e["id"] for e in shown["evidence"]] == [evidence_id]
    assert oct(back.stat().st_mode & 0o777) == "0o600"
    # The subject's values were in the file asked for, and in no output of any command.
    for value in (IIN, NAME, PHONE, PHONE.lstrip("+"), NAME.split()[0]):
        assert all(value not in o for o in outputs)

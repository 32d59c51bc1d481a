"""Adapters of the scanner that talk to real libraries: natasha's NER model (its weights
ship in the wheel), a database whose driver is missing, the resume file, the reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from derbes.errors import SourceSkipped
from derbes.platform.clock import FixedClock
from derbes.scanner import service
from derbes.scanner.adapters.checkpoint import FileCheckpoint
from derbes.scanner.adapters.files import FileSource
from derbes.scanner.adapters.mappings import load_mappings
from derbes.scanner.adapters.natasha_ner import NatashaNames
from derbes.scanner.adapters.reports.html import render_html
from derbes.scanner.adapters.reports.sarif import sarif_dict
from derbes.scanner.adapters.sql import SqlSource
from derbes.scanner.model.scan import ScanOptions
from tests.operator_db import REGISTER
from tests.unit.test_scanner_recognisers import iin


def test_natasha_finds_russian_names() -> None:
    texts = ["Вчера звонил Петров Игорь из отдела", "Погода хорошая"]
    first, second = NatashaNames().persons(texts)
    assert [texts[0][s:e] for s, e in first] == ["Петров Игорь"]
    assert second == []


def test_ner_turns_a_doubtful_name_into_a_finding(tmp_path: Path) -> None:
    log = tmp_path / "chat.log"
    log.write_text("вчера звонил Жанар Сарсенбай из Алматы\n", encoding="utf-8")
    options = ScanOptions(today=service.today_in_kazakhstan(FixedClock()), keep_weak_names=True)
    mappings = load_mappings(REGISTER)
    without = service.scan([FileSource([log])], mappings,
                           engine=service.InProcess(options), clock=FixedClock())
    with_ner = service.scan([FileSource([log])], mappings,
                            engine=service.InProcess(options, NatashaNames()), clock=FixedClock())
    assert without.findings == ()
    assert [f.entity.value for f in with_ner.findings] == ["person_name"]
    assert "ner" in {r.value for r in with_ner.findings[0].reasons}


def test_a_database_without_its_driver_is_skipped() -> None:
    source = SqlSource("mysql+pymysql://scan:pw@127.0.0.1/core")
    try:
        import pymysql  # noqa: F401
    except ImportError:
        with pytest.raises(SourceSkipped, match="no driver for mysql"):
            list(source.units())
    else:  # pragma: no cover - with the driver, nothing listens there
        with pytest.raises(SourceSkipped, match="refused"):
            list(source.units())


def test_resume_file_keeps_no_value_and_survives_a_cut_line(tmp_path: Path) -> None:
    value = iin()
    log = tmp_path / "a.log"
    log.write_text(f"ИИН {value}\n", encoding="utf-8")
    state = tmp_path / "state.jsonl"
    options = ScanOptions(today=service.today_in_kazakhstan(FixedClock()))
    first = service.scan([FileSource([log])], load_mappings(REGISTER),
                         engine=service.InProcess(options), clock=FixedClock(),
                         checkpoint=FileCheckpoint(state))
    assert value not in state.read_text(encoding="utf-8")
    with state.open("a", encoding="utf-8") as handle:
        handle.write('{"key": "cut in the midd')  # the scan was killed while writing
    again = service.scan([FileSource([log])], load_mappings(REGISTER),
                         engine=service.InProcess(options), clock=FixedClock(),
                         checkpoint=FileCheckpoint(state))
    assert again.resumed == 1
    assert [(f.entity, f.values) for f in again.findings] == [
        (f.entity, f.values) for f in first.findings]


def test_reports_in_three_languages(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text(f"ИИН {iin()}\n", encoding="utf-8")
    report = service.scan([FileSource([log])], load_mappings(REGISTER),
                          engine=service.InProcess(ScanOptions(
                              today=service.today_in_kazakhstan(FixedClock()))),
                          clock=FixedClock())
    kk = render_html(report, "kk")
    assert "Дербес деректерді іздеу" in kk and "сипатталған қоймалардан тыс файлда" in kk
    assert 'lang="kk"' in kk and "<script" not in kk
    ru = render_html(report, "ru")
    assert "не на своём месте" in ru
    sarif = sarif_dict(report, str(REGISTER), tmp_path)
    [result] = sarif["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a.log"
    assert json.dumps(sarif).count("DRS002") >= 2  # the rule and the result


def test_worker_processes_find_what_one_process_finds(tmp_path: Path) -> None:
    from derbes.scanner.adapters.workers import Workers

    for n in range(3):
        (tmp_path / f"part-{n}.log").write_text(
            f"ИИН {iin()}\nтел +7 701 123 45 6{n}\nok\n" * (n + 1), encoding="utf-8")
    (tmp_path / "bin.dat").write_bytes(b"\x00" * 10)
    options = ScanOptions(today=service.today_in_kazakhstan(FixedClock()))
    mappings = load_mappings(REGISTER)
    one = service.scan([FileSource([tmp_path])], mappings, engine=service.InProcess(options),
                       clock=FixedClock())
    two = service.scan([FileSource([tmp_path])], mappings, engine=Workers(options, 2),
                       clock=FixedClock())

    def key(report: service.ScanReport) -> list[tuple[str, str, int, int]]:
        return sorted((f.location.source, f.entity.value, f.values, f.matches)
                      for f in report.findings)

    assert key(one) == key(two) and len(key(one)) == 6
    assert one.skipped == two.skipped


def test_html_escapes_names_taken_from_the_source(tmp_path: Path) -> None:
    hostile = tmp_path / "<script>alert(1)<"
    hostile.mkdir()
    (hostile / "x.csv").write_text(f'"<img src=x onerror=alert(2)>"\n{iin()}\n',
                                   encoding="utf-8")
    report = service.scan([FileSource([hostile])], load_mappings(REGISTER),
                          engine=service.InProcess(ScanOptions(
                              today=service.today_in_kazakhstan(FixedClock()))),
                          clock=FixedClock())
    assert report.findings
    html = render_html(report, "en")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;" in html

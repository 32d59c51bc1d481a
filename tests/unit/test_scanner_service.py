"""The scan use case on fakes: judgement against the Kredit Seven register and its dataset,
skipping what cannot be read, resuming, and NER confirming doubtful names."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest

from derbes.datasets.adapters.yaml import load_dataset
from derbes.errors import SourceSkipped
from derbes.platform.clock import FixedClock
from derbes.register.adapters.yaml import load_register
from derbes.scanner import service
from derbes.scanner.model.entities import Entity
from derbes.scanner.model.findings import Mappings, Status, Tally
from derbes.scanner.model.scan import ScanOptions
from derbes.scanner.ports import TEXT, Batch, Unit
from tests.operator_db import DATASET, REGISTER
from tests.unit.test_scanner_recognisers import iin


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    register = load_register(REGISTER).register
    return Mappings(register, (load_dataset(DATASET, register).dataset,))


@dataclass
class FakeSource:
    """Units with their batches; a unit whose batches are a string raises it as a skip."""

    units_: dict[Unit, list[Batch] | str]
    name: str = "fake"
    refuse: str | None = None
    reads: list[str] = field(default_factory=list)
    closed: bool = False

    def units(self) -> Iterator[Unit]:
        if self.refuse:
            raise SourceSkipped(self.name, self.refuse)
        yield from self.units_

    def read(self, unit: Unit) -> Iterator[Batch]:
        self.reads.append(unit.key)
        batches = self.units_[unit]
        if isinstance(batches, str):
            raise SourceSkipped(unit.name, batches)
        yield from batches

    def close(self) -> None:
        self.closed = True


@dataclass
class MemoryCheckpoint:
    tallies: dict[str, list[Tally]] = field(default_factory=dict)
    skips: dict[str, str] = field(default_factory=dict)

    def done(self, key: str) -> list[Tally] | None:
        return self.tallies.get(key)

    def save(self, key: str, tallies: Sequence[Tally]) -> None:
        self.tallies[key] = list(tallies)

    def skipped(self, key: str) -> str | None:
        return self.skips.get(key)

    def save_skipped(self, key: str, reason: str) -> None:
        self.skips[key] = reason


def table(name: str) -> Unit:
    return Unit(key=f"db#{name}", source="db", name=name, kind="table", size=3)


def log(name: str) -> Unit:
    return Unit(key=name, source=name, name=name, kind="text", size=100)


def engine() -> service.InProcess:
    return service.InProcess(ScanOptions(today=service.today_in_kazakhstan(FixedClock())))


def status_of(report: service.ScanReport, where: str, entity: Entity) -> Status:
    [finding] = [f for f in report.findings
                 if f.location.describe().endswith(where) and f.entity is entity]
    return finding.status


def operator_db() -> FakeSource:
    return FakeSource({
        table("clients"): [Batch({"iin": [iin(), iin("8501024")], "phone": ["+77011234567"],
                                  "employer": [iin()]}, 1, 3)],
        table("applications"): [Batch({"comment": ["перезвонить на 8 701 123 45 67", "ок"]},
                                      1, 2)],
        table("audit_trail"): [Batch({"payload": [f"ИИН {iin()}"]}, 1, 1)],
        table("secret"): "no permission to read it (InsufficientPrivilege)",
    })


def test_declared_undeclared_and_misplaced(mappings: Mappings) -> None:
    logs = FakeSource({log("app.log"): [Batch({TEXT: ["ok", f"auth iin={iin()}"]}, 1, 40)]})
    report = service.scan([operator_db(), logs], mappings, engine=engine(), clock=FixedClock())
    assert status_of(report, "clients › iin", Entity.IIN) is Status.DECLARED
    assert status_of(report, "clients › phone", Entity.PHONE) is Status.DECLARED
    # A column mapped to another category, a column and a table no mapping names.
    assert status_of(report, "clients › employer", Entity.IIN) is Status.UNDECLARED
    assert status_of(report, "applications › comment", Entity.PHONE) is Status.UNDECLARED
    assert status_of(report, "audit_trail › payload", Entity.IIN) is Status.UNDECLARED
    assert status_of(report, "app.log", Entity.IIN) is Status.MISPLACED
    [in_log] = [f for f in report.findings if f.location.source == "app.log"]
    assert in_log.rule == "DRS002" and "Law 94-V Art. 7" in in_log.citation
    assert in_log.first_unit == 2
    assert report.skipped == (service.Skipped("secret", "no permission to read it "
                                                        "(InsufficientPrivilege)"),)
    assert report.failed("undeclared") and report.failed("misplaced")
    assert not report.failed(None)


def test_a_refused_source_is_reported_and_the_others_are_scanned(mappings: Mappings) -> None:
    refused = FakeSource({}, name="postgresql://scan@db/core", refuse="the database refused "
                         "(OperationalError)")
    other = operator_db()
    report = service.scan([refused, other], mappings, engine=engine(), clock=FixedClock())
    assert report.skipped[0].where == "postgresql://scan@db/core"
    assert any(f.entity is Entity.IIN for f in report.findings)
    assert refused.closed and other.closed


def test_resume_skips_units_done(mappings: Mappings) -> None:
    checkpoint = MemoryCheckpoint()
    first = operator_db()
    report1 = service.scan([first], mappings, engine=engine(), clock=FixedClock(),
                           checkpoint=checkpoint)
    again = operator_db()
    report2 = service.scan([again], mappings, engine=engine(), clock=FixedClock(),
                           checkpoint=checkpoint)
    assert again.reads == []
    assert report2.resumed == report2.units == 4
    assert [(f.location, f.entity, f.values) for f in report2.findings] == [
        (f.location, f.entity, f.values) for f in report1.findings]
    assert report2.skipped == report1.skipped


@dataclass
class FakeNames:
    said: list[str] = field(default_factory=list)

    def persons(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        self.said.extend(texts)
        return [[(t.index("Сарсенбай"), len(t))] if "Сарсенбай" in t else [] for t in texts]


def test_ner_confirms_doubtful_names_only(mappings: Mappings) -> None:
    names = FakeNames()
    options = ScanOptions(today=service.today_in_kazakhstan(FixedClock()), keep_weak_names=True)
    source = FakeSource({log("chat.log"): [Batch({TEXT: [
        "звонила Жанар Сарсенбай", "Иванов Петр Сергеевич", "Погода Ахметов"]}, 1, 9)]})
    report = service.scan([source], mappings, engine=service.InProcess(options, names),
                          clock=FixedClock())
    [finding] = report.findings
    assert finding.values == 2  # the confirmed weak name and the sure one
    assert "ner" in {r.value for r in finding.reasons}
    assert names.said == ["звонила Жанар Сарсенбай", "Погода Ахметов"]

"""The labelled corpus in tests/fixtures/pd-corpus: the script makes exactly it again, and
the scanner finds what was planted there and none of the look-alikes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fixtures" / "pd-corpus"


def _module(name: str, path: Path) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _eval() -> ModuleType:
    return _module("pd_eval", ROOT / "bench" / "pd_eval.py")


def test_the_script_makes_the_committed_corpus(tmp_path: Path) -> None:
    maker = _module("make_pd_corpus", ROOT / "scripts" / "make_pd_corpus.py")
    maker.generate(tmp_path, 0.3, 14, 1)
    names = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                           if p.is_file())
    for name in names:
        if name.endswith(".parquet"):  # the bytes depend on DuckDB's version, the rows do not
            query = "SELECT * FROM read_parquet(?)"
            assert (duckdb.execute(query, [str(CORPUS / name)]).fetchall()
                    == duckdb.execute(query, [str(tmp_path / name)]).fetchall())
        else:
            assert (CORPUS / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_every_entity_is_planted_with_look_alikes() -> None:
    truth = _eval().load_truth(CORPUS)
    planted = {entity for spans in truth.values() for _, _, entity in spans}
    assert planted == set(_eval().ENTITIES)
    logs = (CORPUS / "logs" / "gateway-1.log").read_text(encoding="utf-8")
    assert " order " in logs and " txn " in logs and "merchant bin=" in logs


@pytest.fixture(scope="module")
def score() -> object:
    from datetime import date

    from derbes.scanner.model.scan import ScanOptions, scan_many

    options = ScanOptions(today=date(2026, 3, 1))

    def detect(texts: list[str], column: str) -> list[list[tuple[int, int, str]]]:
        found: list[list[tuple[int, int, str]]] = [[] for _ in texts]
        for index, match in scan_many(texts, options, column):
            if match.entity.personal:
                found[index].append((match.start, match.end, match.entity.value))
        return found

    return _eval().evaluate(CORPUS, detect)


@pytest.mark.parametrize("entity", ["iin", "phone", "pan", "pan_masked", "iban", "email",
                                    "id_card", "passport", "address", "person_name",
                                    "birth_date"])
def test_quality_per_entity(score: object, entity: str) -> None:
    precision, recall, f1 = score.row(entity)  # type: ignore[attr-defined]
    assert precision >= 0.98 and recall >= 0.95 and f1 >= 0.97, (precision, recall)


def test_look_alikes_never_match(score: object) -> None:
    # Order numbers, broken IINs, BINs, transaction ids, amounts, contract numbers.
    for entity in ("iin", "pan", "phone", "id_card"):
        assert score.fp[entity] == 0, entity  # type: ignore[attr-defined]

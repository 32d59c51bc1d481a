"""Choosing the engine of a scan: DuckDB on this machine (in this process, or in worker
processes), or Apache Spark."""

from __future__ import annotations

from derbes.errors import InputError
from derbes.scanner.model.scan import ScanOptions
from derbes.scanner.ports import Engine, NameModel
from derbes.scanner.service import InProcess


def make_engine(name: str, options: ScanOptions, *, workers: int = 1,
                ner: bool = False) -> Engine:
    names: NameModel | None = None
    if ner:
        from derbes.scanner.adapters.natasha_ner import NatashaNames

        names = NatashaNames()
    if name == "spark":
        from derbes.scanner.adapters.spark import SparkEngine

        return SparkEngine(options, cores=workers, names=names)
    if name != "duckdb":
        raise InputError(f"unknown engine {name!r}: use duckdb or spark", field="engine")
    if workers > 1:
        from derbes.scanner.adapters.workers import Workers

        return Workers(options, workers, names)
    return InProcess(options, names)

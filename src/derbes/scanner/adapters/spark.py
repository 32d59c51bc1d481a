"""The Spark engine (``derbes scan --engine spark``): the same recognisers, run by Apache
Spark over files too big for one machine.

Each file is read by Spark (text, CSV, JSON lines, Parquet), its rows numbered and cut
into partitions; every partition is scanned in a Spark worker by
:func:`derbes.scanner.service.scan_batch` and sends back only its tallies (counts,
masked examples), which the driver adds up. Databases are still read here (through
SQLAlchemy, read-only): Spark would need a JDBC driver per database.

Text lines are read as bytes and decoded like the DuckDB engine does (UTF-8, else
cp1251). Hadoop's line reader skips lines longer than :data:`MAX_LINE` instead of
holding them whole: scan such logs with the default engine, which reads them in pieces.
``master`` is ``local[N]`` for N cores of this machine, or a cluster's URL.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from derbes.errors import SourceSkipped
from derbes.scanner.adapters.files import FileSource, encoding_of, kind_of
from derbes.scanner.model.findings import Tally
from derbes.scanner.model.scan import ScanOptions
from derbes.scanner.ports import TEXT, Batch, NameModel, Outcome, Progress, Source, Unit
from derbes.scanner.service import InProcess, merge, scan_batch

MAX_LINE = 1 << 20
PARTITION_ROWS = 20_000


def _decode(line: bytes | str) -> str:
    if isinstance(line, str):
        return line
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("cp1251")


def _scan_partition(options: ScanOptions, unit: Unit, columns: Sequence[str],
                    rows: Iterable[tuple[Any, int]]) -> Iterator[list[Tally]]:
    """Scan one partition of (row, index) pairs; yields its tallies once."""
    tallies: dict[str, Tally] = {}
    chunk: list[tuple[Any, int]] = []

    def flush() -> None:
        values = {c: [_decode(row[i]) if row[i] is not None else "" for row, _ in chunk]
                  for i, c in enumerate(columns)}
        lines = [index + 1 for _, index in chunk]
        scan_batch(unit, Batch(values, lines[0], 0, lines), options, tallies)

    for pair in rows:
        chunk.append(pair)
        if len(chunk) >= PARTITION_ROWS:
            flush()
            chunk = []
    if chunk:
        flush()
    yield list(tallies.values())


class SparkEngine:
    """Files on Spark; everything else in this process."""

    def __init__(self, options: ScanOptions, *, cores: int = 1, names: NameModel | None = None,
                 master: str | None = None) -> None:
        self._options = options
        self._master = master or f"local[{cores}]"
        self._local = InProcess(options, names)
        self._session: Any = None

    def _spark(self) -> Any:
        if self._session is None:
            from pyspark.sql import SparkSession

            # Workers run the interpreter that runs derbes, so they import the same code.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
            builder = SparkSession.builder.master(self._master).appName("derbes-scan")
            if self._master.startswith("local"):
                # Local mode talks to itself only: on the loopback interface.
                os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
                builder = (builder.config("spark.driver.host", "127.0.0.1")
                           .config("spark.driver.bindAddress", "127.0.0.1"))
            self._session = (
                builder
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "4")
                # cp1251 CSV exports: Spark 4 accepts only a few charsets unless asked.
                .config("spark.sql.legacy.javaCharsets", "true")
                .config("spark.hadoop.mapreduce.input.linerecordreader.line.maxlength",
                        str(MAX_LINE))
                .getOrCreate()
            )
            self._session.sparkContext.setLogLevel("ERROR")
        return self._session

    def _rows(self, path: Path, kind: str) -> tuple[list[str], Any]:
        spark = self._spark()
        if kind == "text":
            lines = spark.sparkContext.textFile(str(path), use_unicode=False)
            return [TEXT], lines.map(lambda line: (line,))
        if kind == "csv":
            with path.open("rb") as handle:
                head = handle.read(8192)
            encoding = "windows-1251" if encoding_of(head) == "cp1251" else "UTF-8"
            frame = spark.read.option("header", True).option("encoding", encoding).csv(str(path))
        elif kind == "jsonl":
            frame = spark.read.json(str(path))
        elif kind == "json":
            frame = spark.read.option("multiLine", True).json(str(path))
        else:
            frame = spark.read.parquet(str(path))
        frame = frame.select(*[frame[c].cast("string").alias(c) for c in frame.columns])
        return list(frame.columns), frame.rdd.map(tuple)

    def scan_file(self, unit: Unit) -> list[Tally]:
        path = Path(unit.name)
        kind = kind_of(path)
        columns, rows = self._rows(path, kind)
        options = self._options
        parts = rows.zipWithIndex().mapPartitions(
            lambda pairs: _scan_partition(options, unit, columns, pairs))
        return merge(t for part in parts.collect() for t in part)

    def scan_units(self, work: Sequence[tuple[Source, Unit]],
                   progress: Progress | None) -> Iterator[tuple[Unit, Outcome]]:
        files = [(s, u) for s, u in work if isinstance(s, FileSource)]
        others = [(s, u) for s, u in work if not isinstance(s, FileSource)]
        yield from self._local.scan_units(others, progress)
        for _, unit in files:
            if progress is not None:
                progress.unit(unit)
            try:
                found = self.scan_file(unit)
            except SourceSkipped as exc:
                yield unit, exc
                continue
            except Exception as exc:  # Spark raises Py4J and JVM errors of any kind
                yield unit, SourceSkipped(unit.name, f"Spark could not read it "
                                                     f"({type(exc).__name__})")
                continue
            if progress is not None:
                progress.advance(unit.size)
            yield unit, found

    def close(self) -> None:
        if self._session is not None:
            self._session.stop()
            self._session = None

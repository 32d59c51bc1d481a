"""Files and directories as scan sources: CSV, JSON lines and Parquet through DuckDB,
logs and other text read here as a stream.

Each file is a unit. Its kind comes from the extension, else from its first bytes:
a NUL byte in the first 8 KiB is a binary file (skipped with that reason). Text is
UTF-8 (with or without a BOM) or, when it does not decode as UTF-8, cp1251 — line by
line, so a log whose lines were written in both still reads. A CSV or JSON-lines file
in cp1251 is recoded into a temporary UTF-8 copy for DuckDB, which reads UTF-8 only.

Memory stays flat on any file: DuckDB streams rows, and text is read in blocks; a
line longer than :data:`MAX_LINE` (a 2 GB log written as one line) is scanned in
pieces cut at a space, every piece keeping the line's number. Nothing is written
next to the files scanned, and they are opened read-only.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from derbes.errors import SourceSkipped
from derbes.scanner.model.vocabulary import split_words
from derbes.scanner.ports import TEXT, Batch, Unit

BLOCK = 1 << 20
MAX_LINE = 1 << 20
BATCH_LINES = 20_000
BATCH_ROWS = 20_000
SNIFF = 8192
_CUT_SEARCH = 512  # how far back from MAX_LINE a space is looked for

KINDS = {
    ".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
    ".parquet": "parquet", ".pq": "parquet",
}
_BINARY_EXTENSIONS = frozenset(split_words(
    ".zip .gz .bz2 .xz .7z .rar .png .jpg .jpeg .gif .pdf .exe .so .dll .class .jar .pyc "
    ".sqlite .sqlite3 .db .docx .xlsx"
))


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(SNIFF)
    except PermissionError:
        raise SourceSkipped(str(path), "no permission to read it") from None
    except OSError as exc:
        raise SourceSkipped(str(path), f"cannot be read ({exc.strerror})") from None


def kind_of(path: Path) -> str:
    """csv, jsonl, parquet or text; SourceSkipped for binary or unreadable files."""
    head = _head(path)
    kind = KINDS.get(path.suffix.lower())
    if kind == "parquet":
        if not head.startswith(b"PAR1"):
            raise SourceSkipped(str(path), "not a Parquet file (no PAR1 magic)")
        return kind
    if path.suffix.lower() in _BINARY_EXTENSIONS or b"\x00" in head:
        raise SourceSkipped(str(path), "binary file (not text)")
    return kind or "text"


def encoding_of(head: bytes) -> str:
    """utf-8-sig, utf-8 or cp1251, judged on the first bytes."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the end of the sample is still UTF-8.
        if exc.start < len(head) - 3:
            return "cp1251"
    return "utf-8"


def _decode(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("cp1251")


def _decode_block(lines: list[bytes]) -> list[str]:
    joined = b"\n".join(lines)
    try:
        return joined.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return [_decode(line) for line in lines]


def _cut(piece: bytes) -> int:
    """Where to cut an over-long line: after a space near MAX_LINE, never inside a
    UTF-8 character."""
    space = piece.rfind(b" ", MAX_LINE - _CUT_SEARCH, MAX_LINE)
    if space > 0:
        return space + 1
    cut = MAX_LINE
    while cut > 0 and 0x80 <= piece[cut] <= 0xBF:
        cut -= 1
    return cut


def text_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes of the line or of a piece of it), in a stream."""
    number, rest = 1, b""
    with path.open("rb") as handle:
        if handle.read(3) != b"\xef\xbb\xbf":
            handle.seek(0)
        while block := handle.read(BLOCK):
            rest += block
            lines = rest.split(b"\n")
            rest = lines.pop()
            for line in lines:
                yield number, line.rstrip(b"\r")
                number += 1
            while len(rest) > MAX_LINE:
                cut = _cut(rest)
                yield number, rest[:cut]
                rest = rest[cut:]
    if rest:
        yield number, rest.rstrip(b"\r")


def read_text(path: Path) -> Iterator[Batch]:
    numbers: list[int] = []
    raw: list[bytes] = []
    size = 0
    for number, line in text_lines(path):
        numbers.append(number)
        raw.append(line)
        size += len(line) + 1
        if len(raw) >= BATCH_LINES or size >= 4 * BLOCK:
            yield Batch({TEXT: _decode_block(raw)}, numbers[0], size, numbers)
            numbers, raw, size = [], [], 0
    if raw:
        yield Batch({TEXT: _decode_block(raw)}, numbers[0], size, numbers)


def _recoded(path: Path, directory: str) -> Path:
    """A UTF-8 copy of a cp1251 file, in ``directory`` (a temporary one)."""
    target = Path(directory) / (path.stem + ".utf8" + path.suffix)
    with path.open("rb") as source, target.open("w", encoding="utf-8") as out:
        for line in source:
            out.write(_decode(line))
    return target


_QUERIES = {
    "csv": "SELECT COLUMNS(*)::VARCHAR FROM read_csv(?, all_varchar=true, header=true, "
           "ignore_errors=true, null_padding=true)",
    "jsonl": "SELECT COLUMNS(*)::VARCHAR FROM read_json(?, format='newline_delimited', "
             "ignore_errors=true)",
    "json": "SELECT COLUMNS(*)::VARCHAR FROM read_json(?, format='auto', ignore_errors=true)",
    "parquet": "SELECT COLUMNS(*)::VARCHAR FROM read_parquet(?)",
}


def read_table_file(path: Path, kind: str, threads: int) -> Iterator[Batch]:
    """Rows of a CSV, JSON-lines or Parquet file through DuckDB, column by column."""
    with tempfile.TemporaryDirectory(prefix="derbes-scan-") as scratch:
        target = path
        if kind != "parquet" and encoding_of(_head(path)) == "cp1251":
            target = _recoded(path, scratch)
        connection = duckdb.connect(":memory:", config={"threads": threads})
        try:
            cursor: Any = connection.execute(_QUERIES[kind], [str(target)])
            names = [d[0] for d in cursor.description]
            first = 1
            while rows := cursor.fetchmany(BATCH_ROWS):
                columns = {n: [v or "" for v in values]
                           for n, values in zip(names, zip(*rows, strict=True), strict=True)}
                size = sum(len(v) + 1 for values in columns.values() for v in values)
                yield Batch(columns, first, size)
                first += len(rows)
        except duckdb.Error as exc:
            # DuckDB's messages quote the offending line: never echoed.
            raise SourceSkipped(str(path), f"{kind.upper()} cannot be parsed "
                                           f"({type(exc).__name__})") from None
        finally:
            connection.close()


class FileSource:
    """Files and directories (walked recursively, symbolic links not followed)."""

    def __init__(self, paths: list[Path], *, threads: int = 1) -> None:
        self._paths = paths
        self._threads = threads

    @property
    def name(self) -> str:
        return ", ".join(str(p) for p in self._paths)

    def _files(self) -> Iterator[Path]:
        for path in self._paths:
            if path.is_dir() and not path.is_symlink():
                for root, dirs, files in os.walk(path, followlinks=False):
                    dirs.sort()
                    for name in sorted(files):
                        yield Path(root) / name
            elif path.exists():
                yield path
            else:
                raise SourceSkipped(str(path), "no such file or directory")

    def units(self) -> Iterator[Unit]:
        for path in self._files():
            try:
                stat = path.lstat()
            except OSError as exc:
                raise SourceSkipped(str(path), f"cannot be read ({exc.strerror})") from None
            if not path.is_file() or path.is_symlink():
                continue
            yield Unit(key=f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}",
                       source=str(path), name=str(path), kind=KINDS.get(path.suffix.lower(),
                                                                         "text"),
                       size=stat.st_size)

    def read(self, unit: Unit) -> Iterator[Batch]:
        path = Path(unit.name)
        kind = kind_of(path)
        try:
            if kind == "text":
                yield from read_text(path)
            else:
                yield from read_table_file(path, kind, self._threads)
        except PermissionError:
            raise SourceSkipped(str(path), "no permission to read it") from None
        except OSError as exc:
            raise SourceSkipped(str(path), f"cannot be read ({exc.strerror})") from None

    def close(self) -> None:
        return None

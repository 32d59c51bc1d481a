"""Files of subjects to import: CSV with a header, or JSON lines.

Each record is one subject. A column (CSV) or key (JSON) names a category of the
register (``identity.iin``, ``contact.phone``…) and holds its value; ``id:<kind>``
(``id:customer_id``) holds an identifier kept only for look-up. Empty cells and
JSON nulls are left out. A record that cannot be read comes back as its reason,
never its text: the file holds personal data.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from derbes.errors import InputError

__all__ = ["ID_PREFIX", "Record", "digest_and_count", "file_format", "records"]

ID_PREFIX = "id:"
_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}


@dataclass(frozen=True)
class Record:
    """One subject of the file: its first line, and its fields or why it cannot be read."""

    line: int
    fields: dict[str, Any] | None
    problem: str | None = None


def file_format(path: Path, given: str | None) -> str:
    """``csv`` or ``jsonl``: as given, else by the file's extension."""
    name = given or _FORMATS.get(path.suffix.lower())
    if name not in ("csv", "jsonl"):
        raise InputError(f"cannot tell the format of {path.name}: give --format csv or jsonl",
                         field="format")
    return name


def digest_and_count(path: Path, salt: str) -> tuple[str, int]:
    """SHA-256 of ``salt`` and the file's bytes, and the number of its lines."""
    digest = hashlib.sha256(salt.encode())
    lines = 0
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
            lines += chunk.count(b"\n")
    return digest.hexdigest(), lines


def records(path: Path, fmt: str) -> Iterator[Record]:
    """The file's subjects in order (a CSV's header and blank lines are not subjects)."""
    with path.open("r", encoding="utf-8", newline="") as stream:
        yield from (_csv(stream) if fmt == "csv" else _jsonl(stream))


def _csv(stream: io.TextIOBase) -> Iterator[Record]:
    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except (csv.Error, UnicodeDecodeError):
        raise InputError("the CSV header cannot be read", field="file") from None
    names = [name.strip() for name in header]
    if not any(names) or len(set(names)) != len(names):
        raise InputError("the CSV header needs distinct, non-empty column names",
                         field="file")
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise InputError(f"line {line} is not UTF-8", field="file") from None
        except csv.Error:
            yield Record(line, None, "not a readable CSV record")
            line = reader.line_num + 1
            continue
        if row and any(cell.strip() for cell in row):
            if len(row) != len(names):
                yield Record(line, None, f"{len(row)} cells where the header has {len(names)}")
            else:
                yield Record(line, {n: c for n, c in zip(names, row, strict=True)
                                    if c.strip()})
        line = reader.line_num + 1


def _jsonl(stream: io.TextIOBase) -> Iterator[Record]:
    line = 0
    while True:
        try:
            text = stream.readline()
        except UnicodeDecodeError:
            raise InputError(f"line {line + 1} is not UTF-8", field="file") from None
        if not text:
            return
        line += 1
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except ValueError:
            yield Record(line, None, "not a JSON value")
            continue
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            yield Record(line, None, "not a JSON object")
            continue
        yield Record(line, {k: v for k, v in value.items() if v is not None and v != ""})

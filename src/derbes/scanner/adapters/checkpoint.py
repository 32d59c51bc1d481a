"""The resume state of a scan: one JSON line per unit done, appended as the scan goes.

A scan killed half-way and started again with the same ``--state`` file skips the
units it finished (their tallies are read back) and scans the rest. The file holds
only what a report holds: counts, confidences, reasons and masked examples, never a
value in full. A line cut by the crash is ignored.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from derbes.scanner.model.entities import Entity
from derbes.scanner.model.findings import EntityTally, Location, SourceKind, Tally
from derbes.scanner.model.matches import Reason

VERSION = 1


def tally_to_dict(tally: Tally) -> dict[str, Any]:
    loc = tally.location
    return {
        "location": {"source": loc.source, "kind": loc.kind.value, "table": loc.table,
                     "column": loc.column},
        "scanned": tally.scanned,
        "entities": {
            entity.value: {
                "values": t.values, "matches": t.matches, "confidence": t.confidence,
                "reasons": sorted(r.value for r in t.reasons), "examples": t.examples,
                "first_unit": t.first_unit,
            }
            for entity, t in tally.entities.items()
        },
    }


def tally_from_dict(data: dict[str, Any]) -> Tally:
    loc = data["location"]
    tally = Tally(Location(loc["source"], SourceKind(loc["kind"]), loc["table"], loc["column"]),
                  scanned=int(data["scanned"]))
    for name, t in data["entities"].items():
        tally.entities[Entity(name)] = EntityTally(
            values=int(t["values"]), matches=int(t["matches"]),
            confidence=float(t["confidence"]), reasons={Reason(r) for r in t["reasons"]},
            examples=list(t["examples"]), first_unit=t["first_unit"],
        )
    return tally


class FileCheckpoint:
    """Units done, in a JSON-lines file (created with mode 0600: it names places of PD)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._done: dict[str, list[Tally]] = {}
        self._skipped: dict[str, str] = {}
        if path.exists():
            self._load()

    def _load(self) -> None:
        with self._path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    record = json.loads(line)
                    if record.get("version") != VERSION:
                        continue
                    if "skipped" in record:
                        self._skipped[record["key"]] = str(record["skipped"])
                    else:
                        self._done[record["key"]] = [tally_from_dict(t)
                                                     for t in record["tallies"]]
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut when the scan was killed

    def _append(self, record: dict[str, Any]) -> None:
        record["version"] = VERSION
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
        fd = os.open(self._path, flags, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def done(self, key: str) -> list[Tally] | None:
        return self._done.get(key)

    def save(self, key: str, tallies: Sequence[Tally]) -> None:
        self._done[key] = list(tallies)
        self._append({"key": key, "tallies": [tally_to_dict(t) for t in tallies]})

    def skipped(self, key: str) -> str | None:
        return self._skipped.get(key)

    def save_skipped(self, key: str, reason: str) -> None:
        self._skipped[key] = reason
        self._append({"key": key, "skipped": reason})

"""The scan report as SARIF 2.1.0, the format CI systems read (GitHub code scanning,
GitLab, Azure DevOps).

Undeclared and misplaced personal data are errors, declared data a note; a BIN is not
reported. A finding in a file points at the file and its first line; a finding in a
database points at the register (what should declare it) with the column as a logical
location; a column of a table that a dataset maps points at that table in the dataset
file instead. Skipped sources are tool notifications.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from derbes.scanner.model.findings import RULES, Finding, SourceKind, Status
from derbes.scanner.service import ScanReport

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {Status.UNDECLARED: "error", Status.MISPLACED: "error", Status.DECLARED: "note"}


def _uri(path: str, base: Path | None) -> str:
    target = Path(path)
    if base is not None:
        try:
            return target.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            pass
    return target.as_posix()


TableLines = Mapping[str, tuple[str, int | None]]


def _location(finding: Finding, register_file: str, base: Path | None,
              tables: TableLines) -> dict[str, Any]:
    loc = finding.location
    if loc.kind is SourceKind.FILE:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(loc.source, base)}}
        if finding.first_unit is not None:
            physical["region"] = {"startLine": finding.first_unit}
        out: dict[str, Any] = {"physicalLocation": physical}
        if loc.column:
            out["logicalLocations"] = [{"name": loc.column, "kind": "member"}]
        return out
    name = f"{loc.table}.{loc.column}" if loc.column else str(loc.table)
    # A mapped table points at its mapping (the dataset file); any other at the register.
    file, line = tables.get(loc.table or "", (register_file, None))
    mapping: dict[str, Any] = {"artifactLocation": {"uri": _uri(file, base)}}
    if line is not None:
        mapping["region"] = {"startLine": line}
    return {
        "physicalLocation": mapping,
        "logicalLocations": [{"name": name, "fullyQualifiedName": f"{loc.source}/{name}",
                              "kind": "member"}],
    }


def _result(finding: Finding, register_file: str, base: Path | None,
            tables: TableLines) -> dict[str, Any]:
    text = (f"{finding.entity.label()} ({finding.values} of {finding.scanned} values, "
            f"confidence {finding.confidence:.2f}): {finding.message.en}")
    if finding.citation:
        text += f". {finding.citation}"
    return {
        "ruleId": finding.rule,
        "level": _LEVELS[finding.status],
        "message": {"text": text},
        "locations": [_location(finding, register_file, base, tables)],
        "properties": {
            "entity": finding.entity.value,
            "status": finding.status.value,
            "category": finding.category,
            "confidence": finding.confidence,
            "share": round(finding.share, 4),
            "reasons": [r.value for r in finding.reasons],
            "examples": list(finding.examples),
        },
    }


def sarif_dict(report: ScanReport, register_file: str, base: Path | None = None,
               tables: TableLines | None = None) -> dict[str, Any]:
    rules = [{
        "id": r.code, "name": r.name,
        "shortDescription": {"text": r.description},
        "defaultConfiguration": {"level": "error" if r.severity.value == "error" else "warning"},
        "properties": {"citation": r.citation},
    } for r in RULES]
    notifications = [{"level": "warning", "message": {"text": f"{s.where}: {s.reason}"},
                      "descriptor": {"id": "DRS000"}} for s in report.skipped]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "derbes scan", "rules": rules}},
            "invocations": [{"executionSuccessful": True,
                             "toolExecutionNotifications": notifications}],
            "results": [_result(f, register_file, base, tables or {})
                        for f in report.findings if f.status in _LEVELS],
        }],
    }


def render_sarif(report: ScanReport, register_file: str, base: Path | None = None,
                 tables: TableLines | None = None) -> str:
    return json.dumps(sarif_dict(report, register_file, base, tables), ensure_ascii=False,
                      indent=2)

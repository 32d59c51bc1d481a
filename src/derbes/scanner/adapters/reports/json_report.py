"""The scan report as JSON: what the other reports show, for machines."""

from __future__ import annotations

import json
from typing import Any

from derbes.platform.labels import Lang
from derbes.scanner.model.findings import Finding
from derbes.scanner.service import ScanReport, counts


def finding_dict(finding: Finding, lang: Lang | str = Lang.EN) -> dict[str, Any]:
    loc = finding.location
    return {
        "location": {"source": loc.source, "kind": loc.kind.value, "table": loc.table,
                     "column": loc.column, "first": finding.first_unit},
        "entity": finding.entity.value,
        "entity_label": finding.entity.label(lang),
        "status": finding.status.value,
        "rule": finding.rule,
        "citation": finding.citation,
        "category": finding.category,
        "message": finding.message.get(lang),
        "values": finding.values,
        "scanned": finding.scanned,
        "matches": finding.matches,
        "share": round(finding.share, 4),
        "holds": finding.holds,
        "confidence": finding.confidence,
        "reasons": [r.value for r in finding.reasons],
        "examples": list(finding.examples),
    }


def report_dict(report: ScanReport, lang: Lang | str = Lang.EN) -> dict[str, Any]:
    return {
        "operator": report.operator,
        "sources": list(report.sources),
        "started": report.started.isoformat(),
        "finished": report.finished.isoformat(),
        "seconds": report.seconds,
        "units": report.units,
        "resumed": report.resumed,
        "summary": dict(counts(report.findings)),
        "findings": [finding_dict(f, lang) for f in report.findings],
        "skipped": [{"where": s.where, "reason": s.reason} for s in report.skipped],
    }


def render_json(report: ScanReport, lang: Lang | str = Lang.EN) -> str:
    return json.dumps(report_dict(report, lang), ensure_ascii=False, indent=2)

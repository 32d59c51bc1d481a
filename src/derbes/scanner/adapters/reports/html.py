"""The scan report as one HTML page with charts (inline SVG: no script, no CDN)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from html import escape

import jinja2
from markupsafe import Markup

from derbes.platform.labels import Lang
from derbes.scanner.adapters.reports.json_report import finding_dict
from derbes.scanner.adapters.reports.texts import TEXTS
from derbes.scanner.model.entities import Entity
from derbes.scanner.model.findings import Finding, Status
from derbes.scanner.service import ScanReport, counts

COLOURS = {Status.UNDECLARED: "#c62828", Status.MISPLACED: "#8e24aa",
           Status.DECLARED: "#2e7d32", Status.NOT_PERSONAL: "#9e9e9e"}
_ORDER = (Status.UNDECLARED, Status.MISPLACED, Status.DECLARED, Status.NOT_PERSONAL)
BAR_WIDTH = 480
ROW = 26
CHAR_WIDTH = 8.6
TOP_PLACES = 10


@dataclass(frozen=True)
class _Bar:
    label: str
    segments: tuple[tuple[Status, int], ...]


def _text_width(text: str) -> int:
    """Pixels a label takes at the chart's font size (DejaVu Sans 13 px, a generous guess)."""
    return int(len(text) * CHAR_WIDTH) + 4


def _legend(y: int, x: int, lang: Lang | str) -> tuple[list[str], int]:
    parts = []
    for status in _ORDER:
        label = status.label(lang)
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{COLOURS[status]}"/>'
                     f'<text x="{x + 16}" y="{y + 11}">{escape(label)}</text>')
        x += 16 + _text_width(label) + 18
    return parts, x


def _bars_svg(bars: list[_Bar], lang: Lang | str) -> str:
    """Horizontal stacked bars, one row per label, with a legend under them."""
    if not bars:
        return ""
    top = max(sum(n for _, n in b.segments) for b in bars) or 1
    label_width = max(_text_width(b.label) for b in bars) + 12
    height = ROW * len(bars) + 34
    legend, legend_end = _legend(ROW * len(bars) + 14, label_width, lang)
    width = max(label_width + BAR_WIDTH + 60, legend_end)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" role="img" font-family="DejaVu Sans, sans-serif" '
             f'font-size="13">']
    for row, bar in enumerate(bars):
        y = row * ROW + 4
        parts.append(f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end">'
                     f'{escape(bar.label)}</text>')
        x = float(label_width)
        for status, n in bar.segments:
            bar_width = BAR_WIDTH * n / top
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{bar_width:.1f}" '
                         f'height="{ROW - 8}" fill="{COLOURS[status]}"><title>'
                         f'{escape(status.label(lang))}: {n}</title></rect>')
            x += bar_width
        total = sum(n for _, n in bar.segments)
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 15}">{total}</text>')
    parts.extend(legend)
    parts.append("</svg>")
    return "".join(parts)


def entity_chart(findings: tuple[Finding, ...], lang: Lang | str) -> str:
    """Values found per kind of data, split by status."""
    per: dict[Entity, Counter[Status]] = {}
    for f in findings:
        per.setdefault(f.entity, Counter())[f.status] += f.values
    bars = [_Bar(e.label(lang), tuple((s, c[s]) for s in _ORDER if c[s]))
            for e, c in sorted(per.items(), key=lambda kv: -sum(kv[1].values()))]
    return _bars_svg(bars, lang)


def place_chart(findings: tuple[Finding, ...], lang: Lang | str) -> str:
    """The places holding the most undeclared or misplaced values."""
    per: Counter[str] = Counter()
    status_of: dict[str, Status] = {}
    for f in findings:
        if f.status.undeclared:
            key = f.location.describe()
            per[key] += f.values
            status_of[key] = f.status
    bars = [_Bar(_short(k), ((status_of[k], n),)) for k, n in per.most_common(TOP_PLACES)]
    return _bars_svg(bars, lang)


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else "…" + text[-(limit - 1):]


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("derbes.scanner.adapters.reports", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(report: ScanReport, lang: Lang | str = Lang.EN) -> str:
    lang = Lang(lang)
    summary = counts(report.findings)
    tiles = [(s.label(lang), summary.get(s.value, 0), COLOURS[s]) for s in _ORDER]
    rows = []
    for f in report.findings:
        row = finding_dict(f, lang)
        row["status_label"] = f.status.label(lang)
        row["colour"] = COLOURS[f.status]
        row["where"] = f.location.describe()
        row["reason_labels"] = [r.label(lang) for r in f.reasons]
        rows.append(row)
    template = _environment().get_template("scan.html.j2")
    return template.render(
        lang=lang.value, t={k: v.get(lang) for k, v in TEXTS.items()}, report=report,
        tiles=tiles, rows=rows,
        # Built here from escaped labels and numbers only (see _bars_svg).
        entity_chart=Markup(entity_chart(report.findings, lang)),  # noqa: S704
        place_chart=Markup(place_chart(report.findings, lang)),  # noqa: S704
    )

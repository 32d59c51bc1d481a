"""Benchmark: how long a privacy notice takes to render as PDF, against the same notice
laid out the way a browser sizes tables by default, measured in the same run.

    python bench/notice_pdf.py [--runs 3] [--lang kk] [--registers kassa24,express-avans]

**Set-up (not timed).** Each shipped register of ``registers/`` (or those named) read
and checked, its notice built in ``--lang`` and written as HTML once.

**Timed, interleaved run by run.** The same HTML given to WeasyPrint twice:

* **derbes**: as derbes renders it (``render_view``): the notice's tables have a fixed
  layout, the widths its style sheet sets (only the short first-layer table is sized to
  its words);
* **baseline**: the same HTML with ``table-layout: auto`` on every table, how the notice
  was laid out before (and the CSS default): the renderer measures every word of every
  cell to size the columns.

Printed per register: pages, the median seconds of each, and derbes' time as a ratio of
the baseline's (lower is better). Both PDFs have the same pages and text; only the
column widths of the long tables may differ by a few millimetres. ``--profile`` adds a
cProfile summary of one derbes render (where the remaining time goes). Synthetic
nothing: the registers are the shipped ones, and a notice holds no personal data.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time
from pathlib import Path

from rich.console import Console
from rich.progress import track
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
console = Console(highlight=False, width=120)

# Appended to the notice's own style sheet: every table sized to its words again.
AUTO_LAYOUT = "<style>table, table.summary { table-layout: auto !important; }</style></head>"


def _html(path: Path, lang: str) -> str:
    from derbes.register.adapters.notice import render_notice
    from derbes.register.adapters.yaml import READER

    loaded = READER.load(path)
    return render_notice(loaded, lang, "html").decode("utf-8")


def _pdf(html: str) -> tuple[float, int]:
    import weasyprint

    start = time.perf_counter()
    document = weasyprint.HTML(string=html).render()
    document.write_pdf()
    return time.perf_counter() - start, len(document.pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lang", default="kk", choices=("ru", "kk", "en"))
    parser.add_argument("--registers", default="",
                        help="comma-separated names in registers/ (default: all)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    names = [n for n in args.registers.split(",") if n] or sorted(
        p.stem for p in (ROOT / "registers").glob("*.yaml"))
    notices = {name: _html(ROOT / "registers" / f"{name}.yaml", args.lang) for name in names}
    fixed: dict[str, list[float]] = {n: [] for n in names}
    auto: dict[str, list[float]] = {n: [] for n in names}
    pages: dict[str, tuple[int, int]] = {}
    steps = [(run, name) for run in range(args.runs) for name in names]
    for _run, name in track(steps, description="rendering", console=console):
        html = notices[name]
        seconds, fixed_pages = _pdf(html)
        fixed[name].append(seconds)
        seconds, auto_pages = _pdf(html.replace("</head>", AUTO_LAYOUT, 1))
        auto[name].append(seconds)
        pages[name] = (fixed_pages, auto_pages)
    table = Table(title=f"Notice PDF ({args.lang}), median of {args.runs} runs")
    for column in ("register", "pages", "derbes s", "auto layout s", "ratio"):
        table.add_column(column, justify="left" if column == "register" else "right")
    for name in names:
        ours, theirs = statistics.median(fixed[name]), statistics.median(auto[name])
        table.add_row(name, f"{pages[name][0]} / {pages[name][1]}", f"{ours:.1f}",
                      f"{theirs:.1f}", f"{ours / theirs:.2f}")
    total_ours = sum(statistics.median(v) for v in fixed.values())
    total_theirs = sum(statistics.median(v) for v in auto.values())
    table.add_row("all", "", f"{total_ours:.1f}", f"{total_theirs:.1f}",
                  f"{total_ours / total_theirs:.2f}", style="bold")
    console.print(table)
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(_pdf, notices[names[0]])
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(18)
        console.print(f"[bold]profile of {names[0]}[/]\n" + out.getvalue())


if __name__ == "__main__":
    main()

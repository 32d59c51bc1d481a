"""Benchmark: the PD scanner against Presidio's analyzer, on one generated corpus, in one run.

    .venv/bin/pip install -e '.[bench]'          # presidio-analyzer (not a derbes dependency)
    .venv/bin/python bench/scan.py               # 200 MB corpus in var/pd-corpus (made once)
    .venv/bin/python bench/scan.py --mb 20 --every 20 --no-spark      # a quick run

What runs (figures in docs/benchmarks.md):

1. The corpus (``scripts/make_pd_corpus.py``: operator tables, exports and logs in
   ru/kk/en with planted PD, look-alikes and the ground truth) is generated if absent.
2. **derbes, whole corpus**: ``derbes scan``'s use case over the corpus directory, as
   the CLI runs it — files read by DuckDB and the streaming text reader, recognisers,
   tallies, judgement against the Kredit Seven register — on 1 core (in process), on 2
   cores (two worker processes), and on Spark in local mode with 2 cores.
3. **Presidio vs derbes on the same texts**: every ``--every``-th row or line of every
   file (the same units for both), read once beforehand (reading is not timed). Presidio
   ``AnalyzerEngine.analyze`` per text with the column name as context (what its
   ``BatchAnalyzerEngine`` does for tables), offline, ``NoOpNlpEngine``, its pattern
   recognisers plus the Kazakhstan ones of ``bench/presidio_kz.py``; derbes
   ``scan_many`` per column batch. 1 core, and 2 cores (two processes, half each).
4. Precision, recall and F1 per entity, for both, on those texts; and for derbes on the
   whole corpus.

Timings are wall-clock and CPU time (this process and its worker processes) on a shared
machine: compare the ratios. Under load from other jobs the wall clock of a two-process
run says little about scaling; CPU time per MB says whether the work was split without
extra cost.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing
import resource
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pd_eval import ENTITIES, Score, Span, batches, corpus_files, evaluate, load_truth

from derbes.platform.system_clock import SystemClock
from derbes.scanner import service
from derbes.scanner.adapters.files import FileSource
from derbes.scanner.adapters.mappings import load_mappings
from derbes.scanner.model.scan import ScanOptions, scan_many

ROOT = Path(__file__).resolve().parents[1]
REGISTER = ROOT / "registers" / "kredit-seven.yaml"
TODAY = date(2026, 3, 1)
OPTIONS = ScanOptions(today=TODAY)
Sample = list[tuple[str, str, list[str], list[int]]]


def ensure_corpus(path: Path, megabytes: float, seed: int) -> None:
    if (path / "truth.tsv").exists():
        return
    spec = importlib.util.spec_from_file_location("make_pd_corpus",
                                                  ROOT / "scripts" / "make_pd_corpus.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_pd_corpus"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    print(f"generating a {megabytes:g} MB corpus in {path} …", flush=True)
    module.generate(path, megabytes, seed, max(1, int(megabytes // 25)))


def corpus_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in corpus_files(path))


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def pipeline(path: Path, engine: Any) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the scan use case over the corpus directory."""
    start, cpu = time.perf_counter(), cpu_seconds()
    try:
        report = service.scan([FileSource([path])], load_mappings(REGISTER), engine=engine,
                              clock=SystemClock())
    finally:
        engine.close()
    seconds = time.perf_counter() - start
    assert report.findings
    assert not report.skipped, report.skipped
    return seconds, cpu_seconds() - cpu


def read_sample(path: Path, every: int) -> Sample:
    out: Sample = []
    for file in corpus_files(path):
        for rel, column, texts, numbers in batches(path, file):
            keep = [i for i, n in enumerate(numbers) if n % every == 0]
            if keep:
                out.append((rel, column, [texts[i] for i in keep], [numbers[i] for i in keep]))
    return out


def derbes_detect(texts: list[str], column: str) -> list[list[Span]]:
    found: list[list[Span]] = [[] for _ in texts]
    for index, match in scan_many(texts, OPTIONS, column):
        if match.entity.personal:
            found[index].append((match.start, match.end, match.entity.value))
    return found


_ANALYZER: Any = None


def _presidio_init() -> None:
    global _ANALYZER
    from presidio_kz import make_analyzer

    _ANALYZER = make_analyzer()


def presidio_detect(texts: list[str], column: str) -> list[list[Span]]:
    from presidio_kz import spans

    context = [column.replace("_", " ")] if column else None
    return [spans(_ANALYZER.analyze(text=t, language="en", context=context)) if t else []
            for t in texts]


def _presidio_item(item: tuple[list[str], str]) -> list[list[Span]]:
    return presidio_detect(*item)


def timed(sample: Sample, detect: Any,
          cores: int) -> tuple[float, float, list[list[list[Span]]]]:
    items = [(texts, column) for _, column, texts, _ in sample]
    start, cpu = time.perf_counter(), cpu_seconds()
    if cores == 1:
        found = [detect(texts, column) for texts, column in items]
    else:
        context = multiprocessing.get_context("fork")
        presidio = detect is presidio_detect
        worker = _presidio_item if presidio else _derbes_item
        with context.Pool(cores, initializer=_presidio_init if presidio else None) as pool:
            found = pool.map(worker, items, chunksize=max(1, len(items) // (cores * 8)))
    return time.perf_counter() - start, cpu_seconds() - cpu, found


def _derbes_item(item: tuple[list[str], str]) -> list[list[Span]]:
    return derbes_detect(*item)


def score(sample: Sample, found: list[list[list[Span]]], truth: dict[Any, list[Span]]) -> Score:
    result = Score()
    for (rel, column, _, numbers), spans in zip(sample, found, strict=True):
        for number, predicted in zip(numbers, spans, strict=True):
            result.add(truth.get((rel, number, column), []), predicted)
    return result


def _mbs(size: int, seconds: float) -> float:
    return size / seconds / 1e6


def _row(label: str, size: int, seconds: float, cpu: float | None) -> dict[str, Any]:
    row: dict[str, Any] = {"seconds": seconds, "mb_s": _mbs(size, seconds)}
    line = f"{label:>28}: {seconds:8.1f} s  {row['mb_s']:7.3f} MB/s"
    if cpu is not None:
        row.update(cpu_seconds=cpu, mb_per_cpu_s=_mbs(size, cpu))
        line += f"   cpu {cpu:8.1f} s  {row['mb_per_cpu_s']:7.3f} MB/cpu-s"
    print(line, flush=True)
    return row


def run(args: argparse.Namespace) -> dict[str, Any]:
    ensure_corpus(args.corpus, args.mb, args.seed)
    size = corpus_bytes(args.corpus)
    truth = load_truth(args.corpus)
    results: dict[str, Any] = {"corpus_bytes": size, "every": args.every, "throughput": {}}
    through = results["throughput"]
    print(f"corpus: {size / 1e6:.1f} MB in {len(corpus_files(args.corpus))} files", flush=True)

    from derbes.scanner.adapters.workers import Workers

    for label, engine in (("derbes 1 core", service.InProcess(OPTIONS)),
                          ("derbes 2 cores", Workers(OPTIONS, 2))):
        seconds, cpu = pipeline(args.corpus, engine)
        through[label] = _row(label, size, seconds, cpu)
    if args.spark:
        from derbes.scanner.adapters.spark import SparkEngine

        seconds, _ = pipeline(args.corpus, SparkEngine(OPTIONS, cores=2))
        # The JVM's CPU time is not this process's: wall-clock only.
        through["spark local[2]"] = _row("spark local[2]", size, seconds, None)

    sample = read_sample(args.corpus, args.every)
    sample_bytes = sum(len(t.encode()) + 1 for _, _, texts, _ in sample for t in texts)
    results["sample_bytes"] = sample_bytes
    print(f"sample: every {args.every}th unit, {sample_bytes / 1e6:.2f} MB", flush=True)
    _presidio_init()
    found: dict[str, list[list[list[Span]]]] = {}
    for label, detect, cores in (("derbes recognisers 1 core", derbes_detect, 1),
                                 ("presidio 1 core", presidio_detect, 1),
                                 ("derbes recognisers 2 cores", derbes_detect, 2),
                                 ("presidio 2 cores", presidio_detect, 2)):
        seconds, cpu, out = timed(sample, detect, cores)
        found.setdefault(label.split()[0], out)
        through[label] = _row(label, sample_bytes, seconds, cpu)

    quality: dict[str, dict[str, list[float]]] = {}
    for tool in ("derbes", "presidio"):
        s = score(sample, found[tool], truth)
        quality[tool] = {e: list(s.row(e)) for e in ENTITIES}
    whole = evaluate(args.corpus, derbes_detect, truth=truth)
    quality["derbes, whole corpus"] = {e: list(whole.row(e)) for e in ENTITIES}
    results["quality"] = quality
    return results


def report(results: dict[str, Any]) -> None:
    t = results["throughput"]
    presidio1 = t["presidio 1 core"]
    print("\nthroughput: ratio to Presidio on 1 core (wall clock; per CPU second)")
    for label, row in t.items():
        line = f"  {label:>28}: ×{row['mb_s'] / presidio1['mb_s']:8.1f}"
        if "mb_per_cpu_s" in row:
            line += f"   ×{row['mb_per_cpu_s'] / presidio1['mb_per_cpu_s']:8.1f}"
        print(line)
    print("\nquality on the sample: precision / recall / F1")
    q = results["quality"]
    print(f"  {'entity':<12} {'derbes':>20} {'presidio':>20} {'derbes whole corpus':>22}")
    for entity in ENTITIES:
        cells = ["/".join(f"{v:.2f}" for v in q[tool][entity])
                 for tool in ("derbes", "presidio", "derbes, whole corpus")]
        mark = "" if q["derbes"][entity][2] >= q["presidio"][entity][2] else "  < presidio"
        print(f"  {entity:<12} {cells[0]:>20} {cells[1]:>20} {cells[2]:>22}{mark}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, default=ROOT / "var" / "pd-corpus")
    parser.add_argument("--mb", type=float, default=200.0)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--every", type=int, default=40,
                        help="Presidio and derbes compared on every N-th row or line")
    parser.add_argument("--no-spark", dest="spark", action="store_false")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    results = run(args)
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

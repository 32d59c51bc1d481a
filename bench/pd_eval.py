"""Scoring a PD detector against the ground truth of a generated corpus
(``scripts/make_pd_corpus.py``): precision, recall and F1 per entity.

Units are read with the scanner's own file reader, so every detector sees the same
texts: each CSV, JSON-lines or Parquet cell with its column name, each log line. A
prediction is correct when it lies in the same unit and column as a planted value of
the same entity and overlaps it; each planted value counts once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from derbes.scanner.adapters.files import FileSource

Key = tuple[str, int, str]  # file, unit, column ("" for text)
Span = tuple[int, int, str]  # start, end, entity
ENTITIES = ("iin", "phone", "pan", "pan_masked", "iban", "email", "id_card", "passport",
            "address", "person_name", "birth_date")


def load_truth(root: Path) -> dict[Key, list[Span]]:
    truth: dict[Key, list[Span]] = defaultdict(list)
    with (root / "truth.tsv").open(encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            file, unit, column, entity, start, end = line.rstrip("\n").split("\t")
            truth[(file, int(unit), column)].append((int(start), int(end), entity))
    return truth


def corpus_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != "truth.tsv")


def batches(root: Path, path: Path) -> Iterator[tuple[str, str, list[str], list[int]]]:
    """(file, column, texts, unit numbers) batch by batch, as the scanner reads them."""
    source = FileSource([path])
    [unit] = list(source.units())
    rel = path.relative_to(root).as_posix()
    for batch in source.read(unit):
        for column, values in batch.columns.items():
            numbers = list(batch.lines) if batch.lines is not None else list(
                range(batch.first, batch.first + len(values)))
            yield rel, column, list(values), numbers


@dataclass
class Score:
    tp: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    fp: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    fn: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, truth: list[Span], predicted: Iterable[Span]) -> None:
        left = list(truth)
        for start, end, entity in predicted:
            hit = next((t for t in left if t[2] == entity and t[0] < end and start < t[1]),
                       None)
            if hit is None:
                self.fp[entity] += 1
            else:
                left.remove(hit)
                self.tp[entity] += 1
        for _, _, entity in left:
            self.fn[entity] += 1

    def row(self, entity: str) -> tuple[float, float, float]:
        tp, fp, fn = self.tp[entity], self.fp[entity], self.fn[entity]
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1


Detector = Callable[[list[str], str], list[list[Span]]]


def evaluate(root: Path, detect: Detector, *, every: int = 1,
             truth: dict[Key, list[Span]] | None = None) -> Score:
    """Score ``detect`` (texts, column -> spans per text) on every ``every``-th unit."""
    truth = truth if truth is not None else load_truth(root)
    score = Score()
    for path in corpus_files(root):
        for rel, column, texts, numbers in batches(root, path):
            keep = [i for i, n in enumerate(numbers) if n % every == 0]
            found = detect([texts[i] for i in keep], column)
            for i, spans in zip(keep, found, strict=True):
                score.add(truth.get((rel, numbers[i], column), []), spans)
    return score

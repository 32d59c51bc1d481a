"""Run every recogniser over texts and keep what is sure enough.

:func:`scan_many` is the one entry point of the sources: it takes a batch of texts
(the values of one column, the lines of a log) and scans them as one string, so the
regular expressions run in C over the whole batch instead of once per value. Each
match is mapped back to its text by offset; nothing crosses from one text to the next
(the patterns stop at line ends, the context window stops at the text's start).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate

from derbes.scanner.model import context, numbers, words
from derbes.scanner.model.entities import Entity, mask
from derbes.scanner.model.matches import Match, Reason
from derbes.scanner.model.numbers import Found

DEFAULT_MIN_CONFIDENCE = 0.5
SEPARATOR = "\n"


@dataclass(frozen=True)
class ScanOptions:
    """``today`` (from the caller's clock) decides which birth dates are plausible.

    ``keep_weak_names``: also return names below ``min_confidence`` (one signal only),
    for a NER model to confirm or drop.
    """

    today: date
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    entities: frozenset[Entity] = field(default_factory=lambda: frozenset(Entity))
    keep_weak_names: bool = False


def _candidates(text: str, today: date, entities: frozenset[Entity]) -> list[Found]:
    out: list[Found] = list(numbers.digit_values(text, today))
    if "@" in text and Entity.EMAIL in entities:
        out.extend(numbers.emails(text))
    if "KZ" in text and Entity.IBAN in entities:
        out.extend(numbers.ibans(text))
    if "N" in text and Entity.PASSPORT in entities:
        out.extend(numbers.passports(text))
    if Entity.PERSON_NAME in entities:
        out.extend(words.names(text))
    if Entity.ADDRESS in entities:
        out.extend(words.addresses(text))
    return out


def _without_overlaps(found: list[Found]) -> list[Found]:
    """Where two values overlap, the surer (then the longer) one stays."""
    found.sort(key=lambda f: (f.start, f.start - f.end))
    kept: list[Found] = []
    for item in found:
        if kept and item.start < kept[-1].end:
            last = kept[-1]
            if (item.confidence, item.end - item.start) > (last.confidence, last.end - last.start):
                kept[-1] = item
            continue
        kept.append(item)
    return kept


class _Hints:
    """The column's vote per entity, worked out once per batch."""

    def __init__(self, hint: str) -> None:
        self.hint = hint.lower()
        self.votes: dict[Entity, int] = {}

    def vote(self, entity: Entity) -> int:
        if entity not in self.votes:
            self.votes[entity] = context.hint_says(entity, self.hint)
        return self.votes[entity]


def _judge(item: Found, text: str, lo: int, hi: int, hints: _Hints,
           options: ScanOptions) -> Match | None:
    if item.entity not in options.entities:
        return None
    window = text[max(lo, item.start - context.BEFORE):item.start].lower()
    after = text[item.end:min(hi, item.end + context.AFTER)].lower()
    confidence, reasons = context.adjust(item.entity, item.confidence, item.reasons, window,
                                         after, hints.vote(item.entity))
    floor = options.min_confidence
    if options.keep_weak_names and item.entity is Entity.PERSON_NAME:
        floor = min(floor, words.NAME_BASE["weak"])
    if confidence < floor:
        return None
    return Match(item.entity, item.start - lo, item.end - lo, confidence, reasons,
                 mask(item.entity, item.value))


def scan_text(text: str, options: ScanOptions, hint: str = "") -> list[Match]:
    """The values recognised in one text (``hint``: the column name, if any)."""
    return [m for _, m in scan_many([text], options, hint)]


def _single_names(texts: Sequence[str], hints: _Hints,
                  options: ScanOptions) -> Iterator[tuple[int, Match]]:
    for index, value in enumerate(texts):
        item = words.single_name(value)
        if item is None:
            continue
        confidence = item.confidence + (1.0 - item.confidence) * context.RAISE
        if confidence >= options.min_confidence:
            yield index, Match(item.entity, item.start, item.end, round(confidence, 3),
                               (*item.reasons, Reason.COLUMN_NAME),
                               mask(item.entity, item.value))


def scan_many(texts: Sequence[str], options: ScanOptions,
              hint: str = "") -> list[tuple[int, Match]]:
    """(index of the text, match) for every value recognised in ``texts``.

    Offsets of a match are within its own text. ``hint`` is the column name the
    texts come from ("" for free text); it votes for or against each entity.
    """
    if not texts:
        return []
    hints = _Hints(hint)
    joined = SEPARATOR.join(texts)
    starts = [0, *accumulate(len(t) + 1 for t in texts[:-1])]
    out: list[tuple[int, Match]] = []
    for item in _without_overlaps(_candidates(joined, options.today, options.entities)):
        index = bisect_right(starts, item.start) - 1
        lo = starts[index]
        match = _judge(item, joined, lo, lo + len(texts[index]), hints, options)
        if match is not None:
            out.append((index, match))
    if Entity.PERSON_NAME in options.entities and hints.vote(Entity.PERSON_NAME) > 0:
        seen = {i for i, m in out if m.entity is Entity.PERSON_NAME}
        out.extend(p for p in _single_names(texts, hints, options) if p[0] not in seen)
    return out

"""Confidence from context: words near a value and the name of its column.

A twelve-digit number after "ИИН" is an IIN; the same number after "заказ №" is an
order number that happens to have a valid check digit. The recognisers give a base
confidence from the value alone; :func:`adjust` moves it with the words in a short
window before the value (and a few characters after it, where currencies stand) and
with the column name, in Russian, Kazakh and English.
"""

from __future__ import annotations

import re

from derbes.scanner.model.entities import Entity
from derbes.scanner.model.matches import Reason
from derbes.scanner.model.vocabulary import CONTEXT_NEGATIVE, CONTEXT_POSITIVE

# Characters looked at before and after a value.
BEFORE = 40
AFTER = 12

# A positive word closes this share of the gap to certainty; a negative one keeps
# this share of the confidence. Chosen so that one positive word lifts a bare
# 9-digit number (0.35) above the reporting threshold (0.5) and one negative word
# drops a checksum-valid number (0.8) below it.
RAISE = 0.7
LOWER = 0.4


def _alternatives(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for a list of words: a single C-level search instead of one per word."""
    return re.compile("|".join(map(re.escape, words))) if words else None


_POSITIVE: dict[Entity, re.Pattern[str] | None] = {
    Entity(name): _alternatives(words) for name, words in CONTEXT_POSITIVE.items()
}
_NEGATIVE: dict[Entity, re.Pattern[str] | None] = {
    Entity(name): _alternatives(words) for name, words in CONTEXT_NEGATIVE.items()
}
# Currency and amount words are looked for after the value too.
_AFTER_NEGATIVE = _alternatives(("тг", "тенге", "теңге", "kzt", "₸", "руб", "usd", "eur"))


def _has(words: re.Pattern[str] | None, text: str) -> bool:
    return words is not None and words.search(text) is not None


def hint_says(entity: Entity, hint: str) -> int:
    """+1 when the (lower-cased) column name names this entity, -1 when it contradicts it."""
    if not hint:
        return 0
    if _has(_POSITIVE.get(entity), hint):
        return 1
    if _has(_NEGATIVE.get(entity), hint):
        return -1
    return 0


def adjust(
    entity: Entity,
    confidence: float,
    reasons: tuple[Reason, ...],
    window: str,
    after: str,
    hint_vote: int,
) -> tuple[float, tuple[Reason, ...]]:
    """The confidence and reasons once ``window`` (lower case, before the value),
    ``after`` (lower case) and the column's vote are taken into account."""
    positive = bool(window) and _has(_POSITIVE.get(entity), window)
    negative = (bool(window) and _has(_NEGATIVE.get(entity), window)) or (
        entity in (Entity.PHONE, Entity.ID_CARD, Entity.IIN) and _has(_AFTER_NEGATIVE, after)
    )
    if positive or hint_vote > 0:
        confidence += (1.0 - confidence) * RAISE
        reasons += (Reason.CONTEXT_POSITIVE,) if positive else (Reason.COLUMN_NAME,)
    if negative or hint_vote < 0:
        confidence *= LOWER
        reasons += (Reason.CONTEXT_NEGATIVE,)
    return round(confidence, 3), reasons

"""Recognisers of words: personal names and postal addresses, in Russian and Kazakh
(and names written in Latin letters in English texts).

A name is two or three capitalised words where at least two tell a name: a given name
from the dictionaries, a surname ending (-ов, -ева, -ин...) or a known surname, a
patronymic (-ович, -овна, -ұлы, -қызы), initials. One signal alone gives a weak match
(below the reporting threshold) that a NER model may confirm. An address is a street
word with a house number after it (ул. Абая, д. 10; Абай даңғылы, 12-үй), a city
before it raises the confidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from derbes.scanner.model.entities import Entity
from derbes.scanner.model.matches import Reason
from derbes.scanner.model.numbers import Found
from derbes.scanner.model.vocabulary import (
    CITIES,
    GIVEN_NAMES,
    NOT_NAMES,
    PATRONYMIC_ENDINGS,
    PLAIN_SURNAMES,
    SURNAME_ENDINGS,
    split_words,
)

_UP = "А-ЯЁӘҒҚҢӨҰҮҺІ"
_LO = "а-яёәғқңөұүһі"
_WORD = rf"[{_UP}][{_LO}]+(?:-[{_UP}]?[{_LO}]+)?"
_INITIALS = rf"[{_UP}]\.(?:[ ]?[{_UP}]\.)?"
NAME = re.compile(rf"{_WORD}(?:[ ]+(?:{_WORD}|{_INITIALS})){{1,3}}")
# Bank and state exports often write names in capitals: ИВАНОВ ПЁТР СЕРГЕЕВИЧ.
_CAPS_WORD = rf"[{_UP}]{{2,}}(?:-[{_UP}]{{2,}})?"
CAPS_NAME = re.compile(rf"{_CAPS_WORD}(?:[ ]+(?:{_CAPS_WORD}|{_INITIALS})){{1,3}}")
_LATIN_WORD = r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
LATIN_NAME = re.compile(
    rf"{_LATIN_WORD}(?:[ ]+(?:{_LATIN_WORD}|[A-Z]\.(?:[ ]?[A-Z]\.)?)){{1,3}}"
)

_LATIN_SURNAME_ENDINGS = ("ov", "ev", "ova", "eva", "ina", "yeva", "uly", "kyzy", "ovich",
                          "evich", "ovna", "evna")
_LATIN_PATRONYMIC = ("ovich", "evich", "ovna", "evna", "uly", "kyzy", "ұly")
_TO_LATIN = str.maketrans({
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e",
    "ж": "zh", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "k", "л": "l", "м": "m", "н": "n",
    "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u",
    "ү": "u", "ф": "f", "х": "kh", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch",
    "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e", "ю": "yu", "я": "ya",
})
LATIN_GIVEN_NAMES: frozenset[str] = frozenset(
    n.translate(_TO_LATIN) for n in GIVEN_NAMES
) | frozenset(split_words("yerlan yerzhan yerassyl yesen aigerim aizhan askhat kairat kanat"))

_ORDER = {reason: n for n, reason in enumerate(Reason)}
NAME_BASE = {"strong": 0.85, "full": 0.95, "weak": 0.45}


def _ends(word: str, endings: tuple[str, ...], min_length: int) -> bool:
    return len(word) >= min_length and word.endswith(endings)


@lru_cache(maxsize=65536)
def _signals(word: str, latin: bool) -> frozenset[Reason]:
    low = word.lower()
    if low.endswith("."):
        return frozenset({Reason.INITIALS})
    if low in NOT_NAMES:
        return frozenset()
    out: set[Reason] = set()
    given = LATIN_GIVEN_NAMES if latin else GIVEN_NAMES
    if low in given:
        out.add(Reason.GIVEN_NAME)
    if _ends(low, _LATIN_PATRONYMIC if latin else PATRONYMIC_ENDINGS, 6):
        out.add(Reason.PATRONYMIC)
    elif low in PLAIN_SURNAMES or _ends(low, _LATIN_SURNAME_ENDINGS if latin
                                        else SURNAME_ENDINGS, 5):
        out.add(Reason.SURNAME)
    return frozenset(out)


def _score(found: list[frozenset[Reason]]) -> float | None:
    kinds: set[Reason] = set().union(*found)
    named = sum(1 for s in found if s)
    if named >= 2 and len(kinds) >= 2:
        return NAME_BASE["full"] if named == 3 and len(kinds) >= 3 else NAME_BASE["strong"]
    if kinds & {Reason.SURNAME, Reason.GIVEN_NAME}:
        return NAME_BASE["weak"]
    return None


NameReading = tuple[int, int, float, tuple[Reason, ...]]


@lru_cache(maxsize=65536)
def _name_reading(candidate: str, latin: bool) -> NameReading | None:
    """(start, end, confidence, reasons) of the name inside ``candidate``, or None."""
    spans: list[tuple[str, int, int]] = []
    offset = 0
    for word in candidate.split(" "):
        if word:
            spans.append((word, offset, offset + len(word)))
        offset += len(word) + 1
    if any(w.lower() in NOT_NAMES for w, _, _ in spans[1:]):
        return None
    signals = [_signals(w, latin) for w, _, _ in spans]
    named = [i for i, found in enumerate(signals) if found]
    if not named:
        return None
    if len(named) >= 2:
        # Leading and trailing capitalised words that tell nothing ("Клиент Иванов Пётр").
        first, last = named[0], named[-1]
    else:
        # One telling word: with its neighbour, a weak name for the NER model to judge.
        first = last = named[0]
        if last + 1 < len(spans):
            last += 1
        elif first > 0:
            first -= 1
    spans, signals = spans[first:last + 1], signals[first:last + 1]
    if not 2 <= len(spans) <= 3:
        return None
    confidence = _score(signals)
    if confidence is None or (latin and confidence < NAME_BASE["strong"]):
        return None
    reasons = tuple(sorted(set().union(*signals), key=_ORDER.__getitem__))
    return spans[0][1], spans[-1][2], confidence, reasons


def names(text: str, start: int = 0, end: int | None = None) -> Iterator[Found]:
    stop = len(text) if end is None else end
    for pattern, latin in ((NAME, False), (CAPS_NAME, False), (LATIN_NAME, True)):
        for m in pattern.finditer(text, start, stop):
            reading = _name_reading(m.group(), latin)
            if reading is not None:
                first, last = m.start() + reading[0], m.start() + reading[1]
                yield Found(Entity.PERSON_NAME, first, last, reading[2], reading[3],
                            text[first:last])


def single_name(value: str) -> Found | None:
    """A lone name word in a name column (last_name: Ахметов): weak unless the column says so."""
    word = value.strip()
    if not word or " " in word or not word[0].isupper():
        return None
    signals = _signals(word, not ("А" <= word[0] <= "я" or word[0] in "ЁӘҒҚҢӨҰҮҺІ"))
    signals -= {Reason.INITIALS}
    if not signals:
        return None
    first = value.index(word)
    return Found(Entity.PERSON_NAME, first, first + len(word), NAME_BASE["weak"],
                 tuple(sorted(signals, key=_ORDER.__getitem__)), word)


# ------------------------------------------------------------------ addresses

_HOUSE = r"[ ]*,?[ ]*(?:д\.|дом)?[ ]*\d+[а-яА-Я]?(?:/\d+)?"
_FLAT = r"(?:[ ]*,?[ ]*(?:кв\.|квартира|оф\.|офис)[ ]*\d+)?"
RU_ADDRESS = re.compile(
    r"(?:ул|пр-т|пр|мкр|пер|бул|улица|проспект|микрорайон|переулок|бульвар|пл|ш)\.?[ ]+"
    rf"(?:[{_UP}0-9]|аль-|әл-)[^,;\n]{{0,40}}?{_HOUSE}{_FLAT}"
)
KK_STREET = re.compile(r"[ ](?:көшесі|даңғылы|ықшамауданы|шағынауданы|тұйығы|алаңы)")
# The street's name before the Kazakh street word: capitalised first word, then up to two
# more in any case (Төле би көшесі, Жібек жолы көшесі).
_KK_BEFORE = re.compile(rf"[{_UP}0-9][\w\-]*(?:[ ]+[\w\-]+){{0,2}}[ ]+$")
_KK_AFTER = re.compile(r"[ ]*,?[ ]*\d+[а-я]?(?:[ ]*-?[ ]*үй)?(?:[ ]*,[ ]*\d+[ ]*-?[ ]*пәтер)?")
_CITY_BEFORE = re.compile(
    rf"(?:(?:г\.|город)[ ]*)?([{_UP}][\w\-]+)(?:[ ]+қ\.|[ ]+қаласы)?[ ]*,?[ ]*$"
)
ADDRESS_BASE = {"street": 0.7, "city": 0.9}


def _with_city(text: str, start: int, floor: int) -> int | None:
    before = _CITY_BEFORE.search(text, max(floor, start - 40), start)
    if before is None or before.group(1).lower() not in CITIES:
        return None
    return before.start()


def _address(text: str, start: int, end: int, floor: int) -> Found:
    reasons: tuple[Reason, ...] = (Reason.STREET_WORD, Reason.HOUSE_NUMBER)
    confidence = ADDRESS_BASE["street"]
    city = _with_city(text, start, floor)
    if city is not None:
        start, confidence, reasons = city, ADDRESS_BASE["city"], (Reason.CITY, *reasons)
    return Found(Entity.ADDRESS, start, end, confidence, reasons, text[start:end])


def addresses(text: str, start: int = 0, end: int | None = None) -> Iterator[Found]:
    stop = len(text) if end is None else end
    for m in RU_ADDRESS.finditer(text, start, stop):
        if m.start() > 0 and text[m.start() - 1].isalpha():
            continue
        yield _address(text, m.start(), m.end(), start)
    for m in KK_STREET.finditer(text, start, stop):
        head = _KK_BEFORE.search(text, max(start, m.start() - 48), m.start() + 1)
        tail = _KK_AFTER.match(text, m.end(), stop)
        if head is None or tail is None or not tail.group().strip(" ,"):
            continue
        yield _address(text, head.start(), tail.end(), start)

"""Recognisers of numbers: IIN, BIN, phone, card number (full and masked), ID card,
dates of birth, passport, IBAN, e-mail.

Digits are found in one pass: a *run* is digits with the separators people put between
them (spaces, hyphens, brackets, dots, the stars of a masked card). A run is cut into
groups and read from the left, taking at each group the longest reading that passes its
checks (an IIN's control digit and birth date, a card's Luhn digit, Kazakhstan's
numbering plan), so ``ИИН 900412300015 тел 8 701 123 45 67`` gives two values and an
amount written ``7 701 234 567`` gives none. Checks are those of
``derbes.identifiers.model``: one rule, one place.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from derbes.errors import IdentifierError
from derbes.identifiers.model import bin as kz_bin
from derbes.identifiers.model import email as kz_email
from derbes.identifiers.model import iban as kz_iban
from derbes.identifiers.model import iin as kz_iin
from derbes.identifiers.model.pan import Brand, brand_of, luhn_valid
from derbes.scanner.model.entities import Entity
from derbes.scanner.model.matches import Reason
from derbes.scanner.model.vocabulary import split_words

# A run starts with a digit, "+" or "(", ends with a digit; stars and x stand for the
# hidden digits of a masked card number.
RUN = re.compile(r"[+(\d][\d \-().*xX•/]{7,36}\d")
_GROUP = re.compile(r"[\d*xX•]+")
PASSPORT = re.compile(r"N\d{7,8}(?!\d)")
IBAN = re.compile(r"KZ\d\d(?: ?[0-9A-Z]{4}){4}")
EMAIL_DOMAIN = re.compile(
    r"@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}"
    r"[A-Za-z0-9])?)+"
)
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]{1,64}$")

_MASK_CHARS = frozenset("*xX•")
# What may stand between the groups of one number: 8 (701) 123-45-67, 4400 4301 ...
_JOINS = frozenset({" ", "-", "(", ")", ") ", " (", "  ", " - ", ")-"})
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")

# Kazakhstan numbering plan (+7 6xx and +7 7xx; Russia has the rest of +7). Mobile
# codes of the Kazakhstan operators; fixed lines have area codes 71x and 72x.
MOBILE_CODES = frozenset(split_words(
    "700 701 702 703 704 705 706 707 708 709 747 750 751 760 761 762 763 764 771 775 776 777 "
    "778"
))
_FIXED_PREFIXES = ("71", "72")

# An age outside this range makes a birth date implausible. Birth dates are only
# sought for people old enough to be customers of a financial operator.
MAX_AGE = 110
MIN_CUSTOMER_AGE = 14

BASE = {
    "iin": 0.8, "bin": 0.8, "phone_mobile": 0.8, "phone_fixed": 0.65, "phone_bare": 0.6,
    "pan_known": 0.85, "pan_unknown": 0.4, "pan_masked_known": 0.9, "pan_masked": 0.7,
    "id_card": 0.35, "birth_date": 0.3, "passport": 0.6, "iban": 0.95, "email": 0.95,
}


@dataclass(frozen=True, slots=True)
class Found:
    """A value recognised in a text, before context is applied."""

    entity: Entity
    start: int
    end: int
    confidence: float
    reasons: tuple[Reason, ...]
    value: str  # the value's characters as written; masked before it leaves the model


def _groups(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _GROUP.finditer(text, start, end)]


def _twelve(digits: str, today: date) -> tuple[Entity, float, tuple[Reason, ...]] | None:
    try:
        person = kz_iin.parse(digits, on=today)
    except IdentifierError:
        person = None
    if person is not None:
        if today.year - person.birth_date.year > MAX_AGE:
            return None
        return Entity.IIN, BASE["iin"], (Reason.CHECKSUM, Reason.PLAUSIBLE_DATE)
    try:
        kz_bin.parse(digits, on=today)
    except IdentifierError:
        return None
    return Entity.BIN, BASE["bin"], (Reason.CHECKSUM, Reason.PLAUSIBLE_DATE)


def _amount_shaped(groups: list[tuple[str, int, int]], text: str) -> bool:
    """1 234 567 890: every group after the first has three digits, spaces between."""
    return len(groups) >= 3 and all(len(g) == 3 for g, _, _ in groups[1:]) and all(
        text[a[2]:b[1]] == " " for a, b in pairwise(groups)
    )


def _phone(digits: str, plus: bool, groups: list[tuple[str, int, int]],
           text: str) -> tuple[Entity, float, tuple[Reason, ...]] | None:
    if len(digits) == 11 and digits[0] in "78" and not (plus and digits[0] == "8"):
        national = digits[1:]
    elif len(digits) == 10 and not plus:
        national = digits
    else:
        return None
    reasons: tuple[Reason, ...]
    if national[:3] in MOBILE_CODES:
        key, reasons = "phone_mobile", (Reason.KZ_NUMBERING_PLAN, Reason.MOBILE_PREFIX)
    elif national.startswith(_FIXED_PREFIXES):
        key, reasons = "phone_fixed", (Reason.KZ_NUMBERING_PLAN,)
    else:
        return None
    confidence = BASE[key] if len(digits) == 11 else BASE["phone_bare"]
    if _amount_shaped(groups, text):
        confidence *= 0.5
        reasons += (Reason.AMOUNT_SHAPE,)
    return Entity.PHONE, confidence, reasons


def _card(digits: str) -> tuple[Entity, float, tuple[Reason, ...]] | None:
    if not luhn_valid(digits):
        return None
    if brand_of(digits) is Brand.UNKNOWN:
        return Entity.PAN, BASE["pan_unknown"], (Reason.LUHN,)
    return Entity.PAN, BASE["pan_known"], (Reason.LUHN, Reason.KNOWN_CARD_RANGE)


def _masked_card(chars: str) -> tuple[Entity, float, tuple[Reason, ...]] | None:
    if not 13 <= len(chars) <= 19 or not chars[-4:].isdigit():
        return None
    head = chars[:6]
    if not head.isdigit() or not set(chars[6:-4]) <= _MASK_CHARS:
        return None
    if brand_of(head) is Brand.UNKNOWN:
        return Entity.PAN_MASKED, BASE["pan_masked"], (Reason.SHAPE,)
    return Entity.PAN_MASKED, BASE["pan_masked_known"], (Reason.SHAPE, Reason.KNOWN_CARD_RANGE)


def _date(groups: list[tuple[str, int, int]], text: str,
          today: date) -> tuple[Entity, float, tuple[Reason, ...]] | None:
    """dd.mm.yyyy, dd/mm/yyyy or yyyy-mm-dd (and yyyy.mm.dd) of someone 14 to 110 years old."""
    (a, _, ae), (b, bs, be), (c, cs, _) = groups
    sep1, sep2 = text[ae:bs], text[be:cs]
    if sep1 != sep2:
        return None
    if len(a) == 2 and len(b) == 2 and len(c) == 4 and sep1 in "./":
        year, month, day = c, b, a
    elif len(a) == 4 and len(b) == 2 and len(c) == 2 and sep1 in "-.":
        year, month, day = a, b, c
    else:
        return None
    age = today.year - int(year)
    if not MIN_CUSTOMER_AGE <= age <= MAX_AGE:
        return None
    try:
        date(int(year), int(month), int(day))
    except ValueError:
        return None
    return Entity.BIRTH_DATE, BASE["birth_date"], (Reason.PLAUSIBLE_DATE,)


Reading = tuple[Entity, float, tuple[Reason, ...]]


def _digits_reading(digits: str, plus: bool, groups: list[tuple[str, int, int]], text: str,
                    today: date) -> Reading | None:
    n = len(digits)
    if n == 12:
        return _twelve(digits, today)
    if 13 <= n <= 19:
        return _card(digits)
    if n in (10, 11):
        return _phone(digits, plus, groups, text)
    if n == 9 and len(groups) == 1:
        return Entity.ID_CARD, BASE["id_card"], (Reason.SHAPE,)
    return None


def _read_at(groups: list[tuple[str, int, int]], i: int, plus: bool, text: str,
             today: date) -> tuple[Reading, int] | None:
    """The longest reading that starts at group ``i``, and the index of its last group."""
    best: tuple[Reading, int] | None = None
    if i + 2 < len(groups) and all(g.isdigit() for g, _, _ in groups[i:i + 3]):
        dated = _date(groups[i:i + 3], text, today)
        if dated is not None:
            best = (dated, i + 2)
    chars = ""
    for j in range(i, len(groups)):
        chars += groups[j][0]
        if len(chars) > 19:
            break
        if j > i and text[groups[j - 1][2]:groups[j][1]] not in _JOINS:
            break
        if chars.isdigit():
            reading = _digits_reading(chars, plus and i == 0, groups[i:j + 1], text, today)
        else:
            reading = _masked_card(chars)
        if reading is not None:
            best = (reading, j)
    return best


def _token_edge(text: str, start: int, end: int) -> bool:
    """True when the run is glued to letters or digits of a bigger token (tok_4f3a9…)."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if before == "-" and start > 1 and text[start - 2] in _TOKEN_CHARS:
        return True  # the tail of a code: MK-202405-00000003
    return before in _TOKEN_CHARS or after in _TOKEN_CHARS


def _whole(groups: list[tuple[str, int, int]], plus: bool, text: str,
           today: date) -> Reading | None:
    """The run read as one value: a date, or one number whose groups are joined."""
    if len(groups) == 3:
        dated = _date(groups, text, today)
        if dated is not None:
            return dated
    if any(text[a[2]:b[1]] not in _JOINS for a, b in pairwise(groups)):
        return None
    chars = "".join(g for g, _, _ in groups)
    if chars.isdigit():
        return _digits_reading(chars, plus, groups, text, today)
    return _masked_card(chars)


def _split(text: str, groups: list[tuple[str, int, int]], plus: bool,
           today: date) -> Iterator[tuple[Reading, int, int]]:
    """Several values in one run (``900412300018 87011234567``), read from the left."""
    i = 0
    while i < len(groups):
        found = _read_at(groups, i, plus, text, today)
        if found is None:
            i += 1
            continue
        reading, j = found
        yield reading, i, j
        i = j + 1


# A run with more digits than this that does not read as one value may hold two.
_SPLIT_FROM = 13
_SEPARATORS = str.maketrans("", "", " -()./+")


def _hopeless(value: str) -> bool:
    """Cheap rejection before the run is cut into groups: a timestamp, a short code."""
    chars = value.translate(_SEPARATORS)
    n = len(chars)
    if n < 8 or (n == 8 and "-" not in value and "." not in value and "/" not in value):
        return True
    if n in (10, 11) and chars.isdigit():
        national = chars[1:] if n == 11 else chars
        return national[:3] not in MOBILE_CODES and not national.startswith(_FIXED_PREFIXES)
    return False


def digit_values(text: str, today: date, start: int = 0,
                 end: int | None = None) -> Iterator[Found]:
    """Every IIN, BIN, phone, card, masked card, ID-card number and date in ``text``."""
    for run in RUN.finditer(text, start, len(text) if end is None else end):
        value = run.group()
        first, last = run.span()
        if value.isdigit():  # the usual case in a table column: one bare number
            reading = _digits_reading(value, False, [(value, first, last)], text, today)
            if reading is not None and not _token_edge(text, first, last):
                yield Found(reading[0], first, last, reading[1], reading[2], value)
            continue
        if (value[0] == "(" and not value[1].isdigit()) or _hopeless(value):
            continue
        groups = _groups(text, first, last)
        plus = value.startswith("+")
        whole = _whole(groups, plus, text, today)
        if whole is not None:
            first = first if plus else groups[0][1]
            if not _token_edge(text, first, last):
                yield Found(whole[0], first, last, whole[1], whole[2], text[first:last])
            continue
        if sum(len(g) for g, _, _ in groups) < _SPLIT_FROM:
            continue
        for (entity, confidence, reasons), i, j in _split(text, groups, plus, today):
            a = run.start() if i == 0 and plus else groups[i][1]
            b = groups[j][2]
            if not _token_edge(text, a, b):
                yield Found(entity, a, b, confidence, reasons, text[a:b])


def passports(text: str, start: int = 0, end: int | None = None) -> Iterator[Found]:
    """Kazakhstan passports: N and eight digits (seven on older ones)."""
    for m in PASSPORT.finditer(text, start, len(text) if end is None else end):
        before = text[m.start() - 1] if m.start() > 0 else " "
        if before in _TOKEN_CHARS:
            continue
        yield Found(Entity.PASSPORT, m.start(), m.end(), BASE["passport"], (Reason.SHAPE,),
                    m.group())


def ibans(text: str, start: int = 0, end: int | None = None) -> Iterator[Found]:
    for m in IBAN.finditer(text, start, len(text) if end is None else end):
        if m.end() < len(text) and text[m.end()] in _TOKEN_CHARS:
            continue
        try:
            kz_iban.parse(m.group())
        except IdentifierError:
            continue
        yield Found(Entity.IBAN, m.start(), m.end(), BASE["iban"], (Reason.MOD97,), m.group())


def emails(text: str, start: int = 0, end: int | None = None) -> Iterator[Found]:
    for m in EMAIL_DOMAIN.finditer(text, start, len(text) if end is None else end):
        local = _EMAIL_LOCAL.search(text, max(start, m.start() - 64), m.start())
        if local is None:
            continue
        first = local.start()
        while first < m.start() and text[first] == ".":
            first += 1
        value = text[first:m.end()]
        try:
            kz_email.parse(value)
        except IdentifierError:
            continue
        yield Found(Entity.EMAIL, first, m.end(), BASE["email"], (Reason.EMAIL_SYNTAX,), value)

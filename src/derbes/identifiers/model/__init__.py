"""Kazakhstan identifiers: IIN, BIN, IBAN, card number (PAN), phone, e-mail.

One module per kind, each with ``parse(value)`` (a value object, or
:class:`~derbes.errors.IdentifierError` with a reason that never quotes the
value) and ``check(value)`` (a :class:`Verdict`, never an exception for bad
input). Phone numbers need the ``phonenumbers`` metadata and so live in
``derbes.identifiers.adapters.phone``; :func:`detect` still recognises their shape.
"""

from __future__ import annotations

from derbes.identifiers.model import bin as kz_bin
from derbes.identifiers.model import iin as kz_iin
from derbes.identifiers.model._verdict import Fact, Kind, Masked, Verdict, check_lang, mask

_BIN_ENTITY_DIGITS = frozenset("456")


def _compact(value: str) -> str:
    """Without whitespace and hyphens: the separators every numeric kind accepts."""
    return "".join(value.split()).replace("-", "")


def _is_digits(text: str) -> bool:
    return bool(text) and text.isascii() and text.isdigit()


def _looks_like_iban(text: str) -> bool:
    """Two Latin letters, two digits, then letters and digits (any country)."""
    return (
        len(text) >= 5
        and text.isascii()
        and text[:2].isalpha()
        and text[2:4].isdigit()
        and text.isalnum()
    )


def _twelve_digits(digits: str) -> Kind:
    """IIN if it is a valid IIN, else BIN if it is a valid BIN.

    If it is neither, the 5th digit decides which reason is more useful: 4-6
    is where a BIN has its entity type and where no IIN can have the first
    digit of a day of birth, so a valid number always lands on its own kind.
    """
    if kz_iin.check(digits).valid:
        return Kind.IIN
    if kz_bin.check(digits).valid:
        return Kind.BIN
    return Kind.BIN if digits[4] in _BIN_ENTITY_DIGITS else Kind.IIN


def detect(value: str) -> Kind | None:
    """Which kind of identifier ``value`` looks like, or None if none.

    Tried in this order, each shape excluding the later ones:

    1. contains ``@``                                    -> e-mail
    2. two letters and two digits, then alphanumerics     -> IBAN (KZ or foreign, to tell why)
    3. digits once whitespace and hyphens go:
       12 digits                                          -> IIN or BIN (see ``_twelve_digits``)
       13-19 digits                                       -> card number
    4. once brackets go too:
       ``+`` and digits                                   -> phone
       11 digits starting with 7 or 8, 10 starting with 7 -> phone
    """
    if not isinstance(value, str):
        return None
    if "@" in value:
        return Kind.EMAIL
    text = _compact(value)
    if _looks_like_iban(text):
        return Kind.IBAN
    if _is_digits(text):
        if len(text) == 12:
            return _twelve_digits(text)
        if 13 <= len(text) <= 19:
            return Kind.PAN
    phone = text.replace("(", "").replace(")", "")
    if phone.startswith("+") and _is_digits(phone[1:]):
        return Kind.PHONE
    if _is_digits(phone) and (
        (len(phone) == 11 and phone[0] in "78") or (len(phone) == 10 and phone[0] == "7")
    ):
        return Kind.PHONE
    return None


__all__ = ["Fact", "Kind", "Masked", "Verdict", "check_lang", "detect", "mask"]

"""Kazakhstan IBAN (ИИК), ISO 13616.

Twenty characters: ``KZ``, two check digits, a three-digit bank code assigned
by the National Bank, thirteen alphanumeric characters of the account
(SWIFT IBAN registry, Kazakhstan: ``KZ2!n3!n13!c``). The check digits make the
whole number, rearranged and read in base 36 digit by digit, equal 1 mod 97
(ISO 7064 MOD 97-10).
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from derbes.errors import IdentifierError
from derbes.identifiers.model._verdict import Kind, Masked, Verdict, mask, require_text

LENGTH = 20
COUNTRY = "KZ"

_ALNUM = frozenset(string.ascii_uppercase + string.digits)
_DIGITS = frozenset(string.digits)


@dataclass(frozen=True)
class Iban(Masked):
    value: str

    @property
    def check_digits(self) -> str:
        return self.value[2:4]

    @property
    def bank_code(self) -> str:
        return self.value[4:7]

    @property
    def account(self) -> str:
        return self.value[7:]

    @property
    def masked(self) -> str:
        return mask(self.value, 7, 4)


def mod97(text: str) -> int:
    """``text`` (upper-case ASCII letters and digits) read as ISO 7064 digits, mod 97."""
    remainder = 0
    for char in text:
        for digit in str(int(char, 36)):
            remainder = (remainder * 10 + int(digit)) % 97
    return remainder


def compute_check_digits(country: str, bban: str) -> str:
    """The two check digits of an IBAN of ``country`` with this BBAN."""
    return f"{98 - mod97(bban + country + '00'):02d}"


def normalise(value: str) -> str:
    """Upper case, without spaces or hyphens (the paper form groups by four).

    Non-ASCII text is left as it is (and then rejected): upper-casing would
    turn a dotless "ı" or a long "ſ" into a Latin letter.
    """
    text = "".join(require_text(value, Kind.IBAN).split()).replace("-", "")
    return text.upper() if text.isascii() else text


def parse(value: str) -> Iban:
    """Parse a Kazakhstan IBAN; spaces and lower case are accepted."""
    text = normalise(value)
    if not text:
        raise IdentifierError("IBAN is empty")
    if not set(text) <= _ALNUM:
        raise IdentifierError("IBAN must contain Latin letters and digits only")
    if not text.startswith(COUNTRY):
        raise IdentifierError("not a Kazakhstan IBAN: it must start with KZ")
    if len(text) != LENGTH:
        raise IdentifierError(f"Kazakhstan IBAN must have {LENGTH} characters, got {len(text)}")
    if not set(text[2:4]) <= _DIGITS:
        raise IdentifierError("IBAN characters 3-4 (check digits) must be digits")
    if not set(text[4:7]) <= _DIGITS:
        raise IdentifierError("IBAN characters 5-7 (bank code) must be digits")
    if mod97(text[4:] + text[:4]) != 1:
        raise IdentifierError("IBAN check digits do not match (mod 97)")
    return Iban(text)


def check(value: str) -> Verdict:
    try:
        iban = parse(value)
    except IdentifierError as exc:
        return Verdict.invalid(Kind.IBAN, exc.message)
    facts: dict[str, str | int | bool] = {"country": COUNTRY, "bank_code": iban.bank_code}
    return Verdict(valid=True, kind=Kind.IBAN, value=iban.value, masked=iban.masked, facts=facts)

"""PAN — a payment card number (ISO/IEC 7812): 12-19 digits, Luhn check digit.

A full PAN never leaves this module in any answer: verdicts carry the issuer
prefix (first six digits), the last four and a masked form, which is what
PCI DSS v4.0 (requirement 3.4.1) allows to be displayed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from derbes.errors import IdentifierError
from derbes.identifiers.model._verdict import Kind, Masked, Verdict, digits_of, mask

MIN_LENGTH = 12
MAX_LENGTH = 19


class Brand(StrEnum):
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    UNIONPAY = "unionpay"
    MIR = "mir"
    MAESTRO = "maestro"
    JCB = "jcb"
    DINERS = "diners"
    DISCOVER = "discover"
    UNKNOWN = "unknown"


# (first prefix, last prefix, brand), prefixes of equal length; the first row
# that matches wins, so narrower ranges come before wider ones that contain them.
_RANGES: tuple[tuple[str, str, Brand], ...] = (
    ("2200", "2204", Brand.MIR),
    ("2221", "2720", Brand.MASTERCARD),
    ("34", "34", Brand.AMEX),
    ("37", "37", Brand.AMEX),
    ("3528", "3589", Brand.JCB),
    ("300", "305", Brand.DINERS),
    ("36", "36", Brand.DINERS),
    ("38", "39", Brand.DINERS),
    ("4", "4", Brand.VISA),
    ("51", "55", Brand.MASTERCARD),
    ("50", "50", Brand.MAESTRO),
    ("56", "58", Brand.MAESTRO),
    ("6011", "6011", Brand.DISCOVER),
    ("644", "649", Brand.DISCOVER),
    ("65", "65", Brand.DISCOVER),
    ("62", "62", Brand.UNIONPAY),
    ("63", "63", Brand.MAESTRO),
    ("67", "67", Brand.MAESTRO),
)


def brand_of(digits: str) -> Brand:
    for low, high, brand in _RANGES:
        prefix = digits[: len(low)]
        if len(prefix) == len(low) and low <= prefix <= high:
            return brand
    return Brand.UNKNOWN


def luhn_valid(digits: str) -> bool:
    """Luhn (mod 10) over ASCII digits, the check digit last."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """The digit that, appended to ``partial``, makes a Luhn-valid number."""
    for candidate in "0123456789":
        if luhn_valid(partial + candidate):
            return candidate
    raise AssertionError("unreachable: one of ten digits always fits")  # pragma: no cover


@dataclass(frozen=True)
class Pan(Masked):
    value: str = field(repr=False)
    brand: Brand

    @property
    def bin6(self) -> str:
        return self.value[:6]

    @property
    def last4(self) -> str:
        return self.value[-4:]

    @property
    def masked(self) -> str:
        return mask(self.value, 6, 4)


def parse(value: str) -> Pan:
    """Parse a card number; spaces and hyphens are ignored. Errors never quote it."""
    digits = digits_of(value, Kind.PAN)
    if not MIN_LENGTH <= len(digits) <= MAX_LENGTH:
        raise IdentifierError(
            f"card number must have {MIN_LENGTH} to {MAX_LENGTH} digits, got {len(digits)}"
        )
    if not luhn_valid(digits):
        raise IdentifierError("card number check digit does not match (Luhn)")
    return Pan(value=digits, brand=brand_of(digits))


def check(value: str) -> Verdict:
    """The verdict on a card number; ``value`` and ``masked`` are both masked."""
    try:
        pan = parse(value)
    except IdentifierError as exc:
        return Verdict.invalid(Kind.PAN, exc.message)
    facts: dict[str, str | int | bool] = {
        "brand": pan.brand.value,
        "bin6": pan.bin6,
        "last4": pan.last4,
        "length": len(pan.value),
    }
    return Verdict(valid=True, kind=Kind.PAN, value=pan.masked, masked=pan.masked, facts=facts)

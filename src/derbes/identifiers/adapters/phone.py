"""Kazakhstan phone numbers, with Google's ``phonenumbers`` metadata.

Kazakhstan shares country code +7 with Russia; the numbering plan (KZ: +7 6xx
and +7 7xx) tells them apart, which is why this needs ``phonenumbers`` and
lives in adapters rather than in ``domain.identifiers``.

Accepted input: ``+7 701 123 45 67``, ``8 (701) 123-45-67``, ``87011234567``,
``77011234567``, ``7011234567`` — digits with spaces, hyphens, dots and
brackets, and an optional leading ``+``. Letters are refused on purpose
(``phonenumbers`` would read vanity letters as digits). The verdict's value is
E.164 (``+77011234567``).

A valid number outside Kazakhstan (a Russian +7 495..., any other country) is
*invalid* here: derbes checks the phone of a subject of a Kazakhstan operator,
where the number is the channel for SMS codes under the operator's consent
procedure; a foreign number is reported with its region so that a caller who
does accept it can say so explicitly, rather than it passing unnoticed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

import phonenumbers
from phonenumbers.phonemetadata import PhoneMetadata

from derbes.errors import IdentifierError
from derbes.identifiers.model import Kind, Masked, Verdict, mask

REGION = "KZ"
MAX_INPUT = 32

_ALLOWED = frozenset("0123456789+-.() ")

# The fast path of bulk normalisation: the two ways most KZ mobile numbers are
# written (``+7 7xx ...`` and ``8 (7xx) ...``, with or without separators), checked
# against the mobile pattern of the library's own KZ metadata. Anything else, or a
# number the pattern refuses, goes through the full library, so the answer and the
# errors stay the library's (a unit test compares both on many inputs).
_COMMON_MOBILE = re.compile(r"(?:\+7|8) ?(?:\((7\d\d)\)|(7\d\d))[ -]?(\d{3})[ -]?(\d\d)[ -]?(\d\d)")
_KZ_METADATA = PhoneMetadata.metadata_for_region(REGION)
_KZ_MOBILE = re.compile(_KZ_METADATA.mobile.national_number_pattern if _KZ_METADATA is not None
                        and _KZ_METADATA.mobile is not None
                        and _KZ_METADATA.mobile.national_number_pattern else r"(?!)")


class NumberType(StrEnum):
    FIXED_LINE = "fixed_line"
    MOBILE = "mobile"
    FIXED_LINE_OR_MOBILE = "fixed_line_or_mobile"
    TOLL_FREE = "toll_free"
    PREMIUM_RATE = "premium_rate"
    SHARED_COST = "shared_cost"
    VOIP = "voip"
    PERSONAL_NUMBER = "personal_number"
    PAGER = "pager"
    UAN = "uan"
    VOICEMAIL = "voicemail"
    UNKNOWN = "unknown"


# Each type bears the name phonenumbers gives it.
_TYPES: dict[int, NumberType] = {
    getattr(phonenumbers.PhoneNumberType, t.name): t for t in NumberType
    if t is not NumberType.UNKNOWN
}


@dataclass(frozen=True)
class Phone(Masked):
    e164: str = field(repr=False)
    number_type: NumberType

    @property
    def masked(self) -> str:
        return mask(self.e164, 5, 2)


class ForeignNumberError(IdentifierError):
    """A valid number, but not a Kazakhstan one; ``region`` says whose."""

    def __init__(self, region: str) -> None:
        super().__init__(f"not a Kazakhstan phone number (region {region})")
        self.region = region


def _kz_number(value: str) -> phonenumbers.PhoneNumber:
    """The checked, valid Kazakhstan number ``value`` denotes; errors never quote it."""
    if not isinstance(value, str):
        raise IdentifierError(f"phone number must be text, got {type(value).__name__}")
    text = " ".join(value.split())
    if not text:
        raise IdentifierError("phone number is empty")
    if len(text) > MAX_INPUT:
        raise IdentifierError(f"phone number is longer than {MAX_INPUT} characters")
    if not set(text) <= _ALLOWED:
        raise IdentifierError(
            "phone number may contain only digits, spaces, hyphens, dots, brackets and a +"
        )
    if "+" in text[1:]:
        raise IdentifierError("phone number may have a + only in front")
    try:
        number = phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException:
        raise IdentifierError("phone number cannot be read as a number") from None
    region = phonenumbers.region_code_for_number(number)
    # ``is_valid_number(number)`` is exactly this check; the region is worked out once.
    if region is None or not phonenumbers.is_valid_number_for_region(number, region):
        raise IdentifierError("phone number is not valid in its numbering plan")
    if region != REGION:
        raise ForeignNumberError(region or "unknown")
    return number


def parse(value: str) -> Phone:
    """Parse a Kazakhstan phone number into E.164. Errors never quote the number."""
    number = _kz_number(value)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    number_type = _TYPES.get(phonenumbers.number_type(number), NumberType.UNKNOWN)
    return Phone(e164=e164, number_type=number_type)


def fast_e164(value: str) -> str | None:
    """E.164 of a KZ mobile number written the common way, else None (ask the library)."""
    found = _COMMON_MOBILE.fullmatch(" ".join(value.split()))
    if found is None:
        return None
    national = (found[1] or found[2]) + found[3] + found[4] + found[5]
    return "+7" + national if _KZ_MOBILE.fullmatch(national) else None


def e164(value: str) -> str:
    """``parse(value).e164`` without working out the number type (bulk normalisation)."""
    if isinstance(value, str):
        fast = fast_e164(value)
        if fast is not None:
            return fast
    return phonenumbers.format_number(_kz_number(value), phonenumbers.PhoneNumberFormat.E164)


def check(value: str) -> Verdict:
    try:
        phone = parse(value)
    except ForeignNumberError as exc:
        return Verdict.invalid(Kind.PHONE, exc.message, {"region": exc.region})
    except IdentifierError as exc:
        return Verdict.invalid(Kind.PHONE, exc.message)
    facts: dict[str, str | int | bool] = {
        "region": REGION,
        "number_type": phone.number_type.value,
    }
    return Verdict(valid=True, kind=Kind.PHONE, value=phone.e164, masked=phone.masked,
                   facts=facts)


class KzPhones:
    """Kazakhstan phone numbers as the use cases ask for them (``identifiers/ports.py``)."""

    def check(self, value: str) -> Verdict:
        return check(value)

    def e164(self, value: str) -> str:
        return e164(value)


PHONES = KzPhones()

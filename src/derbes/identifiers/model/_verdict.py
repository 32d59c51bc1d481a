"""The common answer of every identifier check, and the text helpers the kinds share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Self

from derbes.errors import IdentifierError, InputError
from derbes.platform.labels import Lang

Fact = str | int | bool

_ASCII_DIGITS = frozenset("0123456789")


class Kind(StrEnum):
    IIN = "iin"
    BIN = "bin"
    IBAN = "iban"
    PAN = "pan"
    PHONE = "phone"
    EMAIL = "email"

    @property
    def term(self) -> str:
        return _TERMS[self]


_TERMS: dict[Kind, str] = {
    Kind.IIN: "IIN",
    Kind.BIN: "BIN",
    Kind.IBAN: "IBAN",
    Kind.PAN: "card number",
    Kind.PHONE: "phone number",
    Kind.EMAIL: "e-mail address",
}


class Named(StrEnum):
    """A fact an identifier encodes, each member with its name as a message of the
    catalogues (``N_``), which the identifiers service translates: ``A = "a", N_("an a")``.
    """

    _value_: str
    _message: str

    def __new__(cls, value: str, message: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member._message = message
        return member

    @property
    def message(self) -> str:
        """Its name, as a message of the catalogues."""
        return self._message


@dataclass(frozen=True)
class Verdict:
    """Is ``value`` a valid identifier of ``kind``, what it tells, and if not, why.

    ``value`` is the normalised form (E.164 phone, upper-case IBAN without
    spaces...), except for card numbers, where it is masked: a full PAN never
    leaves a check (PCI DSS v4.0 req. 3.4.1). ``value`` is left out of ``repr`` so that a
    verdict written to a log carries only ``masked``. Invalid verdicts carry no
    value at all, and ``reason`` never quotes the input.
    """

    valid: bool
    kind: Kind
    value: str | None = field(default=None, repr=False)
    masked: str | None = None
    facts: Mapping[str, Fact] = field(default_factory=dict)
    reason: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "facts", MappingProxyType(dict(self.facts)))

    @classmethod
    def invalid(cls, kind: Kind, reason: str, facts: Mapping[str, Fact] | None = None) -> Verdict:
        return cls(valid=False, kind=kind, facts=facts or {}, reason=reason)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict (the CLI and API output)."""
        return {
            "valid": self.valid,
            "kind": self.kind.value,
            "value": self.value,
            "masked": self.masked,
            "facts": dict(self.facts),
            "reason": self.reason,
        }


def check_lang(lang: Lang | str) -> Lang:
    try:
        return Lang(lang)
    except ValueError:
        raise InputError(
            f"unknown language: use one of {', '.join(x.value for x in Lang)}", field="lang"
        ) from None


def require_text(value: object, kind: Kind) -> str:
    if not isinstance(value, str):
        raise IdentifierError(f"{kind.term} must be text, got {type(value).__name__}")
    return value


def digits_of(value: object, kind: Kind) -> str:
    """The ASCII digits of ``value`` once whitespace and hyphens are dropped.

    Anything else is an error. ``str.isdigit`` alone would accept "²" or
    Arabic-Indic digits.
    """
    text = "".join(require_text(value, kind).split()).replace("-", "")
    if not text:
        raise IdentifierError(f"{kind.term} is empty")
    if not set(text) <= _ASCII_DIGITS:
        raise IdentifierError(f"{kind.term} must contain digits only")
    return text


def mask(text: str, keep_start: int, keep_end: int, fill: str = "*") -> str:
    """``text`` with everything but its first ``keep_start`` and last ``keep_end`` chars hidden."""
    if keep_start + keep_end >= len(text):
        return fill * len(text)
    tail = text[len(text) - keep_end:] if keep_end else ""
    return text[:keep_start] + fill * (len(text) - keep_start - keep_end) + tail


class Masked(ABC):
    """An identifier of a person: ``str()`` gives its masked form, so that an f-string,
    a log line or a message shows it only as far as its ``masked`` allows."""

    @property
    @abstractmethod
    def masked(self) -> str:
        """The form that may be shown."""

    def __str__(self) -> str:
        return self.masked

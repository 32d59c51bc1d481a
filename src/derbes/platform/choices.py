"""One of an enumeration's values, from input (pure: standard library only)."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from derbes.errors import InputError

__all__ = ["parse_choice"]

_E = TypeVar("_E", bound=StrEnum)


def parse_choice(enum: type[_E], value: object, what: str, where: str) -> _E:
    """``enum(value)``, or an InputError naming ``where`` and the choices."""
    try:
        return enum(value) if isinstance(value, str) else enum("\0")
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise InputError(f"unknown {what}: use one of {allowed}", field=where) from None

"""The control digit shared by IIN and BIN (the 12th digit of both).

First pass: weights 1..11, remainder mod 11. A remainder of 10 cannot be a
digit, so a second pass runs with weights 3..11, 1, 2; if that gives 10 too,
no number can be built on these eleven digits and the state does not issue it.

Known blind spot: the 11th weight of the first pass is 11 ≡ 0 (mod 11), so a
change of the 11th digit alone leaves the first-pass remainder unchanged and is
not caught unless the second pass is involved. Callers must not promise more.
"""

from __future__ import annotations

from derbes.errors import IdentifierError

FIRST_WEIGHTS: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
SECOND_WEIGHTS: tuple[int, ...] = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def _remainder(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11


def control_digit(first11: str) -> int | None:
    """The 12th digit for these eleven ASCII digits, or None if none exists."""
    if len(first11) != 11:
        raise ValueError("the control digit is computed on exactly 11 digits")
    for weights in (FIRST_WEIGHTS, SECOND_WEIGHTS):
        remainder = _remainder(first11, weights)
        if remainder != 10:
            return remainder
    return None


def check_control_digit(digits: str, term: str) -> None:
    """Refuse twelve digits (of the ``term``, IIN or BIN) whose 12th is not their control digit."""
    expected = control_digit(digits[:11])
    if expected is None:
        raise IdentifierError(f"{term} cannot exist: no control digit fits its first 11 digits")
    if int(digits[11]) != expected:
        raise IdentifierError(f"{term} control digit (12th) does not match")

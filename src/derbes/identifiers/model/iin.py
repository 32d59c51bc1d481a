"""IIN — the individual identification number of a natural person (ЖСН / ИИН).

Twelve digits (Law No. 223-III of 12 Jan 2007 "On national registers of
identification numbers"):

    Y Y M M D D  C  N N N N  K
    birth date   |  serial   control digit (see ``_checksum``)
                 century and sex: 1/2 born 1800–1899, 3/4 1900–1999,
                 5/6 2000–2099; odd male, even female
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

from derbes.errors import IdentifierError, InputError
from derbes.identifiers.model._checksum import check_control_digit
from derbes.identifiers.model._verdict import Kind, Masked, Named, Verdict, digits_of, mask
from derbes.platform.labels import N_

LENGTH = 12


class Sex(Named):
    MALE = "male", N_("male")
    FEMALE = "female", N_("female")


# 7th digit -> (first year of the century, sex)
_CENTURY_SEX: dict[str, tuple[int, Sex]] = {
    "1": (1800, Sex.MALE),
    "2": (1800, Sex.FEMALE),
    "3": (1900, Sex.MALE),
    "4": (1900, Sex.FEMALE),
    "5": (2000, Sex.MALE),
    "6": (2000, Sex.FEMALE),
}


@dataclass(frozen=True)
class Iin(Masked):
    value: str = field(repr=False)
    birth_date: date
    sex: Sex

    @property
    def century(self) -> int:
        """The ordinal century of birth: 19, 20 or 21."""
        return self.birth_date.year // 100 + 1

    @property
    def masked(self) -> str:
        return mask(self.value, 0, 4)

    def age_on(self, on: date) -> int:
        """Full years of age on ``on``.

        A person born on 29 February comes of a new age on 28 February in a
        common year: a term in years that ends in a month without the
        corresponding day ends on the last day of that month (Civil Code
        rules on terms).
        """
        if on < self.birth_date:
            raise InputError("the date is before the birth date encoded in the IIN")
        born = self.birth_date
        last_day = calendar.monthrange(on.year, born.month)[1]
        birthday = date(on.year, born.month, min(born.day, last_day))
        return on.year - born.year - (1 if on < birthday else 0)

    def is_minor_on(self, on: date, majority_age: int) -> bool:
        """Under the age of majority on ``on`` (by age alone: a representative is needed).

        ``majority_age`` comes from the regime table (``age_of_majority``: Civil Code
        Art. 17 p.1, full civil capacity; consent of a minor is given by a legal
        representative, Law 94-V Art. 8). Earlier capacity by marriage or
        emancipation is not visible in an IIN; callers that know of it decide.
        """
        return self.age_on(on) < majority_age


def parse(value: str, *, on: date | None = None) -> Iin:
    """Parse an IIN; spaces and hyphens are ignored.

    With ``on`` (today, from the caller's clock), a birth date after it is
    rejected too. Errors never quote the number.
    """
    digits = digits_of(value, Kind.IIN)
    if len(digits) != LENGTH:
        raise IdentifierError(f"IIN must have {LENGTH} digits, got {len(digits)}")
    century_sex = _CENTURY_SEX.get(digits[6])
    if century_sex is None:
        raise IdentifierError("IIN digit 7 (century and sex) must be 1 to 6")
    century_start, sex = century_sex
    try:
        birth_date = date(century_start + int(digits[0:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        raise IdentifierError("IIN digits 1-6 are not a real date (YYMMDD)") from None
    if on is not None and birth_date > on:
        raise IdentifierError("IIN birth date is in the future")
    check_control_digit(digits, Kind.IIN.term)
    return Iin(value=digits, birth_date=birth_date, sex=sex)


def check(value: str, *, on: date | None = None, majority_age: int | None = None) -> Verdict:
    """The verdict on ``value`` as an IIN; with ``on``, also the age on that day, and with
    ``majority_age`` (from the regime table) whether the person is a minor.

    ``sex_label`` is a message of the catalogues; the identifiers service translates it.
    """
    try:
        iin = parse(value, on=on)
    except IdentifierError as exc:
        return Verdict.invalid(Kind.IIN, exc.message)
    facts: dict[str, str | int | bool] = {
        "birth_date": iin.birth_date.isoformat(),
        "sex": iin.sex.value,
        "sex_label": iin.sex.message,
        "century": iin.century,
    }
    if on is not None:
        facts["age"] = iin.age_on(on)
        if majority_age is not None:
            facts["minor"] = iin.is_minor_on(on, majority_age)
    return Verdict(valid=True, kind=Kind.IIN, value=iin.value, masked=iin.masked, facts=facts)

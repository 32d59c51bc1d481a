"""BIN — the business identification number of a legal entity, its branch or
representative office, or an individual entrepreneur in a joint venture (БСН / БИН).

Twelve digits (Law No. 223-III of 12 Jan 2007 "On national registers of
identification numbers"):

    Y Y M M  T  D  N N N N N  K
    |        |  |  serial     control digit (the IIN algorithm, ``_checksum``)
    |        |  division: 0 head office, 1 branch, 2 representative office,
    |        |            3 peasant (farm) household in a joint venture
    |        entity type: 4 resident legal entity, 5 non-resident legal entity,
    |                     6 individual entrepreneur in a joint venture
    year and month of registration

An IIN can never be a valid BIN nor the reverse: a BIN's 5th digit (4-6) would
be the first digit of an IIN's day of birth (40-69, no such day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from derbes.errors import IdentifierError
from derbes.identifiers.model._checksum import check_control_digit
from derbes.identifiers.model._verdict import Kind, Named, Verdict, digits_of
from derbes.platform.labels import N_

LENGTH = 12

# The BIN carries a two-digit year. Numbers are issued since 2007 to entities
# registered in independent Kazakhstan (from 1991); 90-99 are read as the 1990s,
# everything else as 20xx.
_CENTURY_PIVOT = 90


class EntityType(Named):
    RESIDENT_LEGAL_ENTITY = "resident_legal_entity", N_("resident legal entity")
    NON_RESIDENT_LEGAL_ENTITY = "non_resident_legal_entity", N_("non-resident legal entity")
    JOINT_ENTREPRENEUR = ("joint_individual_entrepreneur",
                          N_("individual entrepreneur in a joint venture"))


class Division(Named):
    HEAD_OFFICE = "head_office", N_("head office")
    BRANCH = "branch", N_("branch")
    REPRESENTATIVE_OFFICE = "representative_office", N_("representative office")
    PEASANT_FARM = "peasant_farm", N_("peasant (farm) household in a joint venture")


_ENTITY_TYPES: dict[str, EntityType] = {
    "4": EntityType.RESIDENT_LEGAL_ENTITY,
    "5": EntityType.NON_RESIDENT_LEGAL_ENTITY,
    "6": EntityType.JOINT_ENTREPRENEUR,
}

_DIVISIONS: dict[str, Division] = {
    "0": Division.HEAD_OFFICE,
    "1": Division.BRANCH,
    "2": Division.REPRESENTATIVE_OFFICE,
    "3": Division.PEASANT_FARM,
}


@dataclass(frozen=True)
class Bin:
    value: str
    registered_year: int
    registered_month: int
    entity_type: EntityType
    division: Division

    @property
    def registered(self) -> str:
        """Year and month of registration, ``YYYY-MM``."""
        return f"{self.registered_year:04d}-{self.registered_month:02d}"

    def __str__(self) -> str:
        return self.value


def parse(value: str, *, on: date | None = None) -> Bin:
    """Parse a BIN; spaces and hyphens are ignored.

    With ``on`` (today, from the caller's clock), a registration month after
    it is rejected too.
    """
    digits = digits_of(value, Kind.BIN)
    if len(digits) != LENGTH:
        raise IdentifierError(f"BIN must have {LENGTH} digits, got {len(digits)}")
    yy, month = int(digits[0:2]), int(digits[2:4])
    if not 1 <= month <= 12:
        raise IdentifierError("BIN digits 3-4 (month of registration) must be 01 to 12")
    year = (1900 if yy >= _CENTURY_PIVOT else 2000) + yy
    if on is not None and (year, month) > (on.year, on.month):
        raise IdentifierError("BIN registration month is in the future")
    entity_type = _ENTITY_TYPES.get(digits[4])
    if entity_type is None:
        raise IdentifierError("BIN digit 5 (entity type) must be 4, 5 or 6")
    division = _DIVISIONS.get(digits[5])
    if division is None:
        raise IdentifierError("BIN digit 6 (division) must be 0 to 3")
    check_control_digit(digits, Kind.BIN.term)
    return Bin(value=digits, registered_year=year, registered_month=month,
               entity_type=entity_type, division=division)


def check(value: str, *, on: date | None = None) -> Verdict:
    """The verdict on ``value`` as a BIN. A BIN is not personal data: it is shown in clear.

    ``entity_type_label`` and ``division_label`` are messages of the catalogues;
    the identifiers service translates them.
    """
    try:
        bin_ = parse(value, on=on)
    except IdentifierError as exc:
        return Verdict.invalid(Kind.BIN, exc.message)
    facts: dict[str, str | int | bool] = {
        "registered": bin_.registered,
        "entity_type": bin_.entity_type.value,
        "entity_type_label": bin_.entity_type.message,
        "division": bin_.division.value,
        "division_label": bin_.division.message,
    }
    return Verdict(valid=True, kind=Kind.BIN, value=bin_.value, masked=bin_.value, facts=facts)

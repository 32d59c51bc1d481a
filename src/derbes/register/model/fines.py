"""Administrative fines (Code of Administrative Offences Art. 79) a lint finding
exposes an operator to, in monthly calculation indices (MCI) and tenge.

The amounts and the value of the MCI are data (``data/fines.yaml``); the MCI in
tenge changes every year with the budget law. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from derbes.errors import InputError
from derbes.platform.labels import Labels

SIZES = ("small", "medium", "large")  # business size, as the Code grades fines


@dataclass(frozen=True)
class Offence:
    id: str
    labels: Labels
    citation: str
    mci: Mapping[str, int]  # business size -> MCI


@dataclass(frozen=True)
class Risk:
    offence: Offence
    year: int
    mci_value: int  # tenge per MCI that year

    def tenge(self, size: str) -> int:
        return self.offence.mci[size] * self.mci_value

    def describe(self) -> str:
        """"КоАП Art. 79: 60/100/200 MCI = 259,500/432,500/865,000 tenge (2026)"."""
        mci = "/".join(str(self.offence.mci[s]) for s in SIZES)
        tenge = "/".join(f"{self.tenge(s):,}" for s in SIZES)
        return (f"{self.offence.citation}, {self.offence.labels.en.lower()}: {mci} MCI = "
                f"{tenge} tenge in {self.year} (small/medium/large business)")


@dataclass(frozen=True)
class FineTable:
    offences: Mapping[str, Offence]
    mci: Mapping[int, int]  # year -> tenge

    def risk(self, offence: str | None, year: int) -> Risk | None:
        """The risk of ``offence`` in ``year`` (the latest known MCI at or before it)."""
        if offence is None or offence not in self.offences:
            return None
        known = [y for y in self.mci if y <= year] or list(self.mci)
        chosen = max(known)
        return Risk(self.offences[offence], chosen, self.mci[chosen])


def fines_from_dict(data: object) -> FineTable:
    if not isinstance(data, Mapping):
        raise InputError("fines: expected a mapping with 'mci' and 'offences'")
    problems: list[str] = []
    mci = {int(y): int(v) for y, v in (data.get("mci") or {}).items()}
    if not mci:
        problems.append("mci: the tenge value of the MCI for at least one year")
    offences: dict[str, Offence] = {}
    for key, raw in (data.get("offences") or {}).items():
        amounts = raw.get("mci") if isinstance(raw, Mapping) else None
        if not isinstance(amounts, Mapping) or set(amounts) != set(SIZES):
            problems.append(f"offences.{key}.mci: amounts for {', '.join(SIZES)}")
            continue
        try:
            labels = Labels.from_mapping(raw.get("label"), where=f"offences.{key}.label")
        except InputError as exc:
            problems.append(exc.message)
            continue
        offences[str(key)] = Offence(str(key), labels, str(raw.get("citation", "")),
                                     {s: int(amounts[s]) for s in SIZES})
    if problems:
        raise InputError("fines: " + "; ".join(problems), field="fines")
    return FineTable(offences, mci)

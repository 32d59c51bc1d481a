"""What every section of the builder shares: problems found so far, texts, periods, dates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from derbes.deadlines.model.periods import Period
from derbes.errors import PeriodError, Problem
from derbes.register.model.register import BasisKind, LegalBasis, Text
from derbes.register.model.statement import SectionStatement, Sources, Statement


class Problems:
    """The semantic problems found so far; the register is refused if there is any."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str, code: str | None = None) -> None:
        self.problems.append(Problem(message=message, path=path, code=code))


def text(raw: Mapping[str, Any] | None) -> Text | None:
    if raw is None:
        return None
    return Text(ru=str(raw["ru"]), kk=str(raw["kk"]), en=str(raw["en"]))


def required_text(raw: Mapping[str, Any]) -> Text:
    value = text(raw)
    assert value is not None
    return value


def period(raw: Any, path: str, problems: Problems) -> Period | None:
    try:
        return Period.parse(str(raw))
    except PeriodError as exc:
        problems.add(path, exc.message)
        return None


def a_date(raw: Any, path: str, problems: Problems) -> date | None:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        problems.add(path, f"not a date (YYYY-MM-DD): {raw!r}")
        return None


def check_unique(
    items: Sequence[Mapping[str, Any]], path: str, problems: Problems, key: str = "id"
) -> None:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        ident = str(item[key])
        if ident in seen:
            problems.add(
                f"{path}[{i}].{key}", f"duplicate {key} {ident!r} (first at {path}[{seen[ident]}])"
            )
        else:
            seen[ident] = i


def plain_and_text(raw: Any) -> tuple[str | None, Text | None]:
    """A value written once, or the same in ru/kk/en, which customers read: its plain
    form (the English one of three, kept for the DPO and lint) and, where given, the three.

    A citation reads so ("AML Law ... Art. 11 p.4"), and so does a policy's version
    ("1.0", or words such as «протокол № 4/2»).
    """
    if raw is None:
        return None, None
    if isinstance(raw, Mapping):
        cite = required_text(raw)
        return cite.en, cite
    return str(raw), None


def basis(raw: Mapping[str, Any] | None) -> LegalBasis:
    """The basis as stated; absent: not stated (never an assumed one)."""
    if raw is None:
        return LegalBasis(kind=BasisKind.NOT_STATED)
    cited, cite = plain_and_text(raw.get("citation"))
    return LegalBasis(
        kind=BasisKind(raw["kind"]), citation=cited, note=text(raw.get("note")), cite=cite
    )


def sources(raw: Mapping[str, Any]) -> Sources:
    """The clause of an object (``source``) and of single fields (``sources``)."""
    fields = raw.get("sources")
    return Sources(raw.get("source"), dict(fields) if fields else None)


def section_items(
    raw: Mapping[str, Any] | None, key: str, statements: dict[str, SectionStatement],
    path: str | None = None,
) -> list[Any]:
    """The items of a list section; records "stated as none" in ``statements``.

    Absent: not stated (no items, nothing recorded). ``{none: true, source}``:
    stated as none; ``{unlisted: true, source}``: stated to exist, not listed. A
    list: its items.
    """
    value = None if raw is None else raw.get(key)
    if isinstance(value, Mapping):
        said = Statement.UNLISTED if value.get("unlisted") else Statement.NONE
        statements[path or key] = SectionStatement(said, value.get("source"))
        return []
    return list(value or [])

"""Findings: what was found where, how often, and what the register says about it.

Sources feed :class:`Tally` objects (one per place: a database column, a file column,
the text of a log); :func:`judge` turns them into :class:`Finding` objects against
the register and the dataset mappings:

* **declared** — a column the mappings name holds what its category says;
* **undeclared** — personal data in a database column that no mapping names, or in a
  column mapped to a category that does not hold it (rule DRS001);
* **misplaced** — personal data in a log or an export file, outside every store the
  register's datasets describe (rule DRS002). A misplaced value is undeclared too: no
  mapping covers a log, so nothing erases or retains it by the register's rules;
* **not personal** — a BIN names a legal entity; it is reported, never a finding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from derbes.datasets.model import Dataset
from derbes.platform.labels import Labels, Lang
from derbes.register.model.lint import RuleSpec, Severity
from derbes.register.model.register import Register
from derbes.scanner.model.entities import PRIMARY_CATEGORY, Entity
from derbes.scanner.model.matches import Match, Reason

MAX_EXAMPLES = 3
# A column "holds" an entity when at least this share of its values are one.
HOLDS_SHARE = 0.5


class SourceKind(StrEnum):
    DATABASE = "database"
    FILE = "file"


class Status(StrEnum):
    DECLARED = "declared"
    UNDECLARED = "undeclared"
    MISPLACED = "misplaced"
    NOT_PERSONAL = "not_personal"

    def label(self, lang: Lang | str = Lang.EN) -> str:
        return _STATUS_LABELS[self].get(lang)

    @property
    def undeclared(self) -> bool:
        """Personal data that no mapping covers (``--fail-on undeclared``)."""
        return self in (Status.UNDECLARED, Status.MISPLACED)


_STATUS_LABELS: dict[Status, Labels] = {
    Status.DECLARED: Labels(ru="заявлено", kk="мәлімделген", en="declared"),
    Status.UNDECLARED: Labels(ru="не заявлено", kk="мәлімделмеген", en="undeclared"),
    Status.MISPLACED: Labels(ru="не на своём месте", kk="орнында емес", en="misplaced"),
    Status.NOT_PERSONAL: Labels(ru="не персональные данные", kk="дербес деректер емес",
                                en="not personal data"),
}

# The scanner's rules, in the shape of the register linter's catalogue.
RULES: tuple[RuleSpec, ...] = (
    RuleSpec(
        "DRS001", "undeclared-personal-data", Severity.ERROR,
        "Law 94-V Art. 7; Art. 25 p.2 sp.1 (approved list of PD)",
        "Personal data in a database column that the dataset mappings do not name, or in a "
        "column mapped to a category that does not hold it.",
        "",
    ),
    RuleSpec(
        "DRS002", "misplaced-personal-data", Severity.ERROR,
        "Law 94-V Art. 7; Art. 25 p.2 sp.1; Order 179/НҚ of 12 Jun 2023 (protection measures)",
        "Personal data in a log or an export file, outside every store the register's "
        "datasets describe: no retention or erasure rule reaches it.",
        "",
    ),
    RuleSpec(
        "DRS003", "declared-personal-data", Severity.WARNING, "",
        "Personal data where the mappings say it is (reported for completeness).",
        "",
    ),
    RuleSpec(
        "DRS000", "source-skipped", Severity.WARNING, "",
        "A source or part of it could not be scanned (unreadable, binary, refused); the "
        "scan went on without it.",
        "",
    ),
)
RULES_BY_CODE: Mapping[str, RuleSpec] = {r.code: r for r in RULES}
_STATUS_RULE = {Status.UNDECLARED: "DRS001", Status.MISPLACED: "DRS002",
                Status.DECLARED: "DRS003"}
PCI_CITATION = "PCI DSS v4.0 req. 3.4.1 (PAN unreadable wherever stored)"


@dataclass(frozen=True)
class Location:
    """Where values were found. ``table`` is a table, or a file's format (csv, log...);
    ``column`` is None for plain text, where values are lines."""

    source: str
    kind: SourceKind
    table: str | None = None
    column: str | None = None

    def describe(self) -> str:
        parts = [self.source]
        if self.table and self.kind is SourceKind.DATABASE:
            parts.append(self.table)
        if self.column:
            parts.append(self.column)
        return " › ".join(parts)


@dataclass
class EntityTally:
    values: int = 0  # values (rows, lines) with at least one match
    matches: int = 0
    confidence: float = 0.0
    reasons: set[Reason] = field(default_factory=set)
    examples: list[str] = field(default_factory=list)
    first_unit: int | None = None  # first row or line (1-based)
    last_unit: int | None = None


@dataclass
class Tally:
    """What one place holds, entity by entity, as the source is read."""

    location: Location
    scanned: int = 0  # values (rows, lines) looked at
    entities: dict[Entity, EntityTally] = field(default_factory=dict)

    def add(self, matches: Iterable[tuple[int, Match]], scanned: int, offset: int = 0) -> None:
        """Matches of a batch of ``scanned`` values; ``offset`` is the batch's first unit.

        Units come in increasing order, so a value (row, line) is counted once per
        entity even when its matches arrive in several batches (pieces of a long line).
        """
        for index, match in matches:
            unit = offset + index + 1
            tally = self.entities.setdefault(match.entity, EntityTally())
            tally.matches += 1
            if unit != tally.last_unit:
                tally.values += 1
                tally.last_unit = unit
            tally.confidence = max(tally.confidence, match.confidence)
            tally.reasons.update(match.reasons)
            if len(tally.examples) < MAX_EXAMPLES and match.masked not in tally.examples:
                tally.examples.append(match.masked)
            if tally.first_unit is None or unit < tally.first_unit:
                tally.first_unit = unit
        self.scanned += scanned


@dataclass(frozen=True)
class Finding:
    location: Location
    entity: Entity
    status: Status
    values: int
    scanned: int
    matches: int
    confidence: float
    reasons: tuple[Reason, ...]
    examples: tuple[str, ...]
    category: str | None
    message: Labels
    rule: str | None = None
    citation: str = ""
    first_unit: int | None = None

    @property
    def share(self) -> float:
        return self.values / self.scanned if self.scanned else 0.0

    @property
    def holds(self) -> bool:
        """The column holds this entity (most values are one), not mentions it in text."""
        return self.location.column is not None and self.share >= HOLDS_SHARE


@dataclass(frozen=True)
class Mappings:
    """The register and the datasets of its operator: what is declared where."""

    register: Register
    datasets: Sequence[Dataset] = ()

    def column_category(self, table: str, column: str) -> str | None:
        for dataset in self.datasets:
            spec = dataset.tables.get(table)
            if spec is not None and column in spec.columns:
                return spec.columns[column].category
        return None

    def declared_anywhere(self, entity: Entity) -> tuple[str, ...]:
        used = self.register.used_categories
        return tuple(sorted(c for c in entity.categories if c in used))


def _register_says(entity: Entity, declared: tuple[str, ...], lang: Lang) -> str:
    if declared:
        listed = ", ".join(declared)
        return {Lang.RU: f"реестр объявляет {listed}", Lang.KK: f"тізілімде {listed} мәлімделген",
                Lang.EN: f"the register declares {listed}"}[lang]
    return {Lang.RU: "в реестре нет категории для этого вида данных",
            Lang.KK: "тізілімде бұл деректер түріне арналған санат жоқ",
            Lang.EN: "the register declares no category that holds it"}[lang]


def _texts(make: Callable[[Lang], str]) -> Labels:
    return Labels(ru=make(Lang.RU), kk=make(Lang.KK), en=make(Lang.EN))


def _status(location: Location, entity: Entity,
            mappings: Mappings) -> tuple[Status, str | None, Labels]:
    """(status, category, message in three languages) of ``entity`` found at ``location``."""
    if not entity.personal:
        return Status.NOT_PERSONAL, None, _texts(lambda lang: {
            Lang.RU: f"{entity.label(lang)} юридического лица: не персональные данные",
            Lang.KK: f"заңды тұлғаның {entity.label(lang)}: дербес деректер емес",
            Lang.EN: f"{entity.label(lang)} of a legal entity: not personal data"}[lang])
    declared = mappings.declared_anywhere(entity)
    if location.kind is SourceKind.FILE:
        return Status.MISPLACED, PRIMARY_CATEGORY[entity], _texts(lambda lang: {
            Lang.RU: f"{entity.label(lang)} в файле вне описанных хранилищ",
            Lang.KK: f"{entity.label(lang)} сипатталған қоймалардан тыс файлда",
            Lang.EN: f"{entity.label(lang)} in a file outside every mapped store",
        }[lang] + "; " + _register_says(entity, declared, lang))
    mapped = mappings.column_category(location.table or "", location.column or "")
    if mapped is None:
        return Status.UNDECLARED, PRIMARY_CATEGORY[entity], _texts(lambda lang: {
            Lang.RU: f"{entity.label(lang)} в столбце, которого нет в описаниях наборов данных",
            Lang.KK: f"{entity.label(lang)} деректер жиынтықтарының сипаттамаларында жоқ бағанда",
            Lang.EN: f"{entity.label(lang)} in a column no dataset mapping names",
        }[lang] + "; " + _register_says(entity, declared, lang))
    if mapped in entity.categories:
        return Status.DECLARED, mapped, _texts(lambda lang: {
            Lang.RU: f"столбец отнесён к категории {mapped}",
            Lang.KK: f"баған {mapped} санатына жатқызылған",
            Lang.EN: f"mapped to {mapped}"}[lang])
    return Status.UNDECLARED, mapped, _texts(lambda lang: {
        Lang.RU: f"{entity.label(lang)} в столбце категории {mapped}, которая его не содержит",
        Lang.KK: f"{entity.label(lang)} оны қамтымайтын {mapped} санатындағы бағанда",
        Lang.EN: f"{entity.label(lang)} in a column mapped to {mapped}, which does not hold it",
    }[lang])


def judge(tallies: Iterable[Tally], mappings: Mappings) -> list[Finding]:
    """Every entity of every tally, with its status against the register."""
    out: list[Finding] = []
    for tally in tallies:
        for entity, found in tally.entities.items():
            status, category, message = _status(tally.location, entity, mappings)
            code = _STATUS_RULE.get(status)
            citation = RULES_BY_CODE[code].citation if code else ""
            if entity is Entity.PAN:
                citation = f"{citation}; {PCI_CITATION}" if citation else PCI_CITATION
            out.append(Finding(
                location=tally.location, entity=entity, status=status, values=found.values,
                scanned=tally.scanned, matches=found.matches, confidence=found.confidence,
                reasons=tuple(r for r in Reason if r in found.reasons),
                examples=tuple(found.examples), category=category, message=message,
                rule=code, citation=citation, first_unit=found.first_unit,
            ))
    out.sort(key=lambda f: (f.status is not Status.UNDECLARED, f.status is not Status.MISPLACED,
                            f.location.describe(), f.entity.value))
    return out

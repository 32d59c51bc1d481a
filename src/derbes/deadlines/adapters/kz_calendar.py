"""The Kazakhstan working calendar from the ``holidays`` package and override tables.

The package knows the statutory holidays (Law No. 267-II), their moves off a
weekend (Art. 5) and the Government's transfers up to the year it was
released. It lists days off only; the shipped table
``data/kz_calendar_overrides.yaml`` adds working weekend days and corrects
later years, and a DPO's own table (``DERBES_CALENDAR_OVERRIDES``) wins over
both.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import holidays
import yaml

from derbes.deadlines.model.calendar import DayKind, SpecialDay, WorkingCalendar
from derbes.errors import ConfigurationError, InputError
from derbes.platform import yaml_text
from derbes.platform.labels import Labels
from derbes.platform.shipped import shipped_text

SHIPPED_OVERRIDES = "kz_calendar_overrides.yaml"

_PACKAGE_VERSION = version("holidays")
_STATUTE = 'Law "On holidays in the Republic of Kazakhstan" No. 267-II'
_SOURCE_HOLIDAY = f"{_STATUTE}; holidays package {_PACKAGE_VERSION}"
_SOURCE_MOVED = f"{_STATUTE} Art. 5 (holiday on a weekend: next working day off)"
_SOURCE_DECREE = f"Government decree moving a day off (holidays package {_PACKAGE_VERSION})"

# The package's en_US names carry these markers; parsing them is the only way
# to learn which weekend day a decree made working.
_SUFFIX = re.compile(r"^(?P<name>.+?) \((?P<mark>observed|estimated|observed, estimated)\)$")
_SUBSTITUTED = re.compile(r"substituted from (?P<m>\d{2})/(?P<d>\d{2})/(?P<y>\d{4})")
_KK_SUFFIX = re.compile(r"^(?P<name>.+?) \((?P<mark>[^()]+)\)$")

_RU_MARKS = {
    "observed": "перенесённый выходной",
    "estimated": "дата предварительная",
    "observed, estimated": "перенесённый выходной, дата предварительная",
}
_EN_MARKS = {
    "observed": "moved day off",
    "estimated": "estimated date",
    "observed, estimated": "moved day off, estimated date",
}


@dataclass(frozen=True)
class CalendarOverride:
    day: date
    kind: DayKind
    reason: Labels
    source: str


@dataclass(frozen=True)
class OverrideTable:
    overrides: tuple[CalendarOverride, ...]
    holiday_names_ru: Mapping[str, str]


def build_kz_calendar(
    first_year: int,
    last_year: int | None = None,
    *,
    extra_overrides: Path | None = None,
) -> WorkingCalendar:
    """The working calendar for ``first_year``..``last_year`` (inclusive)."""
    last_year = first_year if last_year is None else last_year
    if last_year < first_year:
        raise InputError(f"calendar years go forward: {first_year} > {last_year}", field="year")
    years = range(first_year, last_year + 1)
    shipped = load_override_table(_shipped_text(), where=SHIPPED_OVERRIDES)
    tables = [shipped]
    if extra_overrides is not None:
        tables.append(load_override_file(extra_overrides))

    en = holidays.country_holidays("KZ", years=years, language="en_US")
    kk = holidays.country_holidays("KZ", years=years, language="kk")

    non_working: set[date] = set()
    extra_working: set[date] = set()
    special: dict[tuple[date, DayKind], SpecialDay] = {}

    for day, en_names in sorted(en.items()):
        non_working.add(day)
        kk_names = str(kk.get(day, en_names)).split("; ")
        for i, en_name in enumerate(str(en_names).split("; ")):
            kk_name = kk_names[i] if i < len(kk_names) else en_name
            entry = _package_day(day, en_name, kk_name, shipped.holiday_names_ru)
            special[(day, entry.kind)] = entry
            moved_from = _substituted_from(en_name)
            if moved_from is not None and first_year <= moved_from.year <= last_year:
                extra_working.add(moved_from)
                special[(moved_from, DayKind.WORKING_DAY)] = SpecialDay(
                    moved_from,
                    DayKind.WORKING_DAY,
                    Labels(
                        ru=f"Рабочий день (день отдыха перенесён на {day:%d.%m.%Y})",
                        kk=f"Жұмыс күні (демалыс күні {day:%d.%m.%Y} күніне ауыстырылды)",
                        en=f"Working day (day off moved to {day:%d %b %Y})",
                    ),
                    _SOURCE_DECREE,
                )

    for table in tables:
        for row in table.overrides:
            if not first_year <= row.day.year <= last_year:
                continue
            if row.kind.is_working:
                extra_working.add(row.day)
                non_working.discard(row.day)
            else:
                non_working.add(row.day)
                extra_working.discard(row.day)
            # The override replaces whatever the package said about that date.
            for key in [k for k in special if k[0] == row.day]:
                del special[key]
            special[(row.day, row.kind)] = SpecialDay(row.day, row.kind, row.reason, row.source)

    return WorkingCalendar(
        non_working=frozenset(non_working),
        extra_working=frozenset(extra_working),
        first_day=date(first_year, 1, 1),
        last_day=date(last_year, 12, 31),
        special_days=tuple(sorted(special.values(), key=lambda s: (s.day, s.kind))),
    )


def calendar_for(
    instant: datetime | date, *, extra_overrides: Path | None = None
) -> WorkingCalendar:
    """A calendar wide enough for any regime deadline starting at ``instant``:
    the year before (a UTC instant may fall on 31 Dec locally) to two years after."""
    year = instant.year
    return build_kz_calendar(year - 1, year + 2, extra_overrides=extra_overrides)


def _package_day(day: date, en_name: str, kk_name: str, names_ru: Mapping[str, str]) -> SpecialDay:
    if _substituted_from(en_name) is not None:
        moved_from = _substituted_from(en_name)
        assert moved_from is not None
        return SpecialDay(
            day,
            DayKind.DECREED_DAY_OFF,
            Labels(
                ru=f"Выходной день (перенесён с {moved_from:%d.%m.%Y})",
                kk=kk_name,
                en=f"Day off (moved from {moved_from:%d %b %Y})",
            ),
            _SOURCE_DECREE,
        )
    match = _SUFFIX.match(en_name)
    base, mark = (match.group("name"), match.group("mark")) if match else (en_name, "")
    ru = names_ru.get(base, base)
    en = base
    if mark:
        ru, en = f"{ru} ({_RU_MARKS[mark]})", f"{en} ({_EN_MARKS[mark]})"
    kind = DayKind.MOVED_DAY_OFF if mark.startswith("observed") else DayKind.HOLIDAY
    source = _SOURCE_MOVED if kind is DayKind.MOVED_DAY_OFF else _SOURCE_HOLIDAY
    return SpecialDay(day, kind, Labels(ru=ru, kk=kk_name, en=en), source)


def _substituted_from(en_name: str) -> date | None:
    match = _SUBSTITUTED.search(en_name)
    if match is None:
        return None
    try:
        return date(int(match.group("y")), int(match.group("m")), int(match.group("d")))
    except ValueError:
        return None


# --- override tables ------------------------------------------------------------


def _shipped_text() -> str:
    return shipped_text(SHIPPED_OVERRIDES)


def load_override_file(path: Path) -> OverrideTable:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read calendar overrides {path}: {exc.strerror or exc}"
        ) from exc
    return load_override_table(text, where=str(path))


def load_override_table(text: str, *, where: str) -> OverrideTable:
    """Parse an override table; every bad row is reported at once."""
    try:
        data: Any = yaml_text.load(text)
    except (yaml.YAMLError, ValueError) as exc:  # PyYAML raises ValueError on 2026-02-30
        raise InputError(f"{where}: not valid YAML: {exc}") from exc
    if data is None:
        return OverrideTable((), {})
    if not isinstance(data, Mapping):
        raise InputError(f"{where}: expected a mapping with an 'overrides' list")
    raw_rows = data.get("overrides") or []
    if not isinstance(raw_rows, list):
        raise InputError(f"{where}: 'overrides' must be a list")
    problems: list[str] = []
    rows: list[CalendarOverride] = []
    for i, raw in enumerate(raw_rows):
        at = f"{where}: overrides[{i}]"
        if not isinstance(raw, Mapping):
            problems.append(f"{at}: expected a mapping")
            continue
        day = raw.get("date")
        if isinstance(day, str):
            with contextlib.suppress(ValueError):
                day = date.fromisoformat(day)
        if not isinstance(day, date) or isinstance(day, datetime):
            problems.append(f"{at}.date: expected a date like 2026-03-09")
            continue
        try:
            kind = DayKind(str(raw.get("kind")))
        except ValueError:
            kind = None
        if kind not in (DayKind.DAY_OFF, DayKind.WORKING_DAY):
            problems.append(f"{at}.kind: expected day_off or working_day")
            continue
        source = raw.get("source")
        if not isinstance(source, str) or not source.strip():
            problems.append(f"{at}.source: every override needs its source or citation")
            continue
        try:
            reason = Labels.from_mapping(raw.get("reason"), where=f"{at}.reason")
        except InputError as exc:
            problems.append(exc.message)
            continue
        rows.append(CalendarOverride(day, kind, reason, " ".join(source.split())))
    names = data.get("holiday_names_ru") or {}
    if not isinstance(names, Mapping):
        problems.append(f"{where}: holiday_names_ru must map English names to Russian ones")
        names = {}
    if problems:
        raise InputError("; ".join(problems))
    return OverrideTable(tuple(rows), {str(k): str(v) for k, v in names.items()})


class KzCalendars:
    """The Kazakhstan working calendars with the DPO's corrections (``extra_overrides``,
    ``DERBES_CALENDAR_OVERRIDES``), as the ``Calendars`` port.

    A calendar is built once per range of years and kept while the corrections file
    stays the same (its modification time and size are part of the key): a correction
    takes effect without a restart, and a sweep over a million subjects does not
    rebuild the calendar for each one.
    """

    _KEPT = 32  # ranges of years; a process asks for a handful

    def __init__(self, extra_overrides: Path | None = None) -> None:
        self._extra = extra_overrides
        self._built: dict[tuple[int, int, tuple[int, int] | None], WorkingCalendar] = {}
        self._lock = threading.Lock()

    def _stamp(self) -> tuple[int, int] | None:
        if self._extra is None:
            return None
        try:
            stat = self._extra.stat()
        except OSError:
            return (-1, -1)  # missing: building reports it
        return (stat.st_mtime_ns, stat.st_size)

    def _calendar(self, first_year: int, last_year: int) -> WorkingCalendar:
        key = (first_year, last_year, self._stamp())
        with self._lock:
            found = self._built.get(key)
        if found is not None:
            return found
        built = build_kz_calendar(first_year, last_year, extra_overrides=self._extra)
        with self._lock:
            if len(self._built) >= self._KEPT:
                self._built.clear()
            self._built[key] = built
        return built

    def around(self, instant: datetime | date) -> WorkingCalendar:
        # The year before (a UTC instant may fall on 31 Dec locally) to two years after.
        return self._calendar(instant.year - 1, instant.year + 2)

    def years(self, first_year: int, last_year: int | None = None) -> WorkingCalendar:
        return self._calendar(first_year, first_year if last_year is None else last_year)

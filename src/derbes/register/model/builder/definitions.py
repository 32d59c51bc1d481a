"""What the register declares: data categories (over the base taxonomy), subjects, tasks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from derbes.register.model.builder.common import Problems, check_unique, required_text, text
from derbes.register.model.register import (
    DataCategory,
    Sensitivity,
    SubjectCategory,
    Task,
    ValueType,
)


def categories(
    raw: Mapping[str, Any], base: Iterable[DataCategory], problems: Problems
) -> tuple[dict[str, DataCategory], frozenset[str]]:
    """The shipped taxonomy, then the operator's own (which may not redefine a base id)."""
    found: dict[str, DataCategory] = {c.id: c for c in base}
    custom = raw.get("data_categories", [])
    check_unique(custom, "data_categories", problems)
    custom_ids: set[str] = set()
    for i, c in enumerate(custom):
        if c["id"] in found and found[c["id"]].base:
            problems.add(
                f"data_categories[{i}].id",
                f"category {c['id']!r} is in the base taxonomy already; choose another id",
            )
            continue
        found[c["id"]] = DataCategory(
            id=c["id"],
            labels=required_text(c["labels"]),
            sensitivity=Sensitivity(c["sensitivity"]),
            value_type=ValueType(c.get("value_type", "text")),
            description=text(c.get("description")),
        )
        custom_ids.add(c["id"])
    return found, frozenset(custom_ids)


def subject_categories(
    raw: Mapping[str, Any], base: Iterable[SubjectCategory], problems: Problems
) -> dict[str, SubjectCategory]:
    found: dict[str, SubjectCategory] = {s.id: s for s in base}
    declared = raw.get("subject_categories", [])
    check_unique(declared, "subject_categories", problems)
    for i, s in enumerate(declared):
        if s["id"] in found:
            problems.add(
                f"subject_categories[{i}].id", f"subject category {s['id']!r} exists already"
            )
            continue
        found[s["id"]] = SubjectCategory(id=s["id"], labels=required_text(s["labels"]))
    return found


def tasks(raw: Mapping[str, Any], problems: Problems) -> dict[str, Task]:
    declared = raw.get("tasks", [])
    check_unique(declared, "tasks", problems)
    return {t["id"]: Task(id=t["id"], labels=required_text(t["labels"])) for t in declared}

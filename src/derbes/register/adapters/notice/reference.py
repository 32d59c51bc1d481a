"""Shipped reference data the notice words come from: groups of data categories
(``data/taxonomy.yaml``), protection measures of Order 179/НҚ
(``data/protection_measures.yaml``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from derbes.platform.labels import Labels
from derbes.platform.shipped import shipped_yaml


def _read(name: str) -> Any:
    return shipped_yaml(name)


@cache
def category_groups() -> Mapping[str, Labels]:
    """Labels of the groups of data categories, by the first part of a category id."""
    raw = _read("taxonomy.yaml").get("groups", {})
    return {key: Labels.from_mapping(value, where=f"groups.{key}") for key, value in raw.items()}


def group_of(category_id: str) -> str:
    prefix = category_id.split(".", 1)[0]
    return prefix if prefix in category_groups() else "other"


@dataclass(frozen=True)
class MeasureInfo:
    label: Labels
    order_179: bool


@dataclass(frozen=True)
class Measures:
    cite: Labels
    measures: Mapping[str, MeasureInfo]


@cache
def protection_measures() -> Measures:
    raw = _read("protection_measures.yaml")
    return Measures(
        cite=Labels.from_mapping(raw["cite"], where="cite"),
        measures={
            key: MeasureInfo(Labels.from_mapping(value["label"], where=f"measures.{key}"),
                             bool(value.get("order_179", False)))
            for key, value in raw["measures"].items()
        },
    )

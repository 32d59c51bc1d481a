"""Read the numbering and fixed legal wording of destruction acts (``data/acts.yaml``)."""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from derbes.errors import ConfigurationError, InputError
from derbes.platform.labels import Labels
from derbes.platform.shipped import shipped_yaml
from derbes.retention.model.acts import ActRules

SHIPPED_RULES = "acts.yaml"


def _labels(data: Any, where: str) -> Labels:
    try:
        return Labels.from_mapping(data, where=f"{SHIPPED_RULES}: {where}")
    except InputError as exc:
        raise ConfigurationError(exc.message) from None


def _int(data: dict[str, Any], key: str, low: int, high: int) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigurationError(f"{SHIPPED_RULES}: {key} must be a number from {low} to {high}")
    return value


def parse_act_rules(data: Any) -> ActRules:
    if not isinstance(data, dict):
        raise ConfigurationError(f"{SHIPPED_RULES}: expected a mapping")
    prefix = data.get("number_prefix")
    if not isinstance(prefix, str) or not prefix.strip() or any(c in prefix for c in " /-"):
        raise ConfigurationError(f"{SHIPPED_RULES}: number_prefix must be a short word")
    zone = data.get("timezone")
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(f"{SHIPPED_RULES}: unknown timezone {zone!r}") from None
    basis = data.get("general_basis")
    if not isinstance(basis, dict) or not isinstance(basis.get("citation"), str):
        raise ConfigurationError(f"{SHIPPED_RULES}: general_basis needs a citation")
    return ActRules(
        number_prefix=prefix.strip(),
        number_digits=_int(data, "number_digits", 1, 9),
        timezone=str(zone),
        general_citation=basis["citation"].strip(),
        general_basis=_labels(basis.get("text"), "general_basis.text"),
        anonymisation=_labels(basis.get("anonymisation"), "general_basis.anonymisation"),
        logging=_labels(basis.get("logging"), "general_basis.logging"),
        printed_references=_int(data, "printed_references", 0, 1_000_000),
        commission_lines=_int(data, "commission_lines", 0, 10),
    )


@cache
def load_act_rules() -> ActRules:
    """The shipped rules, read once per process."""
    return parse_act_rules(shipped_yaml(SHIPPED_RULES))

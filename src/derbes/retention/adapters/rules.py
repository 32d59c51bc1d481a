"""Read the retention engine's rules (``data/retention_rules.yaml``)."""

from __future__ import annotations

from functools import cache
from typing import Any

from derbes.deadlines.model.periods import Period
from derbes.errors import ConfigurationError, PeriodError
from derbes.platform.shipped import shipped_mapping
from derbes.retention.model.retention import LegalMinimum, RetentionRules

SHIPPED_RULES = "retention_rules.yaml"


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{SHIPPED_RULES}: {where}{key} must be non-empty text")
    return value.strip()


@cache
def load_retention_rules() -> RetentionRules:
    """The shipped rules, read once per process."""
    data = shipped_mapping(SHIPPED_RULES)
    raw = data.get("minimums") or []
    if not isinstance(raw, list):
        raise ConfigurationError(f"{SHIPPED_RULES}: minimums must be a list")
    minimums = []
    for n, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ConfigurationError(f"{SHIPPED_RULES}: minimums[{n}] must be a mapping")
        where = f"minimums[{n}]."
        try:
            period = Period.parse(_text(item, "period", where))
        except PeriodError as exc:
            raise ConfigurationError(f"{SHIPPED_RULES}: {where}period: {exc.message}") from None
        minimums.append(LegalMinimum(_text(item, "match", where), period,
                                     _text(item, "citation", where)))
    return RetentionRules(_text(data, "destruction", ""), tuple(minimums),
                          _text(data, "unlinked", ""))

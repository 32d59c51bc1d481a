"""The fields of a rule table as parsed from YAML, checked one by one (pure: stdlib only).

A table's model reads its numbers and citations through :class:`RuleFields`, so that
every table says what is wrong the same way: the table's name, the dotted field at
fault, and what it must be, as a :class:`~derbes.errors.ConfigurationError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from derbes.errors import ConfigurationError


@dataclass(frozen=True)
class RuleFields:
    """The checks of one table; ``table`` names it in every error ("staff policy")."""

    table: str

    def error(self, message: str, field: str | None) -> ConfigurationError:
        return ConfigurationError(f"{self.table}: {message}", field=field)

    def top(self, data: Any) -> Mapping[str, Any]:
        """The whole table: a mapping of version 1."""
        if not isinstance(data, Mapping) or data.get("version") != 1:
            raise self.error("expected a mapping with version: 1", "version")
        return data

    def section(self, data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
        section = data.get(name)
        if not isinstance(section, Mapping):
            raise self.error(f"'{name}' must be a mapping", name)
        return section

    def count(self, section: Mapping[str, Any], name: str, where: str) -> int:
        """A whole number of at least 1 (``True`` is not a number here)."""
        value = section.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.error(f"{where}.{name} must be a whole number of at least 1",
                             f"{where}.{name}")
        return value

    def text(self, section: Mapping[str, Any], name: str, where: str) -> str:
        """Non-blank text, its white space folded."""
        value = section.get(name)
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"{where}.{name} must be text", f"{where}.{name}")
        return " ".join(value.split())

"""The rule tables shipped with derbes (``derbes/data/*.yaml``), read from the package.

Each table is read by its slice's loader, which checks it and builds the slice's
rules from it; what reading the file takes (where it lives, its encoding, the YAML,
that its top level is a mapping) is here once.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from derbes.errors import ConfigurationError
from derbes.platform import yaml_text


def shipped_text(name: str) -> str:
    """The text of the shipped data file ``name``."""
    return resources.files("derbes.data").joinpath(name).read_text(encoding="utf-8")


def shipped_yaml(name: str) -> Any:
    """The shipped YAML file ``name``, parsed (what its loader checks)."""
    return yaml_text.load(shipped_text(name))


def shipped_mapping(name: str) -> dict[str, Any]:
    """The shipped YAML file ``name``, which must be a mapping at its top level."""
    data = shipped_yaml(name)
    if not isinstance(data, dict):
        raise ConfigurationError(f"{name}: expected a mapping")
    return data

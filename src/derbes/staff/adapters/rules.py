"""Read the staff role table and sign-in policy (``data/staff_roles.yaml``, ``data/staff.yaml``)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from derbes.errors import ConfigurationError
from derbes.platform import yaml_text
from derbes.staff.model.policy import StaffRules, policy_from_dict
from derbes.staff.model.roles import roles_from_dict

__all__ = ["load_staff_rules"]


def _read(name: str) -> Any:
    try:
        text = resources.files("derbes.data").joinpath(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read {name}: {exc.strerror or exc}") from exc
    try:
        return yaml_text.load(text)
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{name}: not valid YAML: {exc}") from exc


@cache
def load_staff_rules() -> StaffRules:
    """The shipped role table and policy, read once per process."""
    return StaffRules(roles_from_dict(_read("staff_roles.yaml")),
                      policy_from_dict(_read("staff.yaml")))

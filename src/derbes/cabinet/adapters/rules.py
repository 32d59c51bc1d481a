"""Read the cabinet's rule table (``data/cabinet.yaml``)."""

from __future__ import annotations

from functools import cache

from derbes.cabinet.model import CabinetRules, parse_rules
from derbes.platform.shipped import shipped_yaml
from derbes.requests.model import RequestType

__all__ = ["load_cabinet_rules"]


@cache
def load_cabinet_rules() -> CabinetRules:
    """The shipped table, read once per process."""
    return parse_rules(shipped_yaml("cabinet.yaml"), tuple(t.value for t in RequestType))

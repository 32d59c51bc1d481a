"""Read the rules of data-subject requests (``data/request_types.yaml``)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import yaml

from derbes.errors import ConfigurationError, InputError
from derbes.platform import yaml_text
from derbes.platform.shipped import shipped_text
from derbes.requests.model import RequestRules, rules_from_dict

SHIPPED_RULES = "request_types.yaml"


def load_request_rules(known_deadlines: Collection[str]) -> RequestRules:
    """The shipped rules, checked against the deadline ids of the regime in force."""
    text = shipped_text(SHIPPED_RULES)
    try:
        data: Any = yaml_text.load(text)
        return rules_from_dict(data, known_deadlines)
    except (yaml.YAMLError, InputError) as exc:
        raise ConfigurationError(f"{SHIPPED_RULES}: {exc}") from exc

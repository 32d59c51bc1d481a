"""Read the access-alert rules (``data/access_rules.yaml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from derbes.audit.model.alert_rules import AccessRules, rules_from_dict
from derbes.errors import ConfigurationError
from derbes.platform import yaml_text
from derbes.platform.shipped import shipped_text

SHIPPED_RULES = "access_rules.yaml"


def load_access_rules(path: Path | None = None) -> AccessRules:
    """The shipped rules, or a corrected copy at ``path``."""
    try:
        text = shipped_text(SHIPPED_RULES) if path is None else path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read access rules {path or SHIPPED_RULES}: {exc.strerror or exc}"
        ) from exc
    try:
        data: Any = yaml_text.load(text)
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path or SHIPPED_RULES}: not valid YAML: {exc}") from exc
    return rules_from_dict(data)

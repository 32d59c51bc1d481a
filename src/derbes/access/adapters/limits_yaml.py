"""Read the limits on identity checks and API keys (``data/identity_limits.yaml``)."""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from derbes.access.model.limits import IdentityLimits, limits_from_dict
from derbes.errors import ConfigurationError
from derbes.platform import yaml_text
from derbes.platform.shipped import shipped_text

SHIPPED = "identity_limits.yaml"


@cache
def load_identity_limits() -> IdentityLimits:
    """The shipped limits, read once per process."""
    try:
        text = shipped_text(SHIPPED)
    except OSError as exc:
        raise ConfigurationError(f"cannot read {SHIPPED}: {exc.strerror or exc}") from exc
    try:
        data: Any = yaml_text.load(text)
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{SHIPPED}: not valid YAML: {exc}") from exc
    return limits_from_dict(data)

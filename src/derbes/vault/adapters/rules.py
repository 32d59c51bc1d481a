"""Read the vault's citations (``data/vault_rules.yaml``)."""

from __future__ import annotations

from functools import cache

from derbes.errors import ConfigurationError
from derbes.platform.shipped import shipped_mapping
from derbes.vault.model import VaultRules

SHIPPED_RULES = "vault_rules.yaml"
_KEYS = ("minimisation", "access_request", "blocking", "destruction")


@cache
def load_vault_rules() -> VaultRules:
    """The shipped citations, read once per process."""
    data = shipped_mapping(SHIPPED_RULES)
    missing = [k for k in _KEYS if not isinstance(data.get(k), str) or not data[k].strip()]
    if missing:
        raise ConfigurationError(f"{SHIPPED_RULES}: missing citation(s): {', '.join(missing)}")
    return VaultRules(**{k: str(data[k]).strip() for k in _KEYS})

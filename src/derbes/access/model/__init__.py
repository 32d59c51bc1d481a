"""Who may call derbes, and how often: API-key scopes and the limits on identity checks."""

from derbes.access.model.scopes import Scope, allows, parse_scope, parse_scopes, sorted_scopes

__all__ = ["Scope", "allows", "parse_scope", "parse_scopes", "sorted_scopes"]

"""Read the decision point's reasons and citations (``data/decision_rules.yaml``)."""

from __future__ import annotations

from functools import cache
from typing import Any

from derbes.decisions.model import DecisionRules, ReasonCode, ReasonText
from derbes.errors import ConfigurationError, InputError
from derbes.platform import yaml_text
from derbes.platform.labels import Labels
from derbes.platform.shipped import shipped_text

SHIPPED_RULES = "decision_rules.yaml"


def parse_decision_rules(text: str, where: str = SHIPPED_RULES) -> DecisionRules:
    data: Any = yaml_text.load(text)
    reasons = data.get("reasons") if isinstance(data, dict) else None
    if not isinstance(reasons, dict):
        raise ConfigurationError(f"{where}: expected a mapping 'reasons'")
    out: dict[ReasonCode, ReasonText] = {}
    for name, entry in reasons.items():
        try:
            code = ReasonCode(name)
        except ValueError:
            raise ConfigurationError(f"{where}: unknown reason code {name!r}") from None
        if not isinstance(entry, dict) or not isinstance(entry.get("allowed"), bool):
            raise ConfigurationError(f"{where}: reasons.{name} needs 'allowed: true|false'")
        citation = entry.get("citation")
        if not isinstance(citation, str) or not citation.strip():
            raise ConfigurationError(f"{where}: reasons.{name} needs a citation")
        try:
            message = Labels.from_mapping(entry.get("message"), where=f"reasons.{name}.message")
        except InputError as exc:
            raise ConfigurationError(f"{where}: {exc.message}") from None
        out[code] = ReasonText(allowed=entry["allowed"], citation=citation.strip(),
                               message=message)
    return DecisionRules(out)


@cache
def load_decision_rules() -> DecisionRules:
    """The shipped rules, read once per process."""
    text = shipped_text(SHIPPED_RULES)
    return parse_decision_rules(text)

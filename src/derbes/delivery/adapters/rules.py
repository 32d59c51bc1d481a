"""Read the delivery rules (``data/delivery.yaml``) and templates
(``data/delivery_templates.yaml``), checked: every language, the placeholders,
an SMS's segments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from derbes.delivery.model import (
    LANGUAGES,
    Channel,
    DeliveryRules,
    RetryPolicy,
    Template,
    Templates,
    TemplateSpec,
    TemplateText,
)
from derbes.errors import ConfigurationError
from derbes.platform.shipped import shipped_mapping

__all__ = ["MobizonCodes", "load_delivery_rules", "load_mobizon_codes", "rules_from_dicts"]

RULES = "delivery.yaml"
TEMPLATES = "delivery_templates.yaml"


@dataclass(frozen=True)
class MobizonCodes:
    """How the Mobizon API's answer codes are read (see ``data/delivery.yaml``)."""

    accepted: frozenset[int]
    validation: int
    auth: frozenset[int]
    balance: frozenset[int]


def _number(data: dict[str, Any], name: str, where: str) -> float:
    value = data.get(name)
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise ConfigurationError(f"{where}.{name} must be a positive number")
    return float(value)


def _retry(data: Any) -> RetryPolicy:
    if not isinstance(data, dict):
        raise ConfigurationError(f"{RULES}: retry must be a mapping")
    attempts = data.get("max_attempts")
    if not isinstance(attempts, int) or isinstance(attempts, bool):
        raise ConfigurationError(f"{RULES}: retry.max_attempts must be a whole number")
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ConfigurationError(f"{RULES}: retry.source must say where the numbers come from")
    return RetryPolicy(
        first_delay=timedelta(seconds=_number(data, "first_delay_seconds", "retry")),
        factor=_number(data, "factor", "retry"),
        max_delay=timedelta(seconds=_number(data, "max_delay_seconds", "retry")),
        max_attempts=attempts, source=" ".join(source.split()))


def _text(raw: Any, where: str) -> TemplateText:
    if not isinstance(raw, dict) or not isinstance(raw.get("body"), str):
        raise ConfigurationError(f"{TEMPLATES}: {where} needs a body")
    subject = raw.get("subject")
    if subject is not None and not isinstance(subject, str):
        raise ConfigurationError(f"{TEMPLATES}: {where}.subject must be text")
    return TemplateText(raw["body"], subject)


def _spec(name: str, raw: Any) -> TemplateSpec:
    try:
        template = Template(name)
    except ValueError:
        raise ConfigurationError(f"{TEMPLATES}: unknown template {name!r}") from None
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{TEMPLATES}: {name} must be a mapping")
    try:
        channel = Channel(str(raw.get("channel")))
    except ValueError:
        raise ConfigurationError(f"{TEMPLATES}: {name}.channel must be sms or email") from None
    params = raw.get("params")
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        raise ConfigurationError(f"{TEMPLATES}: {name}.params must list names")
    sample = raw.get("sample") or {}
    if not isinstance(sample, dict):
        raise ConfigurationError(f"{TEMPLATES}: {name}.sample must be a mapping")
    segments = raw.get("max_segments")
    if segments is not None and (not isinstance(segments, int) or segments < 1):
        raise ConfigurationError(f"{TEMPLATES}: {name}.max_segments must be 1 or more")
    texts = {lang: _text(raw[lang], f"{name}.{lang}") for lang in LANGUAGES if lang in raw}
    return TemplateSpec(template, channel, tuple(params), texts, segments,
                        {str(k): str(v) for k, v in sample.items()})


def rules_from_dicts(rules: dict[str, Any], templates: dict[str, Any]) -> DeliveryRules:
    raw = templates.get("templates")
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{TEMPLATES}: templates must be a mapping")
    specs = {spec.template: spec for spec in (_spec(str(k), v) for k, v in raw.items())}
    missing = [t.value for t in Template if t not in specs]
    if missing:
        raise ConfigurationError(f"{TEMPLATES}: missing template(s) {', '.join(missing)}")
    return DeliveryRules(retry=_retry(rules.get("retry")), templates=Templates(specs))


def _codes(data: dict[str, Any], name: str) -> frozenset[int]:
    value = data.get(name)
    if not isinstance(value, list) or not all(isinstance(c, int) for c in value):
        raise ConfigurationError(f"{RULES}: mobizon.{name} must list whole numbers")
    return frozenset(value)


def codes_from_dict(data: Any) -> MobizonCodes:
    if not isinstance(data, dict) or not isinstance(data.get("validation_code"), int):
        raise ConfigurationError(f"{RULES}: mobizon must be a mapping with validation_code")
    return MobizonCodes(_codes(data, "accepted_codes"), int(data["validation_code"]),
                        _codes(data, "auth_codes"), _codes(data, "balance_codes"))


@cache
def load_delivery_rules() -> DeliveryRules:
    """The shipped rules and templates, read once per process."""
    return rules_from_dicts(shipped_mapping(RULES), shipped_mapping(TEMPLATES))


@cache
def load_mobizon_codes() -> MobizonCodes:
    return codes_from_dict(shipped_mapping(RULES).get("mobizon"))

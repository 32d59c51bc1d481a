"""Read the consent ledger's rules and citations (``data/consent_rules.yaml``)."""

from __future__ import annotations

from functools import cache
from typing import Any

from derbes.consent.model.consent import ConsentRules
from derbes.errors import ConfigurationError
from derbes.platform.shipped import shipped_yaml
from derbes.register.model.register import ConsentChannel

SHIPPED_RULES = "consent_rules.yaml"
_CITATIONS = (
    "otp_citation", "evidence_citation", "consent_not_needed", "minors", "age_check_purpose",
    "age_check_citation", "evidence_purpose", "evidence_export_citation", "withdrawal",
    "withdrawal_obligation", "withdrawal_law", "marketing", "cookies",
)
_EVIDENCE_FIELDS = frozenset({
    "ip", "user_agent", "document_number", "otp_reference", "otp_code", "three_ds_reference",
    "signature_reference", "service_reference", "egov_request_id",
})


def rules_from_dict(data: Any) -> ConsentRules:
    if not isinstance(data, dict):
        raise ConfigurationError(f"{SHIPPED_RULES}: expected a mapping")
    missing = [k for k in _CITATIONS if not isinstance(data.get(k), str) or not data[k].strip()]
    if missing:
        raise ConfigurationError(f"{SHIPPED_RULES}: missing: {', '.join(missing)}")
    minutes = data.get("otp_reference_valid_minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 1440:
        raise ConfigurationError(
            f"{SHIPPED_RULES}: otp_reference_valid_minutes must be 1 to 1440 minutes")
    raw = data.get("required_evidence")
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{SHIPPED_RULES}: required_evidence must be a mapping")
    required: dict[ConsentChannel, tuple[str, ...]] = {}
    for channel, names in raw.items():
        try:
            key = ConsentChannel(channel)
        except ValueError:
            raise ConfigurationError(
                f"{SHIPPED_RULES}: unknown channel {channel!r} in required_evidence") from None
        if not isinstance(names, list) or not set(names) <= _EVIDENCE_FIELDS:
            raise ConfigurationError(
                f"{SHIPPED_RULES}: required_evidence.{channel} must list evidence fields")
        required[key] = tuple(names)
    return ConsentRules(
        otp_reference_valid_minutes=minutes, required_evidence=required,
        cites=_cites(data.get("cite") or {}, data),
        **{k: str(data[k]).strip() for k in _CITATIONS},
    )


_LOCALISED = ("withdrawal", "withdrawal_obligation", "withdrawal_law", "marketing", "cookies")


def _cites(raw: Any, data: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The withdrawal citations in ru/kk/en; the English must be the citation itself, so
    a correction of one is never left behind in the other."""
    if not isinstance(raw, dict) or not set(raw) <= set(_LOCALISED):
        raise ConfigurationError(f"{SHIPPED_RULES}: cite names only {', '.join(_LOCALISED)}")
    out: dict[str, dict[str, str]] = {}
    for name, texts in raw.items():
        if (not isinstance(texts, dict) or set(texts) != {"ru", "kk", "en"}
                or not all(isinstance(t, str) and t.strip() for t in texts.values())):
            raise ConfigurationError(f"{SHIPPED_RULES}: cite.{name} needs ru, kk and en")
        if texts["en"].strip() != str(data[name]).strip():
            raise ConfigurationError(f"{SHIPPED_RULES}: cite.{name}.en differs from {name}")
        out[name] = {k: v.strip() for k, v in texts.items()}
    return out


@cache
def load_consent_rules() -> ConsentRules:
    """The shipped rules, read once per process."""
    return rules_from_dict(shipped_yaml(SHIPPED_RULES))
